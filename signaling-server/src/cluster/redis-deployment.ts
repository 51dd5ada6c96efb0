import { Redis } from 'ioredis';
import type { Clock } from '../clock.ts';
import type { Coordination } from '../coordination.ts';
import type { Logger } from '../logger.ts';
import { RedisStore } from '../store/redis-store.ts';
import type { Store } from '../store/store.ts';
import { REDIS_RECONNECT_CAP_MS } from './node-registry.ts';
import { redisCoordination } from './redis-coordination.ts';

export interface RedisDeploymentOptions {
  url: string;
  keyPrefix: string;
  clock: Clock;
  logger: Logger;
  nodeId?: string;
  /** See NodeRegistry. */
  nodeDeadAfterMs?: number;
  rateLimitWindowMs: number;
  maxEventsPerConference?: number;
  maxEventBytesPerConference?: number;
}

export interface RedisDeployment {
  store: Store;
  coordination: Coordination;
  /** Closes the Redis connections (after the server closed). */
  close(): Promise<void>;
}

/**
 * Connects one signaling process to the deployment's Redis (`REDIS_URL`). Two connections:
 * - state (store, locks, deadlines) fails fast while Redis is away, so a request gets a clear
 *   SERVER_UNAVAILABLE (retryable: the client's resume policy tries again) instead of hanging;
 * - the socket.io adapter's keeps ioredis's offline queue: a broadcast made while Redis is away is
 *   sent on reconnection, and the Streams adapter's reader (which retries at once after an
 *   error) waits instead of spinning.
 * Both reconnect on their own, forever, with a capped backoff.
 */
export async function openRedisDeployment(options: RedisDeploymentOptions): Promise<RedisDeployment> {
  const { url, keyPrefix, clock, logger } = options;
  const retryStrategy = (attempt: number) => Math.min(50 * 2 ** attempt, REDIS_RECONNECT_CAP_MS);
  const state = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    retryStrategy,
    lazyConnect: true,
    connectionName: 'signaling-state',
  });
  const bus = new Redis(url, { retryStrategy, lazyConnect: true, connectionName: 'signaling-bus' });
  let down = false;
  state.on('error', (err: Error) => {
    // ioredis repeats the error on every reconnection attempt: one line per outage.
    if (!down) logger.error({ err: err.message }, 'redis unreachable');
    down = true;
  });
  state.on('ready', () => {
    if (down) logger.info('redis reachable again');
    down = false;
  });
  bus.on('error', () => {});
  await Promise.all([state.connect(), bus.connect()]);

  const store = new RedisStore(state, {
    clock,
    keyPrefix,
    ...(options.maxEventsPerConference ? { maxEventsPerConference: options.maxEventsPerConference } : {}),
    ...(options.maxEventBytesPerConference
      ? { maxEventBytesPerConference: options.maxEventBytesPerConference }
      : {}),
  });
  const coordination = redisCoordination(state, {
    clock,
    logger,
    keyPrefix,
    bus,
    rateLimitWindowMs: options.rateLimitWindowMs,
    ...(options.nodeDeadAfterMs ? { nodeDeadAfterMs: options.nodeDeadAfterMs } : {}),
    ...(options.nodeId ? { nodeId: options.nodeId } : {}),
  });
  return {
    store,
    coordination,
    async close() {
      state.disconnect();
      bus.disconnect();
    },
  };
}
