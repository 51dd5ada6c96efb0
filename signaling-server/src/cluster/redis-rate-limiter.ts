import type { Redis } from 'ioredis';
import type { Clock } from '../clock.ts';
import type { Limiter, RateDecision } from '../rate-limit.ts';
import { LuaScript } from '../store/lua-script.ts';

// KEYS: the window hash. ARGV: now, windowMs, limit, mode ('hit' | 'check' | 'note').
// Same rule as RateLimiter: a window starts at the first attempt after the last one ended, a
// refusal counts nothing, and only the first refusal of a window says `first`. The window's
// start comes from the injected clock; the key's TTL is only garbage collection.
const DECIDE = new LuaScript(`
local now, window, limit, mode = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local start = tonumber(redis.call('HGET', KEYS[1], 'start'))
if not start or now - start >= window then
  start = now
  redis.call('HSET', KEYS[1], 'start', now, 'count', 0, 'refused', 0)
  redis.call('PEXPIRE', KEYS[1], window)
end
local count = tonumber(redis.call('HGET', KEYS[1], 'count'))
if mode == 'note' then
  redis.call('HINCRBY', KEYS[1], 'count', 1)
  return {1, 0, 0}
end
if count < limit then
  if mode == 'hit' then redis.call('HINCRBY', KEYS[1], 'count', 1) end
  return {1, 0, 0}
end
local refused = redis.call('HINCRBY', KEYS[1], 'refused', 1)
return {0, start + window - now, refused == 1 and 1 or 0}
`);

/** Rate limits counted in Redis: a client spreading attempts over processes meets one limit. */
export class RedisRateLimiter implements Limiter {
  readonly #prefix: string;

  constructor(
    private readonly redis: Redis,
    private readonly options: { clock: Clock; keyPrefix: string; windowMs: number },
  ) {
    this.#prefix = `${options.keyPrefix}rate:`;
  }

  hit(key: string, limit: number): Promise<RateDecision> {
    return this.#decide(key, limit, 'hit');
  }

  check(key: string, limit: number): Promise<RateDecision> {
    return this.#decide(key, limit, 'check');
  }

  async note(key: string): Promise<void> {
    await this.#decide(key, 0, 'note');
  }

  async #decide(key: string, limit: number, mode: string): Promise<RateDecision> {
    const [ok, retryAfterMs, first] = (await DECIDE.run(
      this.redis,
      [this.#prefix + key],
      [this.options.clock.now(), this.options.windowMs, limit, mode],
    )) as [number, number, number];
    return ok ? { ok: true } : { ok: false, retryAfterMs, first: first === 1 };
  }
}
