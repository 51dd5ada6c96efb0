import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { KeyedMutex } from '../keyed-mutex.ts';
import type { Locks } from '../locks.ts';
import { LuaScript } from '../store/lua-script.ts';

export interface RedisLocksOptions {
  keyPrefix: string;
  /** How long a lock outlives a process that died holding it. Renewed while held. */
  leaseMs?: number;
  /** A caller that cannot get the lock in this time fails (the request gets SERVER_UNAVAILABLE). */
  acquireTimeoutMs?: number;
}

// Only the holder (same random token) may renew or release: a lease that expired under a stalled
// holder and was taken by another process must not be released by the first one.
const RENEW = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0
`);
const RELEASE = new LuaScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
`);

/**
 * The conference lock across processes: a Redis lease (`SET NX PX` with a random token, renewed
 * while held, released by compare-and-delete), taken after the in-process mutex so that one
 * process's callers queue locally and only one of them polls Redis. One Redis, not Redlock:
 * the store itself lives on that Redis, so a quorum of other instances would add nothing.
 */
export class RedisLocks implements Locks {
  readonly #local = new KeyedMutex();
  readonly #prefix: string;
  readonly #leaseMs: number;
  readonly #acquireTimeoutMs: number;

  constructor(
    private readonly redis: Redis,
    { keyPrefix, leaseMs = 5_000, acquireTimeoutMs = 10_000 }: RedisLocksOptions,
  ) {
    this.#prefix = `${keyPrefix}lock:`;
    this.#leaseMs = leaseMs;
    this.#acquireTimeoutMs = acquireTimeoutMs;
  }

  run<T>(key: string, fn: () => Promise<T>): Promise<T> {
    return this.#local.run(key, () => this.#withLease(this.#prefix + key, fn));
  }

  async #withLease<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const token = randomBytes(16).toString('base64url');
    await this.#acquire(key, token);
    const renew = setInterval(() => {
      RENEW.run(this.redis, [key], [token, this.#leaseMs]).catch(() => {});
    }, this.#leaseMs / 3);
    renew.unref();
    try {
      return await fn();
    } finally {
      clearInterval(renew);
      await RELEASE.run(this.redis, [key], [token]).catch(() => {});
    }
  }

  async #acquire(key: string, token: string): Promise<void> {
    // Real time, not the injected clock: this is waiting on another process, not a product rule.
    const deadline = Date.now() + this.#acquireTimeoutMs;
    for (let wait = 2; ; wait = Math.min(wait * 2, 50)) {
      if ((await this.redis.set(key, token, 'PX', this.#leaseMs, 'NX')) === 'OK') return;
      if (Date.now() >= deadline) throw new Error(`lock ${key} not acquired in ${this.#acquireTimeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, wait * (0.5 + Math.random())));
    }
  }
}
