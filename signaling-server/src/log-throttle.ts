import type { Clock } from './clock.ts';

/**
 * At most one log line per key per interval (spec §7: bad input is "logged once"). A flood of
 * bad packets, wrong tokens or refused attempts writes one line; the next line written for
 * that key says how many were held back (`suppressed`). Memory: one entry per key logged in
 * the current interval, swept once per interval, and never more than `maxKeys` (beyond that,
 * new keys share one overflow entry, so a flood over many keys is still one line).
 */
export class LogThrottle {
  readonly #entries = new Map<string, { until: number; suppressed: number }>();
  #lastSweep: number;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs = 60_000,
    private readonly maxKeys = 10_000,
  ) {
    this.#lastSweep = clock.now();
  }

  /** null: stay quiet; a number: write the line now, reporting that many suppressed before it. */
  take(key: string): number | null {
    const now = this.clock.now();
    this.#sweep(now);
    if (!this.#entries.has(key) && this.#entries.size >= this.maxKeys) key = '\0overflow';
    const entry = this.#entries.get(key);
    if (entry && now < entry.until) {
      entry.suppressed += 1;
      return null;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.#entries.set(key, { until: now + this.intervalMs, suppressed: 0 });
    return suppressed;
  }

  /** Lines held back for `key` and not yet reported; forgets them (say so in a last line). */
  drain(key: string): number {
    const suppressed = this.#entries.get(key)?.suppressed ?? 0;
    this.#entries.delete(key);
    return suppressed;
  }

  get size(): number {
    return this.#entries.size;
  }

  #sweep(now: number): void {
    if (now - this.#lastSweep < this.intervalMs) return;
    this.#lastSweep = now;
    for (const [key, entry] of this.#entries) {
      // Kept one more interval for its suppressed count, then dropped: bounded memory wins.
      if (now >= entry.until + this.intervalMs) this.#entries.delete(key);
    }
  }
}
