import type { Redis } from 'ioredis';
import type { Clock } from '../clock.ts';
import type { Deadlines, OnDue } from '../deadlines.ts';
import type { Logger } from '../logger.ts';
import { LuaScript } from '../store/lua-script.ts';

export interface RedisDeadlinesOptions {
  clock: Clock;
  keyPrefix: string;
  logger: Logger;
  /** How often each process looks for due deadlines: the most a release can be late by. */
  pollMs?: number;
  /** Deadlines claimed per look. */
  batch?: number;
}

// Range and remove in one script: a due deadline is claimed by exactly one process.
const CLAIM_DUE = new LuaScript(`
local due = redis.call('ZRANGE', KEYS[1], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, ARGV[2])
if #due > 0 then redis.call('ZREM', KEYS[1], unpack(due)) end
return due
`);

/**
 * Deadlines in one Redis sorted set (member = key, score = due time), polled by every process:
 * a seat held by a process that then died is still released on time by another one.
 */
export class RedisDeadlines implements Deadlines {
  readonly #key: string;
  readonly #pollMs: number;
  readonly #batch: number;
  #cancelPoll: (() => void) | null = null;
  #closed = false;
  #failing = false;

  constructor(
    private readonly redis: Redis,
    private readonly options: RedisDeadlinesOptions,
  ) {
    this.#key = `${options.keyPrefix}deadlines`;
    this.#pollMs = options.pollMs ?? 250;
    this.#batch = options.batch ?? 500;
  }

  async schedule(key: string, ms: number): Promise<boolean> {
    return (await this.redis.zadd(this.#key, 'NX', this.options.clock.now() + ms, key)) === 1;
  }

  async cancel(key: string): Promise<void> {
    await this.redis.zrem(this.#key, key);
  }

  start(onDue: OnDue): void {
    const tick = async (): Promise<void> => {
      try {
        for (;;) {
          const due = (await CLAIM_DUE.run(
            this.redis,
            [this.#key],
            [this.options.clock.now(), this.#batch],
          )) as string[];
          for (const key of due) onDue(key);
          if (due.length < this.#batch) break;
        }
        if (this.#failing) this.options.logger.info('deadline poll recovered');
        this.#failing = false;
      } catch (err) {
        // Redis away: nothing can be released anyway; the deadlines are still there when it is
        // back. One line per outage, not four a second.
        if (!this.#failing) this.options.logger.error({ err }, 'deadline poll failed');
        this.#failing = true;
      }
      if (!this.#closed) this.#cancelPoll = this.options.clock.setTimeout(() => void tick(), this.#pollMs);
    };
    void tick();
  }

  close(): void {
    this.#closed = true;
    this.#cancelPoll?.();
  }
}
