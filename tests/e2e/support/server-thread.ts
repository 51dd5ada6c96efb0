/**
 * The signaling server of one e2e test, in a worker thread of the Playwright worker (server.ts).
 * Messages: `{ advance: ms }` jumps its clock; `{ close: true }` closes it. It says
 * `{ listening: { port, metricsPort } }` once up, `{ advanced: true }` and `{ closed: true }` after.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { defaultConfig } from '../../../signaling-server/src/config.ts';
import { createLogger } from '../../../signaling-server/src/logger.ts';
import { createSignalingServer } from '../../../signaling-server/src/server.ts';
import { MemoryStore } from '../../../signaling-server/src/store/memory-store.ts';
import { JumpClock } from './jump-clock.ts';
import type { TestServerOptions } from './server.ts';

const port = parentPort;
if (!port) throw new Error('server-thread.ts runs as a worker thread');
const { tls, ...storeOptions } = workerData as TestServerOptions;
const clock = new JumpClock();
const config = defaultConfig({
  port: 0,
  host: '127.0.0.1',
  logLevel: process.env.E2E_LOG_LEVEL ?? 'warn',
  // A free port: parallel workers (and a server on this machine) would collide on 9464.
  metrics: { port: 0, host: '127.0.0.1' },
  tls: tls ?? null,
});
const server = createSignalingServer({
  config,
  store: new MemoryStore({ clock, ...storeOptions }),
  clock,
  logger: createLogger(config.logLevel),
});
port.on('message', (message: { advance?: number; close?: boolean }) => {
  if (message.advance !== undefined) {
    clock.advance(message.advance);
    port.postMessage({ advanced: true });
  }
  if (message.close) void server.close().then(() => port.postMessage({ closed: true }));
});
port.postMessage({ listening: await server.listen(0, '127.0.0.1') });
