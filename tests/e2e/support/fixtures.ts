import { test as base } from '@playwright/test';
import { startTestServer, type TestServer } from './server.ts';

/**
 * `server`: a fresh signaling server per test, so no state leaks between tests. The test's
 * browser contexts are closed first: an offline page never answers a WebSocket close, which
 * would hold the server's shutdown for ws's 30 s close timeout.
 */
export const test = base.extend<{ server: TestServer }>({
  server: async ({ browser }, use) => {
    const server = await startTestServer();
    await use(server);
    await Promise.all(browser.contexts().map((c) => c.close()));
    await server.close();
  },
});
