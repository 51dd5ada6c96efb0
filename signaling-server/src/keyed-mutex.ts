import type { Locks } from './locks.ts';

/**
 * One async critical section per key. Conference operations that append to the event log
 * and change membership run under the conference's lock, so that "append, emit, join the
 * room, compute the replay, reply" is atomic with respect to every other conference event:
 * a resuming participant receives each event exactly once, either in its replay or live.
 *
 * In-process only; several processes on one Redis use `RedisLocks`, which wraps this one.
 */
export class KeyedMutex implements Locks {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = previous.then(() => current);
    this.#tails.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}

/** Runs tasks one after the other, in submission order (used per socket). */
export class SerialQueue {
  #tail: Promise<unknown> = Promise.resolve();

  push<T>(fn: () => Promise<T>): Promise<T> {
    const result = this.#tail.then(fn);
    // The chain continues whether or not a task fails; the caller sees the failure.
    this.#tail = result.catch(() => undefined);
    return result;
  }
}
