/**
 * `npm start`: one signaling server serving the built web app, with the in-memory store; with
 * `REDIS_URL`, one of several processes sharing that Redis (README: "Several processes").
 * Configuration: see config.ts (PORT, HOST, STATIC_DIR, ALLOW_GUESTS, ACCOUNTS_FILE, LOG_LEVEL,
 * SOURCE_MAPS, REDIS_URL, REDIS_PREFIX, NODE_DEAD_AFTER_MS, rate limits, STUN/TURN, TLS, origins,
 * quotas, METRICS_PORT/METRICS_HOST, memory limits).
 */
import { systemClock } from './clock.ts';
import { loadConfig } from './config.ts';
import { openDeployment } from './deployment.ts';
import { createLogger } from './logger.ts';
import { createSignalingServer } from './server.ts';

const config = loadConfig();
process.setSourceMapsEnabled(config.sourceMaps);
const logger = createLogger(config.logLevel);
const clock = systemClock;
const deployment = await openDeployment(config, clock, logger);
const server = createSignalingServer({
  config,
  clock,
  logger,
  processMetrics: true,
  ...deployment.serverOptions,
});

const { port, metricsPort } = await server.listen();
const scheme = config.tls ? 'https' : 'http';
console.log(
  `Meeting running at ${scheme}://localhost:${port}${deployment.coordination ? ` (${deployment.describe})` : ''}`,
);
console.log(`Metrics at http://${config.metrics.host}:${metricsPort}/metrics`);
// What peers are told, so an operator sees it took; the TURN secret never appears in any output.
const { ice } = config;
const stun = ice.stunUrls.length > 0 ? `STUN ${ice.stunUrls.join(' ')}` : 'no STUN';
const turn = ice.turn ? `TURN ${ice.turn.urls.join(' ')} (credentials valid ${ice.turn.ttlS} s)` : 'no TURN';
console.log(`ICE: ${stun}; ${turn}${ice.policy === 'relay' ? '; relay only' : ''}`);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  await server.close();
  await deployment.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
