import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test as base } from '@playwright/test';
import { makeCertificate } from '../../support/certificate.ts';
import { startTestServer, type TestServer, type TestServerOptions } from './server.ts';

export interface ServerFixtureOptions extends Omit<TestServerOptions, 'tls'> {
  /**
   * HTTPS and WSS with a throwaway self-signed certificate for localhost and 127.0.0.1 (made per
   * test, removed after it); open pages in contexts with `ignoreHTTPSErrors: true`.
   */
  tls?: boolean;
}

/**
 * `server`: a fresh signaling server per test, so no state leaks between tests. The test's
 * browser contexts are closed first: an offline page never answers a WebSocket close, which
 * would hold the server's shutdown for ws's 30 s close timeout. `serverOptions` (through
 * `test.use`) configures it, e.g. `{ tls: true }`.
 */
export const test = base.extend<{ server: TestServer; serverOptions: ServerFixtureOptions }>({
  serverOptions: [{}, { option: true }],
  server: async ({ browser, serverOptions }, use) => {
    const { tls, ...options } = serverOptions;
    const dir = tls ? mkdtempSync(join(tmpdir(), 'e2e-tls-')) : null;
    try {
      const certificate = dir ? makeCertificate(dir, 'server') : null;
      const server = await startTestServer({
        ...options,
        ...(certificate ? { tls: { cert: certificate.cert, key: certificate.key } } : {}),
      });
      await use(server);
      await Promise.all(browser.contexts().map((c) => c.close()));
      await server.close();
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  },
});
