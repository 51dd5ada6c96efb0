import { randomBytes } from 'node:crypto';
import type { Clock } from './clock.ts';
import { type Deadlines, LocalDeadlines } from './deadlines.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import type { Locks } from './locks.ts';
import { type Limiter, localLimiter, RateLimiter } from './rate-limit.ts';

/**
 * What the signaling processes of one deployment share besides the store: deadlines, conference
 * locks, who is alive, and the socket.io adapter that carries emits between them. One process
 * (`npm start`) has `localCoordination`; several on one Redis have `redisCoordination`
 * (cluster/redis-coordination.ts).
 */
export interface Coordination {
  /** This process: the prefix of its socket refs (`<nodeId>/<socket id>`). */
  readonly nodeId: string;
  readonly deadlines: Deadlines;
  readonly locks: Locks;
  readonly limiter: Limiter;
  /** socket.io's `adapter` option; undefined: the in-memory adapter. */
  readonly adapter?: unknown;
  /** Resolves once the broadcasts made so far reached the other processes' channel. */
  broadcastsSent(): Promise<void>;
  /** Watches for processes that died; `onNodeDead` runs in one survivor per dead process. */
  watchNodes(onNodeDead: (nodeId: string) => Promise<void>): void;
  /** Whether the shared state can be reached (for /healthz). */
  healthy(): Promise<boolean>;
  close(): Promise<void>;
}

export function newNodeId(): string {
  return randomBytes(6).toString('base64url');
}

export function localCoordination(clock: Clock, rateLimitWindowMs: number): Coordination {
  const deadlines = new LocalDeadlines(clock);
  return {
    nodeId: newNodeId(),
    deadlines,
    locks: new KeyedMutex(),
    limiter: localLimiter(new RateLimiter(clock, rateLimitWindowMs)),
    watchNodes() {},
    broadcastsSent: async () => {},
    healthy: async () => true,
    async close() {
      deadlines.close();
    },
  };
}
