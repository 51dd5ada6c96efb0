import type { Clock } from './clock.ts';
import { openRedisDeployment } from './cluster/redis-deployment.ts';
import type { Config } from './config.ts';
import type { Coordination } from './coordination.ts';
import type { Logger } from './logger.ts';
import { MemoryStore } from './store/memory-store.ts';
import type { Store } from './store/store.ts';

export interface Deployment {
  /** What createSignalingServer takes from it: the store, and the coordination when shared. */
  serverOptions: { store: Store; coordination?: Coordination };
  /** Absent: this process alone (createSignalingServer's default). */
  coordination?: Coordination;
  /** Closes the connections to shared state (after the server closed). */
  close(): Promise<void>;
  /** For the start-up line. */
  describe: string;
}

/** What the config asks for: everything in memory, or one process of a Redis deployment. */
export async function openDeployment(config: Config, clock: Clock, logger: Logger): Promise<Deployment> {
  if (!config.redisUrl) {
    return {
      serverOptions: {
        store: new MemoryStore({
          clock,
          maxEventsPerConference: config.memory.eventLogMaxEvents,
          maxEventBytesPerConference: config.memory.eventLogMaxBytes,
        }),
      },
      close: async () => {},
      describe: 'in-memory',
    };
  }
  const redis = await openRedisDeployment({
    url: config.redisUrl,
    keyPrefix: config.redisPrefix,
    nodeDeadAfterMs: config.nodeDeadAfterMs,
    rateLimitWindowMs: config.rateLimit.windowMs,
    maxEventsPerConference: config.memory.eventLogMaxEvents,
    maxEventBytesPerConference: config.memory.eventLogMaxBytes,
    clock,
    logger,
  });
  return {
    serverOptions: { store: redis.store, coordination: redis.coordination },
    coordination: redis.coordination,
    close: () => redis.close(),
    describe: `Redis mode, node ${redis.coordination.nodeId}`,
  };
}
