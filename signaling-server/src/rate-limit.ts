import { isIPv6 } from 'node:net';
import type { Clock } from './clock.ts';

export type RateDecision =
  | { ok: true }
  | {
      ok: false;
      retryAfterMs: number;
      /** The first refusal of this key's window: log this one, not the flood behind it. */
      first: boolean;
    };

interface Window {
  start: number;
  count: number;
  refused: number;
}

/**
 * What the handlers use: fixed-window attempt counters per key (spec §7: rate limits on login
 * and resume, per user and per address), shared by every process of a deployment
 * (`RateLimiter` for one process, cluster/redis-rate-limiter.ts for several).
 */
export interface Limiter {
  /** Counts one attempt for `key`; refuses (without counting) once `limit` were made in the window. */
  hit(key: string, limit: number): Promise<RateDecision>;
  /** Whether one more attempt would pass, counting nothing (for limits that count failures only). */
  check(key: string, limit: number): Promise<RateDecision>;
  /** Counts one attempt without a decision (a failure, after `check` let it through). */
  note(key: string): Promise<void>;
}

/** `RateLimiter` behind the async `Limiter` interface. */
export function localLimiter(limiter: RateLimiter): Limiter {
  return {
    hit: async (key, limit) => limiter.hit(key, limit),
    check: async (key, limit) => limiter.check(key, limit),
    note: async (key) => limiter.note(key),
  };
}

/**
 * The fixed-window counters of one process. Memory: one small entry per key seen in the
 * current window, swept once per window.
 */
export class RateLimiter {
  readonly #windows = new Map<string, Window>();
  #lastSweep: number;

  constructor(
    private readonly clock: Clock,
    private readonly windowMs: number,
  ) {
    this.#lastSweep = clock.now();
  }

  /** Counts one attempt for `key`; refuses (without counting) once `limit` were made in the window. */
  hit(key: string, limit: number): RateDecision {
    const window = this.#window(key);
    const decision = this.#decide(window, limit);
    if (decision.ok) window.count += 1;
    return decision;
  }

  /** Whether one more attempt would pass, counting nothing (for limits that count failures only). */
  check(key: string, limit: number): RateDecision {
    return this.#decide(this.#window(key), limit);
  }

  /** Counts one attempt without a decision (a failure, after `check` let it through). */
  note(key: string): void {
    this.#window(key).count += 1;
  }

  /** Keys with a live window (to show memory stays bounded). */
  get size(): number {
    return this.#windows.size;
  }

  #decide(window: Window, limit: number): RateDecision {
    if (window.count < limit) return { ok: true };
    window.refused += 1;
    return {
      ok: false,
      retryAfterMs: window.start + this.windowMs - this.clock.now(),
      first: window.refused === 1,
    };
  }

  #window(key: string): Window {
    const now = this.clock.now();
    this.#sweep(now);
    let window = this.#windows.get(key);
    if (!window || now - window.start >= this.windowMs) {
      window = { start: now, count: 0, refused: 0 };
      this.#windows.set(key, window);
    }
    return window;
  }

  #sweep(now: number): void {
    if (now - this.#lastSweep < this.windowMs) return;
    this.#lastSweep = now;
    for (const [key, window] of this.#windows) {
      if (now - window.start >= this.windowMs) this.#windows.delete(key);
    }
  }
}

/**
 * The rate-limit key of a client address: IPv4-mapped IPv6 (`::ffff:1.2.3.4`) counts as the
 * IPv4 address; other IPv6 addresses count per /64, since one host is routinely given a whole
 * /64 and could otherwise rotate through 2^64 "addresses".
 */
export function addressKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped?.[1]) return mapped[1];
  if (!isIPv6(address)) return address;
  return `${expandIPv6(address).slice(0, 4).join(':')}::/64`;
}

function expandIPv6(address: string): string[] {
  const [head = '', tail] = address.split('%')[0]?.split('::') ?? [''];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array(Math.max(0, 8 - left.length - right.length)).fill('0');
  return [...left, ...zeros, ...right].map((part) => part.toLowerCase().replace(/^0+(?=.)/, ''));
}
