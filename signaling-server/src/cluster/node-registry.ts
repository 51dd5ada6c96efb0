import type { Redis } from 'ioredis';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import { LuaScript } from '../store/lua-script.ts';

export interface NodeRegistryOptions {
  nodeId: string;
  keyPrefix: string;
  clock: Clock;
  logger: Logger;
  /**
   * How often this process says it is alive. Default: every second, or a third of `deadAfterMs`
   * if that is shorter, so that one late beat (event-loop lag, a slow Redis reply) never makes
   * a live process look dead: it must miss about three in a row.
   */
  beatMs?: number;
  /** A process silent this long is dead: the seats it served are held by the others. */
  deadAfterMs?: number;
  /**
   * After this process itself could not reach Redis, how long it claims nobody. When Redis was
   * away (restarted, failed over) every process was cut off: all heartbeats are stale, and
   * claiming on them would hold the seats of live participants (shown "reconnecting", released
   * 60 s later while still connected). The others need this long to reconnect (ioredis's
   * backoff, capped at REDIS_RECONNECT_CAP_MS) and beat again. Default: that cap, one beat,
   * then `deadAfterMs`, as for any silence.
   */
  outageGraceMs?: number;
}

/** The longest wait between two reconnection attempts of a process's Redis connections. */
export const REDIS_RECONNECT_CAP_MS = 2_000;

// Range and remove in one script: each dead process is claimed by exactly one survivor.
const CLAIM_DEAD = new LuaScript(`
local dead = redis.call('ZRANGE', KEYS[1], '-inf', ARGV[1], 'BYSCORE', 'LIMIT', 0, 10)
if #dead > 0 then redis.call('ZREM', KEYS[1], unpack(dead)) end
return dead
`);

/**
 * Which signaling processes are alive: each one scores itself in a sorted set every `beatMs`.
 * A process killed with -9 runs no disconnect handler, so nobody would hold its participants'
 * seats; the survivor that claims it does (`onNodeDead`), and the 60 s window starts then.
 *
 * A process that was claimed while it was in fact alive (cut off from Redis alone, or stalled
 * longer than `deadAfterMs`) finds its own entry gone at its next beat. Its sockets' seats are
 * held and their sessions detached by then, so it is fenced (`onFenced`): it drops its sockets,
 * and their clients resume (login resume, then conference resume: others see `replaced`)
 * instead of staying on a seat that is released under them 60 s later.
 */
export class NodeRegistry {
  readonly #key: string;
  readonly #beatMs: number;
  readonly #deadAfterMs: number;
  readonly #outageGraceMs: number;
  #cancel: (() => void) | null = null;
  #closed = false;
  #failing = false;
  /** Redis was out of reach since the last beat (a failed beat or a dropped connection). */
  #outage = false;
  /** Claims nobody before this time (the grace after an outage). */
  #claimFrom = 0;
  /** Our entry exists since our first beat: from then on, finding it gone means we were claimed. */
  #registered = false;
  #unwatch: (() => void) | null = null;

  constructor(
    private readonly redis: Redis,
    private readonly options: NodeRegistryOptions,
  ) {
    this.#key = `${options.keyPrefix}nodes`;
    this.#deadAfterMs = options.deadAfterMs ?? 5_000;
    this.#beatMs = options.beatMs ?? Math.min(1_000, Math.floor(this.#deadAfterMs / 3));
    this.#outageGraceMs = options.outageGraceMs ?? REDIS_RECONNECT_CAP_MS + this.#beatMs + this.#deadAfterMs;
  }

  /**
   * `onNodeDead` runs in exactly one surviving process per dead one; `onFenced` in this process
   * when it finds that it was taken for dead.
   */
  start(onNodeDead: (nodeId: string) => Promise<void>, onFenced: () => void = () => {}): void {
    // An outage shorter than a beat may fall between two beats: the connection tells.
    const onClose = () => {
      this.#outage = true;
    };
    this.redis.on('close', onClose);
    this.#unwatch = () => this.redis.off('close', onClose);
    const tick = async (): Promise<void> => {
      const { clock, nodeId, logger } = this.options;
      try {
        const now = clock.now();
        const added = await this.redis.zadd(this.#key, now, nodeId);
        if (this.#outage) {
          this.#outage = false;
          this.#claimFrom = now + this.#outageGraceMs;
        }
        if (added === 1 && this.#registered) {
          logger.warn(
            'this process was taken for dead by another one: dropping its sockets to make them resume',
          );
          onFenced();
        }
        this.#registered = true;
        if (now >= this.#claimFrom) {
          const dead = (await CLAIM_DEAD.run(this.redis, [this.#key], [now - this.#deadAfterMs])) as string[];
          for (const node of dead) {
            logger.warn({ node }, 'signaling process stopped answering; holding its seats');
            await onNodeDead(node);
          }
        }
        if (this.#failing) logger.info('node registry recovered');
        this.#failing = false;
      } catch (err) {
        if (!this.#failing) logger.error({ err }, 'node registry heartbeat failed');
        this.#failing = true;
        this.#outage = true;
      }
      if (!this.#closed) this.#cancel = clock.setTimeout(() => void tick(), this.#beatMs);
    };
    void tick();
  }

  /**
   * Stops beating and marks this process dead at once: a survivor holds its seats within
   * `beatMs` instead of `deadAfterMs` (our own disconnect handlers may do it too; holding is
   * idempotent). With no survivor, the next process to start does it.
   */
  async close(): Promise<void> {
    this.#closed = true;
    this.#cancel?.();
    this.#unwatch?.();
    await this.redis.zadd(this.#key, 0, this.options.nodeId).catch(() => {});
  }
}
