/**
 * Time, injected. Everything a test must control (seat-release timers, token expiry, rate-limit
 * windows, chat timestamps) reads this clock, never `Date.now()`, so a test can say "still held
 * at 59 999 ms, released at 60 000 ms" without sleeping.
 */
export interface Clock {
  /** ms since the epoch. */
  now(): number;
  /** Runs `fn` once after `ms`; returns a function that cancels it (a no-op once fired). */
  setTimeout(fn: () => void, ms: number): () => void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout(fn, ms) {
    const timer = setTimeout(fn, ms);
    // A pending seat release must not keep a stopping process alive.
    timer.unref();
    return () => clearTimeout(timer);
  },
};

interface PendingTimer {
  due: number;
  order: number;
  fn: () => void;
}

/** A clock that moves only when told to: `advance(ms)` fires due timers in order. */
export class ManualClock implements Clock {
  #now: number;
  #order = 0;
  readonly #timers = new Set<PendingTimer>();

  constructor(start = 1_700_000_000_000) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): () => void {
    const timer: PendingTimer = { due: this.#now + Math.max(0, ms), order: this.#order++, fn };
    this.#timers.add(timer);
    return () => {
      this.#timers.delete(timer);
    };
  }

  /** Number of timers not yet fired or cancelled. */
  get pending(): number {
    return this.#timers.size;
  }

  /**
   * Moves time forward by `ms`, firing every timer due by then in (due, creation) order;
   * `now()` reads each timer's due time while it runs. Timers a callback schedules fire too
   * if they fall due within the same advance.
   */
  advance(ms: number): void {
    const target = this.#now + ms;
    for (;;) {
      let next: PendingTimer | undefined;
      for (const t of this.#timers) {
        if (t.due <= target && (!next || t.due < next.due || (t.due === next.due && t.order < next.order))) {
          next = t;
        }
      }
      if (!next) break;
      this.#timers.delete(next);
      this.#now = next.due;
      next.fn();
    }
    this.#now = target;
  }
}
