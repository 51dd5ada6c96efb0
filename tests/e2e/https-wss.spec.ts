/**
 * The product over HTTPS and WSS (spec §10: browsers grant the camera only to secure origins, so
 * another machine opens the meeting over https://): the e2e server with a throwaway self-signed
 * certificate (`serverOptions: { tls: true }`), Chromium trusting it through `ignoreHTTPSErrors`.
 * On loopback: no NAT lab, no root. A participant joins over wss://, then resumes after 2 s
 * offline with the exact TSDK episode, on a new wss:// socket; video flows both ways throughout.
 */
import { expect, type Page } from '@playwright/test';
import { ResultCode } from '../../shared/src/result-codes.ts';
import { test } from './support/fixtures.ts';
import {
  events,
  expectResumeEpisode,
  expectVideoFrom,
  framesOver,
  history,
  joinByLink,
  ownHandle,
} from './support/meeting.ts';

test.use({ serverOptions: { tls: true } });

test('HTTPS + WSS with a throwaway certificate: join over wss://, resume after 2 s offline, video both ways', async ({
  browser,
  server,
}) => {
  test.setTimeout(60_000);
  expect(server.url).toMatch(/^https:\/\/localhost:\d+$/);
  const sockets = new Map<string, string[]>();
  const watchSockets = (name: string) => async (page: Page) => {
    sockets.set(name, []);
    page.on('websocket', (ws) => sockets.get(name)?.push(ws.url()));
  };
  const join = (name: string) =>
    joinByLink(browser, server.url, 'tls', name, {
      contextOptions: { ignoreHTTPSErrors: true },
      beforeJoin: watchSockets(name),
    });
  const a = await join('Ada');
  const b = await join('Bob');
  expect(new URL(a.page.url()).protocol).toBe('https:');
  // A secure context: the camera was granted (the local tile plays) and the join succeeded.
  expect(await a.page.evaluate(() => window.isSecureContext)).toBe(true);
  const joined = (await history(a.page)).find((n) => n.event === 'TSDK_E_CONF_EVT_JOIN_CONF_RESULT');
  expect(joined).toMatchObject({ param2: ResultCode.TSDK_SUCCESS });
  const wss = new RegExp(`^wss://localhost:${server.port}/socket\\.io/`);
  expect(sockets.get('Ada')).toEqual([expect.stringMatching(wss)]);
  await expectVideoFrom(a.page, ['Bob']);
  await expectVideoFrom(b.page, ['Ada']);

  const h0 = await ownHandle(a.page);
  const before = (await events(a.page)).length;
  await a.context.setOffline(true);
  // Offline for 2 s (past the SDK's 1 s grace, so an episode starts), measuring meanwhile that
  // A's video keeps reaching B: offline emulation does not touch WebRTC.
  const offlineFrames = await framesOver(b.page, 'Ada', 2_000);
  await a.context.setOffline(false);
  const onlineAt = Date.now();
  const { h1, records } = await expectResumeEpisode(a.page, before, h0);
  const resumedMs = (records.at(-1)?.at ?? 0) - onlineAt;
  expect(offlineFrames, 'A’s video reached B while A was offline').toBeGreaterThan(5);
  // The resume came over a second socket, also wss://.
  expect(sockets.get('Ada')).toEqual([expect.stringMatching(wss), expect.stringMatching(wss)]);
  await expectVideoFrom(a.page, ['Bob']);
  await expectVideoFrom(b.page, ['Ada']);
  await expect(b.page.locator(`#video-grid video[data-handle="${h1}"]`)).toHaveCount(1);
  console.log(
    `[https-wss] online → CONF_RESUME_RESULT ${resumedMs} ms; h0 ${h0} → h1 ${h1}; frames on B during 2 s offline ${offlineFrames}; sockets ${JSON.stringify(sockets.get('Ada'))}`,
  );
});
