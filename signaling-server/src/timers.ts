import type { Clock } from './clock.ts';

/**
 * Named one-shot timers on the injected clock: at most one per key (a seat-release timer
 * per handle, an expiry timer per login session). Scheduling a key that is already pending
 * keeps the first deadline: the 60 s window starts at the first loss, not the latest.
 *
 * In-process: with several server processes, the process that saw the disconnect owns them.
 */
export class KeyedTimers {
  readonly #cancels = new Map<string, () => void>();

  constructor(private readonly clock: Clock) {}

  /** Returns false (and changes nothing) when the key is already pending. */
  schedule(key: string, ms: number, fn: () => void): boolean {
    if (this.#cancels.has(key)) return false;
    const cancel = this.clock.setTimeout(() => {
      this.#cancels.delete(key);
      fn();
    }, ms);
    this.#cancels.set(key, cancel);
    return true;
  }

  has(key: string): boolean {
    return this.#cancels.has(key);
  }

  cancel(key: string): void {
    this.#cancels.get(key)?.();
    this.#cancels.delete(key);
  }

  cancelAll(): void {
    for (const cancel of this.#cancels.values()) cancel();
    this.#cancels.clear();
  }
}
