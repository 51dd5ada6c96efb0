import type { Clock } from './clock.ts';
import { KeyedTimers } from './timers.ts';

/**
 * Named deadlines (a held seat's release, a detached session's expiry): at most one per key,
 * and scheduling a pending key keeps the first deadline, so the 60 s window starts at the first
 * loss, not the latest. When one falls due, the `onDue` handler given at creation runs with its
 * key, in whichever process claims it: keys, not closures, so that another process can run a
 * deadline whose scheduler died (see cluster/redis-deadlines.ts).
 */
export interface Deadlines {
  /** Resolves false (and changes nothing) when the key is already pending. */
  schedule(key: string, ms: number): Promise<boolean>;
  cancel(key: string): Promise<void>;
  /** Starts firing due deadlines into `onDue` (set once, after the handlers exist). */
  start(onDue: OnDue): void;
  /** Stops firing (shutdown); pending deadlines of a shared store stay for other processes. */
  close(): void;
}

export type OnDue = (key: string) => void;

/** One process: timers on the injected clock. */
export class LocalDeadlines implements Deadlines {
  readonly #timers: KeyedTimers;
  #onDue: OnDue = () => {};

  constructor(clock: Clock) {
    this.#timers = new KeyedTimers(clock);
  }

  start(onDue: OnDue): void {
    this.#onDue = onDue;
  }

  async schedule(key: string, ms: number): Promise<boolean> {
    return this.#timers.schedule(key, ms, () => this.#onDue(key));
  }

  async cancel(key: string): Promise<void> {
    this.#timers.cancel(key);
  }

  close(): void {
    this.#timers.cancelAll();
  }
}
