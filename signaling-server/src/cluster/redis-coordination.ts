import { createAdapter } from '@socket.io/redis-streams-adapter';
import type { Redis } from 'ioredis';
import type { ClusterAdapter } from 'socket.io-adapter';
import type { Clock } from '../clock.ts';
import { type Coordination, newNodeId } from '../coordination.ts';
import type { Logger } from '../logger.ts';
import { disconnectLocalSockets, localFirst, published } from './local-first-adapter.ts';
import { NodeRegistry } from './node-registry.ts';
import { RedisDeadlines } from './redis-deadlines.ts';
import { RedisLocks } from './redis-locks.ts';
import { RedisRateLimiter } from './redis-rate-limiter.ts';

export interface RedisCoordinationOptions {
  clock: Clock;
  logger: Logger;
  keyPrefix: string;
  /** The connection the socket.io adapter publishes on (it duplicates it to read). */
  bus: Redis;
  nodeId?: string;
  nodeDeadAfterMs?: number;
  rateLimitWindowMs: number;
}

/**
 * Several signaling processes on one Redis. The socket.io adapter is the Redis **Streams**
 * adapter, not the pub/sub one: a relay or chat emitted while a process's Redis connection
 * blips is read from the stream when it reconnects instead of being dropped (pub/sub is
 * fire-and-forget), and it needs one blocking connection instead of a subscriber per process.
 * Wrapped by `localFirst`: this process's own sockets are served at once, as with one process.
 */
export function redisCoordination(redis: Redis, options: RedisCoordinationOptions): Coordination {
  const { clock, logger, keyPrefix } = options;
  const nodeId = options.nodeId ?? newNodeId();
  const deadlines = new RedisDeadlines(redis, { clock, keyPrefix, logger });
  const registry = new NodeRegistry(redis, {
    nodeId,
    keyPrefix,
    clock,
    logger,
    ...(options.nodeDeadAfterMs ? { deadAfterMs: options.nodeDeadAfterMs } : {}),
  });
  const adapters: ClusterAdapter[] = [];
  return {
    nodeId,
    deadlines,
    locks: new RedisLocks(redis, { keyPrefix }),
    limiter: new RedisRateLimiter(redis, { clock, keyPrefix, windowMs: options.rateLimitWindowMs }),
    adapter: localFirst(
      createAdapter(options.bus, {
        streamName: `${keyPrefix}socket.io`,
        channelPrefix: `${keyPrefix}socket.io`,
      }),
      (adapter) => adapters.push(adapter),
    ),
    // Taken for dead while alive: another process holds our sockets' seats; they resume.
    watchNodes: (onNodeDead) => registry.start(onNodeDead, () => adapters.forEach(disconnectLocalSockets)),
    async broadcastsSent() {
      await Promise.all(adapters.map(published));
    },
    async healthy() {
      try {
        return (await redis.ping()) === 'PONG';
      } catch {
        return false;
      }
    },
    async close() {
      deadlines.close();
      await registry.close();
    },
  };
}
