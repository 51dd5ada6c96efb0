/**
 * Two real signaling processes on one Redis behind a plain TCP load balancer, two browsers:
 * Ada's socket lands on node 1, Bob's on node 2. They see and hear each other and chat across
 * processes; then node 1 is killed with -9 and Ada's SDK resumes through the balancer on node 2
 * (new handle linked to the original, a replacement for Bob), and video flows again.
 */
import { resolve } from 'node:path';
import { expect, test } from '@playwright/test';
import { ResultCode } from '../../shared/src/result-codes.ts';
import { REPO_ROOT } from '../../signaling-server/src/config.ts';
import { ServerProcess, TcpBalancer } from '../support/cluster.ts';
import { startRedis, type TestRedis } from '../support/redis.ts';
import {
  changesAbout,
  chatTexts,
  events,
  expectVideoFrom,
  history,
  joinByLink,
  ownHandle,
  RESUME_SEQUENCE,
  rosterNames,
} from './support/meeting.ts';

let redis: TestRedis | undefined;
let nodes: ServerProcess[] = [];
let lb: TcpBalancer | undefined;

test.afterEach(async ({ browser }) => {
  await Promise.all(browser.contexts().map((c) => c.close()));
  await lb?.close();
  await Promise.all(nodes.map((n) => n.dispose()));
  await redis?.stop();
  nodes = [];
});

async function say(page: import('@playwright/test').Page, text: string): Promise<void> {
  await page.locator('#chat-input').fill(text);
  await page.locator('#chat-send').click();
}

test('two processes: video and chat across them; the node holding Ada is killed -9, she resumes on the other', async ({
  browser,
}) => {
  redis = await startRedis();
  const redisPrefix = `e2e:cluster:${Date.now()}:`;
  const options = (name: string) => ({
    redisUrl: (redis as TestRedis).url,
    redisPrefix,
    name,
    nodeDeadAfterMs: 1_500,
    env: { STATIC_DIR: resolve(REPO_ROOT, 'dist/web') },
  });
  const [n1, n2] = await Promise.all([
    ServerProcess.start(options('node1')),
    ServerProcess.start(options('node2')),
  ]);
  nodes = [n1, n2];
  // The balancer's backends can change between joins: that is how each lands where the test wants.
  let backends = [n1.port];
  lb = new TcpBalancer(() => backends);
  await lb.listen();

  const room = `cluster-${Date.now()}`;
  const a = await joinByLink(browser, lb.url, room, 'Ada');
  backends = [n2.port];
  const b = await joinByLink(browser, lb.url, room, 'Bob');
  backends = [n1.port, n2.port];

  await expectVideoFrom(a.page, ['Bob']);
  await expectVideoFrom(b.page, ['Ada']);
  for (const p of [a, b]) expect(await rosterNames(p.page)).toEqual(['Ada', 'Bob']);
  await say(a.page, 'from node 1');
  await expect.poll(() => chatTexts(b.page)).toEqual(['from node 1']);
  await say(b.page, 'from node 2');
  for (const p of [a, b]) {
    await expect.poll(() => chatTexts(p.page)).toEqual(['from node 1', 'from node 2']);
  }

  const h0 = await ownHandle(a.page);
  const before = (await events(a.page)).length;
  const routesBefore = lb.routes.length;
  await n1.kill('SIGKILL');

  await expect
    .poll(async () => (await events(a.page)).slice(before), { timeout: 15_000 })
    .toEqual(RESUME_SEQUENCE);
  const episode = (await history(a.page)).slice(before);
  expect(episode[4]).toMatchObject({ param2: ResultCode.TSDK_SUCCESS });
  const h1 = episode[5]?.param1;
  expect(episode[5]).toMatchObject({ param2: ResultCode.TSDK_SUCCESS, data: { original_handle: h0 } });
  expect(h1).toBeGreaterThan(0);
  expect(h1).not.toBe(h0);
  // Ada's new socket went through the balancer to node 2. (Whether node 1 refused it first
  // depends on where the round robin stood: a count of failovers would be a coin toss.)
  expect(lb.routes.slice(routesBefore)).toContain(n2.port);

  await expect.poll(() => changesAbout(b.page, [h0, h1 ?? -1])).toContain('replaced');
  const changes = await changesAbout(b.page, [h0, h1 ?? -1]);
  expect(changes.filter((c) => c === 'replaced')).toHaveLength(1);
  expect(changes).not.toContain('left');
  expect(changes).not.toContain('joined');
  expect(await rosterNames(b.page)).toEqual(['Ada', 'Bob']);

  await expectVideoFrom(b.page, ['Ada']);
  await expectVideoFrom(a.page, ['Bob']);
  await say(a.page, 'from node 2 now');
  await expect.poll(() => chatTexts(b.page)).toEqual(['from node 1', 'from node 2', 'from node 2 now']);
  expect(n2.logLines(50), 'node 2 errors').toEqual([]);
});
