import type { Clock } from './clock.ts';

export type RateDecision = { ok: true } | { ok: false; retryAfterMs: number };

/**
 * Fixed-window attempt counter per key (spec §7: rate limits on login and resume, per user and
 * per address). In-process; a Redis store would do the same with INCR + PEXPIRE.
 */
export class RateLimiter {
  readonly #windows = new Map<string, { start: number; count: number }>();
  #lastSweep: number;

  constructor(
    private readonly clock: Clock,
    private readonly windowMs: number,
  ) {
    this.#lastSweep = clock.now();
  }

  /** Counts one attempt for `key`; refuses once `limit` attempts were made in the window. */
  hit(key: string, limit: number): RateDecision {
    const now = this.clock.now();
    this.#sweep(now);
    let window = this.#windows.get(key);
    if (!window || now - window.start >= this.windowMs) {
      window = { start: now, count: 0 };
      this.#windows.set(key, window);
    }
    if (window.count >= limit) return { ok: false, retryAfterMs: window.start + this.windowMs - now };
    window.count += 1;
    return { ok: true };
  }

  #sweep(now: number): void {
    if (now - this.#lastSweep < this.windowMs) return;
    this.#lastSweep = now;
    for (const [key, window] of this.#windows) {
      if (now - window.start >= this.windowMs) this.#windows.delete(key);
    }
  }
}
