/**
 * `npm start`: one signaling server serving the built web app, with the in-memory store; with
 * `REDIS_URL`, one of several processes sharing that Redis (README: "Several processes").
 * Configuration: see config.ts (PORT, HOST, STATIC_DIR, ALLOW_GUESTS, ACCOUNTS_FILE, LOG_LEVEL,
 * REDIS_URL, REDIS_PREFIX, rate limits).
 */
import { systemClock } from './clock.ts';
import { openRedisDeployment } from './cluster/redis-deployment.ts';
import { loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { createSignalingServer } from './server.ts';
import { MemoryStore } from './store/memory-store.ts';

const config = loadConfig();
const logger = createLogger(config.logLevel);
const clock = systemClock;
const redis = config.redisUrl
  ? await openRedisDeployment({
      url: config.redisUrl,
      keyPrefix: config.redisPrefix,
      nodeDeadAfterMs: config.nodeDeadAfterMs,
      rateLimitWindowMs: config.rateLimit.windowMs,
      clock,
      logger,
    })
  : null;
const server = createSignalingServer({
  config,
  clock,
  logger,
  processMetrics: true,
  ...(redis
    ? { store: redis.store, coordination: redis.coordination }
    : { store: new MemoryStore({ clock }) }),
});

const { port } = await server.listen();
console.log(
  `Meeting running at http://localhost:${port}${redis ? ` (Redis mode, node ${redis.coordination.nodeId})` : ''}`,
);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  await server.close();
  await redis?.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
