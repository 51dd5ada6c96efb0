/**
 * The real signaling server, started inside the Playwright worker on a free port with a
 * clock the test can jump (the server half of "virtual time" for the 60 s window).
 */

import { defaultConfig, type TlsSettings } from '../../../signaling-server/src/config.ts';
import { createLogger } from '../../../signaling-server/src/logger.ts';
import { createSignalingServer } from '../../../signaling-server/src/server.ts';
import { MemoryStore } from '../../../signaling-server/src/store/memory-store.ts';
import { JumpClock } from './jump-clock.ts';

export interface TestServer {
  /**
   * `http://localhost:PORT` (`https://` with `tls`): socket.io-client notices `offline` only
   * through its heartbeat.
   */
  url: string;
  /** `http://127.0.0.1:PORT` (`https://` with `tls`): socket.io-client closes its transport on `offline` at once. */
  ipUrl: string;
  port: number;
  /** `/metrics`, on its own port (plain HTTP on 127.0.0.1). */
  metricsUrl: string;
  clock: JumpClock;
  close(): Promise<void>;
}

export interface TestServerOptions {
  /** A short history, to make a replay impossible on purpose. */
  maxEventsPerConference?: number;
  /**
   * A certificate (PEM): the port serves HTTPS and WSS, as with TLS_CERT_FILE/TLS_KEY_FILE.
   * A throwaway one comes from tests/support/certificate.ts; the browser context then needs
   * `ignoreHTTPSErrors: true`.
   */
  tls?: TlsSettings;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const { tls, ...storeOptions } = options;
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
  const { port, metricsPort } = await server.listen(0, '127.0.0.1');
  const scheme = tls ? 'https' : 'http';
  return {
    url: `${scheme}://localhost:${port}`,
    ipUrl: `${scheme}://127.0.0.1:${port}`,
    port,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    clock,
    close: () => server.close(),
  };
}

/** One series' value from a Prometheus text page, e.g. `name{label="x"}`; 0 when absent. */
export async function metric(metricsUrl: string, series: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return Number(line?.slice(series.length + 1) ?? 0);
}
