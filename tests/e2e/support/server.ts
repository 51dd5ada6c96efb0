/**
 * The real signaling server, started inside the Playwright worker on a free port with a
 * clock the test can jump (the server half of "virtual time" for the 60 s window).
 */

import { defaultConfig } from '../../../signaling-server/src/config.ts';
import { createLogger } from '../../../signaling-server/src/logger.ts';
import { createSignalingServer } from '../../../signaling-server/src/server.ts';
import { MemoryStore } from '../../../signaling-server/src/store/memory-store.ts';
import { JumpClock } from './jump-clock.ts';

export interface TestServer {
  /** `http://localhost:PORT`: socket.io-client notices `offline` only through its heartbeat. */
  url: string;
  /** `http://127.0.0.1:PORT`: socket.io-client closes its transport on `offline` at once. */
  ipUrl: string;
  port: number;
  clock: JumpClock;
  close(): Promise<void>;
}

/** `maxEventsPerConference`: a short history, to make a replay impossible on purpose. */
export async function startTestServer(
  options: { maxEventsPerConference?: number } = {},
): Promise<TestServer> {
  const clock = new JumpClock();
  const config = defaultConfig({
    port: 0,
    host: '127.0.0.1',
    logLevel: process.env.E2E_LOG_LEVEL ?? 'warn',
    // A free port: parallel workers (and a server on this machine) would collide on 9464.
    metrics: { port: 0, host: '127.0.0.1' },
  });
  const server = createSignalingServer({
    config,
    store: new MemoryStore({ clock, ...options }),
    clock,
    logger: createLogger(config.logLevel),
  });
  const { port } = await server.listen(0, '127.0.0.1');
  return {
    url: `http://localhost:${port}`,
    ipUrl: `http://127.0.0.1:${port}`,
    port,
    clock,
    close: () => server.close(),
  };
}
