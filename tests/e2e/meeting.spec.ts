import { expect } from '@playwright/test';
import { test } from './support/fixtures.ts';
import { events, expectVideoFrom, history, joinByLink, ownHandle, rosterNames } from './support/meeting.ts';

test('three people meet by deep link: video both ways, chat, and a leave everyone sees', async ({
  browser,
  server,
}) => {
  const room = `mesh-${Date.now()}`;
  const a = await joinByLink(browser, server.url, room, 'Ada');
  const b = await joinByLink(browser, server.url, room, 'Bob');
  const c = await joinByLink(browser, server.url, room, 'Cy');

  const handles = await Promise.all([a, b, c].map((p) => ownHandle(p.page)));
  expect(new Set(handles).size).toBe(3);

  expect((await events(a.page)).slice(0, 3)).toEqual([
    'TSDK_E_LOGIN_EVT_AUTH_SUCCESS',
    'TSDK_E_LOGIN_EVT_LOGIN_SUCCESS',
    'TSDK_E_CONF_EVT_JOIN_CONF_RESULT',
  ]);
  const join = (await history(a.page))[2];
  expect(join?.param2).toBe(0);
  expect(join?.data).toMatchObject({
    call_id: expect.any(Number),
    conf_media_type: 'TSDK_E_CONF_MEDIA_VIDEO',
    svc_label_count: 0,
    svc_label: [],
  });

  await expectVideoFrom(a.page, ['Bob', 'Cy']);
  await expectVideoFrom(b.page, ['Ada', 'Cy']);
  await expectVideoFrom(c.page, ['Ada', 'Bob']);
  for (const p of [a, b, c]) expect(await rosterNames(p.page)).toEqual(['Ada', 'Bob', 'Cy']);

  await b.page.locator('#chat-input').fill('hello from Bob');
  await b.page.locator('#chat-send').click();
  for (const p of [a, c]) await expect(p.page.locator('#chat-log')).toContainText('hello from Bob');

  await c.page.locator('#leave').click();
  await expect(c.page.locator('#meeting')).toBeHidden();
  expect(await events(c.page)).toContain('TSDK_E_CONF_EVT_CONF_END_IND');
  for (const p of [a, b]) {
    await expect.poll(() => rosterNames(p.page)).toEqual(['Ada', 'Bob']);
    const leaveUpdate = (await history(p.page)).find(
      (n) =>
        n.event === 'TSDK_E_CONF_EVT_INFO_AND_STATUS_UPDATE' &&
        (n.data as { change?: string; event?: { handle?: number } }).change === 'left' &&
        (n.data as { event?: { handle?: number } }).event?.handle === handles[2],
    );
    expect(leaveUpdate, 'a left update for Cy').toBeDefined();
    await expect(p.page.locator(`#video-grid video[data-name="Cy"]`)).toHaveCount(0);
  }
  // The two who stay keep their media.
  await expectVideoFrom(a.page, ['Bob']);
  await expectVideoFrom(b.page, ['Ada']);
});
