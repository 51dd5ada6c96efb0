/**
 * Spec §3 in real Chromium with `context.setOffline`: a signaling-only outage. Peer
 * connections are untouched by offline emulation (environment.md), so A's video must keep
 * decoding on B and C throughout, while A's login and conference are resumed with a new handle.
 */
import { expect, type Page } from '@playwright/test';
import { ResultCode } from '../../shared/src/result-codes.ts';
import { test } from './support/fixtures.ts';
import {
  changesAbout,
  events,
  expectVideoFrom,
  history,
  joinByLink,
  ownHandle,
  RESUME_SEQUENCE,
  remoteFrames,
  rosterNames,
} from './support/meeting.ts';
import { startTestServer } from './support/server.ts';

for (const via of ['localhost', '127.0.0.1'] as const) {
  test(`A offline 5 s via ${via}: exact TSDK sequence, new handle, a replacement for B and C, video never stops`, async ({
    browser,
    server,
  }) => {
    const url = via === 'localhost' ? server.url : server.ipUrl;
    const room = `offline-${via.replaceAll('.', '-')}`;
    const a = await joinByLink(browser, url, room, 'Ada');
    const b = await joinByLink(browser, url, room, 'Bob');
    const c = await joinByLink(browser, url, room, 'Cy');
    for (const [p, others] of [
      [a, ['Bob', 'Cy']],
      [b, ['Ada', 'Cy']],
      [c, ['Ada', 'Bob']],
    ] as const) {
      await expectVideoFrom(p.page, [...others]);
    }
    const h0 = await ownHandle(a.page);
    const before = (await events(a.page)).length;

    await a.context.setOffline(true);
    // Five seconds offline, sampling A's video on B and C every 500 ms: it must never stall.
    const samples: number[][] = [];
    for (let i = 0; i < 10; i++) {
      samples.push(await Promise.all([b, c].map(async (p) => (await remoteFrames(p.page)).Ada ?? 0)));
      await a.page.waitForTimeout(500);
    }
    await a.context.setOffline(false);
    for (let i = 1; i < samples.length; i++) {
      for (const k of [0, 1])
        expect(samples[i]?.[k], `A's frames on ${k ? 'Cy' : 'Bob'} at sample ${i}`).toBeGreaterThan(
          samples[i - 1]?.[k] ?? 0,
        );
    }

    await expect.poll(async () => (await events(a.page)).slice(before)).toEqual(RESUME_SEQUENCE);
    const episode = (await history(a.page)).slice(before);
    expect(episode[0]).toMatchObject({ param1: h0, param2: 0 });
    expect(episode[4]).toMatchObject({ param1: 0, param2: ResultCode.TSDK_SUCCESS });
    const result = episode[5];
    const h1 = result?.param1;
    expect(h1).not.toBe(h0);
    expect(result).toMatchObject({
      param2: ResultCode.TSDK_SUCCESS,
      data: {
        original_handle: h0,
        join_conf_ind_info: { conf_media_type: 'TSDK_E_CONF_MEDIA_VIDEO', svc_label_count: 0, svc_label: [] },
      },
    });
    expect(await ownHandle(a.page)).toBe(h1);
    await expect(a.page.locator('#status-banner')).toBeEmpty();

    for (const p of [b, c]) {
      await expect.poll(() => changesAbout(p.page, [h0, h1 ?? -1])).toContain('replaced');
      const changes = await changesAbout(p.page, [h0, h1 ?? -1]);
      expect(changes).not.toContain('left');
      expect(changes.filter((ch) => ch === 'joined')).toEqual([]);
      expect(await rosterNames(p.page)).toEqual(['Ada', 'Bob', 'Cy']);
      await expect(p.page.locator(`#participants li[data-handle="${h1}"]`)).toBeVisible();
      await expect(p.page.locator(`#video-grid video[data-handle="${h1}"]`)).toHaveCount(1);
    }
    await expectVideoFrom(a.page, ['Bob', 'Cy']);
    await expectVideoFrom(b.page, ['Ada', 'Cy']);

    // The conference goes on as after a normal join: chat from the new handle reaches everyone.
    await a.page.locator('#chat-input').fill('back again');
    await a.page.locator('#chat-send').click();
    for (const p of [b, c]) await expect(p.page.locator('#chat-log')).toContainText('back again');
  });
}

