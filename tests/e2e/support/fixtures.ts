import { test as base } from '@playwright/test';
import { startTestServer, type TestServer } from './server.ts';

/** `server`: a fresh signaling server per test, so no state leaks between tests. */
export const test = base.extend<{ server: TestServer }>({
  // biome-ignore lint/correctness/noEmptyPattern: Playwright reads the fixture's dependencies from this pattern.
  server: async ({}, use) => {
    const server = await startTestServer();
    await use(server);
    await server.close();
  },
});
