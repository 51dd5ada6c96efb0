/**
 * `npm start`: one signaling server with the in-memory store, serving the built web app.
 * Configuration: see config.ts (PORT, HOST, STATIC_DIR, ALLOW_GUESTS, ACCOUNTS_FILE, LOG_LEVEL).
 */
import { systemClock } from './clock.ts';
import { loadConfig } from './config.ts';
import { createLogger } from './logger.ts';
import { createSignalingServer } from './server.ts';
import { MemoryStore } from './store/memory-store.ts';

const config = loadConfig();
const logger = createLogger(config.logLevel);
const server = createSignalingServer({
  config,
  store: new MemoryStore({ clock: systemClock }),
  clock: systemClock,
  logger,
});

const { port } = await server.listen();
console.log(`Meeting running at http://localhost:${port}`);

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logger.info({ signal }, 'shutting down');
  await server.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
