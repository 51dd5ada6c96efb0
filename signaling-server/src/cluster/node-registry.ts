import type { Redis } from 'ioredis';
import type { Clock } from '../clock.ts';
import type { Logger } from '../logger.ts';
import { LuaScript } from '../store/lua-script.ts';

export interface NodeRegistryOptions {
  nodeId: string;
  keyPrefix: string;
  clock: Clock;
  logger: Logger;
  /** How often this process says it is alive. */
  beatMs?: number;
  /** A process silent this long is dead: the seats it served are held by the others. */
  deadAfterMs?: number;
}

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
 */
export class NodeRegistry {
  readonly #key: string;
  readonly #beatMs: number;
  readonly #deadAfterMs: number;
  #cancel: (() => void) | null = null;
  #closed = false;
  #failing = false;

  constructor(
    private readonly redis: Redis,
    private readonly options: NodeRegistryOptions,
  ) {
    this.#key = `${options.keyPrefix}nodes`;
    this.#beatMs = options.beatMs ?? 1_000;
    this.#deadAfterMs = options.deadAfterMs ?? 5_000;
  }

  /** `onNodeDead` runs in exactly one surviving process per dead one. */
  start(onNodeDead: (nodeId: string) => Promise<void>): void {
    const tick = async (): Promise<void> => {
      const { clock, nodeId, logger } = this.options;
      try {
        const now = clock.now();
        await this.redis.zadd(this.#key, now, nodeId);
        const dead = (await CLAIM_DEAD.run(this.redis, [this.#key], [now - this.#deadAfterMs])) as string[];
        for (const node of dead) {
          logger.warn({ node }, 'signaling process stopped answering; holding its seats');
          await onNodeDead(node);
        }
        if (this.#failing) logger.info('node registry recovered');
        this.#failing = false;
      } catch (err) {
        if (!this.#failing) logger.error({ err }, 'node registry heartbeat failed');
        this.#failing = true;
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
    await this.redis.zadd(this.#key, 0, this.options.nodeId).catch(() => {});
  }
}