test('A offline past 60 s: abandoned with the original handle, A leaves the meeting, B sees A leave', async ({
  browser,
  server,
}) => {
  const room = 'abandon';
  const a = await joinByLink(browser, server.ipUrl, room, 'Ada', { clock: true });
  const b = await joinByLink(browser, server.ipUrl, room, 'Bob');
  await expectVideoFrom(b.page, ['Ada']);
  const h0 = await ownHandle(a.page);
  const before = (await events(a.page)).length;

  await a.context.setOffline(true);
  await expect
    .poll(async () => (await events(a.page)).slice(before))
    .toEqual(['TSDK_E_CONF_EVT_CONF_RESUMING_IND', 'TSDK_E_LOGIN_EVT_LOGIN_RESUMING_IND']);
  await expect(a.page.locator('#status-banner')).toContainText(
    'Poor network quality. Attempting to join the meeting again...',
  );
  // Jump to 1 s before the deadline, counted from CONF_RESUMING_IND on the page's own clock, and
  // stop the clock there: left running, it moved on while the test measured and jumped (a CI run
  // took ~1 s between two calls, and the page reached its deadline before the check).
  const resumingAt = (await history(a.page))[before]?.at ?? 0;
  await a.page.clock.pauseAt(resumingAt + 59_000);
  expect((await events(a.page)).slice(before)).toHaveLength(2);
  await expect(a.page.locator('#status-banner')).toContainText(/\b1 ?s\b/);
  await a.page.clock.fastForward(1_000);
  await a.page.clock.resume();

  await expect
    .poll(async () => (await events(a.page)).slice(before))
    .toEqual([
      'TSDK_E_CONF_EVT_CONF_RESUMING_IND',
      'TSDK_E_LOGIN_EVT_LOGIN_RESUMING_IND',
      'TSDK_E_LOGIN_EVT_LOGIN_RESUME_RESULT',
      'TSDK_E_CONF_EVT_CONF_RESUME_RESULT',
    ]);
  const [, , login, conf] = (await history(a.page)).slice(before);
  expect(login).toMatchObject({ param1: 0, param2: ResultCode.RESUME_TIMEOUT });
  expect(conf).toMatchObject({
    param1: h0,
    param2: ResultCode.RESUME_TIMEOUT,
    data: { reason: 'RESUME_TIMEOUT' },
  });
  await expect(a.page.locator('#meeting')).toBeHidden();
  await expect(a.page.locator('#join-form')).toBeVisible();

  // The server holds the seat for its own window after it noticed the dead socket.
  await expect.poll(() => changesAbout(b.page, [h0])).toContain('status');
  await server.clock.advance(60_000);
  await expect.poll(() => rosterNames(b.page)).toEqual(['Bob']);
  expect(await changesAbout(b.page, [h0])).toContain('left');
  await expect(b.page.locator('#video-grid video[data-name="Ada"]')).toHaveCount(0);
});

test('logged in but not in a conference: only login resume events', async ({ browser, server }) => {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(server.ipUrl);
  await page.evaluate(() => window.meetingClient.login({ name: 'Solo' }));
  expect(await events(page)).toEqual(['TSDK_E_LOGIN_EVT_AUTH_SUCCESS', 'TSDK_E_LOGIN_EVT_LOGIN_SUCCESS']);

  await context.setOffline(true);
  await expect.poll(() => events(page)).toContain('TSDK_E_LOGIN_EVT_LOGIN_RESUMING_IND');
  await expect(page.locator('#status-banner')).toContainText(
    'Poor network quality. Attempting to login again...',
  );
  await context.setOffline(false);
  await expect
    .poll(() => events(page))
    .toEqual([
      'TSDK_E_LOGIN_EVT_AUTH_SUCCESS',
      'TSDK_E_LOGIN_EVT_LOGIN_SUCCESS',
      'TSDK_E_LOGIN_EVT_LOGIN_RESUMING_IND',
      'TSDK_E_LOGIN_EVT_AUTH_SUCCESS',
      'TSDK_E_LOGIN_EVT_LOGIN_SUCCESS',
      'TSDK_E_LOGIN_EVT_LOGIN_RESUME_RESULT',
    ]);
  expect((await history(page)).at(-1)).toMatchObject({ param1: 0, param2: ResultCode.TSDK_SUCCESS });
  await context.close();
});

test('messages typed while offline wait in the outbox and reach the others once, in order, after the resume', async ({
  browser,
  server,
}) => {
  const room = 'outbox';
  const a = await joinByLink(browser, server.ipUrl, room, 'Ada');
  const b = await joinByLink(browser, server.ipUrl, room, 'Bob');
  await a.context.setOffline(true);
  await expect.poll(() => events(a.page)).toContain('TSDK_E_CONF_EVT_CONF_RESUMING_IND');
  for (const text of ['first while away', 'second while away', 'third while away']) {
    await a.page.locator('#chat-input').fill(text);
    await a.page.locator('#chat-send').click();
  }
  await expect(a.page.locator('#chat-outbox li[data-state="pending"]')).toHaveCount(3);
  await a.context.setOffline(false);

  await expect(a.page.locator('#chat-outbox li')).toHaveCount(0);
  const texts = (page: Page) =>
    page.evaluate(() => window.meetingClient.messages.map((m: { text: string }) => m.text));
  for (const p of [a, b]) {
    await expect
      .poll(() => texts(p.page))
      .toEqual(['first while away', 'second while away', 'third while away']);
  }
});

test('history gone while away: A resyncs from the snapshot (roster, recent chat) and the app says so', async ({
  browser,
}) => {
  const server = await startTestServer({ maxEventsPerConference: 5 });
  try {
    const room = 'resync';
    const a = await joinByLink(browser, server.ipUrl, room, 'Ada');
    const b = await joinByLink(browser, server.ipUrl, room, 'Bob');
    await a.context.setOffline(true);
    await expect.poll(() => events(a.page)).toContain('TSDK_E_CONF_EVT_CONF_RESUMING_IND');
    for (let i = 1; i <= 8; i++) {
      await b.page.evaluate((text) => window.meetingClient.sendChat(text), `while you were away ${i}`);
    }
    await a.context.setOffline(false);

    await expect(a.page.locator('#status-banner')).toContainText('could not be replayed');
    const resync = (await history(a.page)).find(
      (n) => (n.data as { change?: string } | null)?.change === 'resync',
    );
    expect(resync?.event).toBe('TSDK_E_CONF_EVT_INFO_AND_STATUS_UPDATE');
    expect(await rosterNames(a.page)).toEqual(['Ada', 'Bob']);
    const texts = await a.page.evaluate(() =>
      window.meetingClient.messages.map((m: { text: string }) => m.text),
    );
    expect(texts.length).toBeGreaterThan(0);
    expect(texts.at(-1)).toBe('while you were away 8');
    expect(new Set(texts).size).toBe(texts.length);
  } finally {
    await Promise.all(browser.contexts().map((c) => c.close()));
    await server.close();
  }
});
