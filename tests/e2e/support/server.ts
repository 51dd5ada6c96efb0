/**
 * The real signaling server, on a free port with a clock the test can jump (the server half of
 * "virtual time" for the 60 s window), in a worker thread of its own, as in production it has a
 * process: in the Playwright worker's own event loop (traces, screencasts, CDP for three
 * browsers) it stalled 0.6–0.7 s twice in one short test, and up to 3.1 s with one core busy,
 * long enough for sockets' heartbeats to time out and for the SDK's pings to miss deadlines.
 */
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import type { TlsSettings } from '../../../signaling-server/src/config.ts';

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
  /** Jumps the server's clock ahead by `ms` (jump-clock.ts), running the timers now due. */
  clock: { advance(ms: number): Promise<void> };
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
  // The thread loads TypeScript through tsx (a worker inherits none of the test runner's loader).
  const tsx = import.meta.resolve('tsx/esm/api');
  const entry = new URL('./server-thread.ts', import.meta.url).href;
  const thread = new Worker(
    `import(${JSON.stringify(tsx)}).then(({ tsImport }) => tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}))`,
    { eval: true, workerData: options },
  );
  const reply = async (key: string) => {
    for (;;) {
      const [message] = (await once(thread, 'message')) as [Record<string, unknown>];
      if (key in message) return message[key];
    }
  };
  const { port, metricsPort } = (await reply('listening')) as { port: number; metricsPort: number };
  const scheme = options.tls ? 'https' : 'http';
  return {
    url: `${scheme}://localhost:${port}`,
    ipUrl: `${scheme}://127.0.0.1:${port}`,
    port,
    metricsUrl: `http://127.0.0.1:${metricsPort}/metrics`,
    clock: {
      async advance(ms) {
        thread.postMessage({ advance: ms });
        await reply('advanced');
      },
    },
    close: async () => {
      thread.postMessage({ close: true });
      await reply('closed');
      await thread.terminate();
    },
  };
}

/** One series' value from a Prometheus text page, e.g. `name{label="x"}`; 0 when absent. */
export async function metric(metricsUrl: string, series: string): Promise<number> {
  const text = await (await fetch(metricsUrl)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return Number(line?.slice(series.length + 1) ?? 0);
}
