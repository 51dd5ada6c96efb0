/**
 * Issue 5 in real Chromium: a flapping network (`context.setOffline` toggled 10 times in 10 s)
 * is one resume episode, not one per flap, and the meeting comes back whole. `offline` starts an
 * episode only when the page is still offline after OFFLINE_GRACE_MS (1 s); shorter blips get a
 * cheap probe. Both hosts: with `127.0.0.1` engine.io would close its transport on every
 * `offline` (the SDK keeps it open), with `localhost` it never does.
 */
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { expect } from '@playwright/test';
import { ResultCode } from '../../shared/src/result-codes.ts';
import { test } from './support/fixtures.ts';
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

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Keeps the page's `offline` / `online` events with their times in `window.netEvents`. */
async function recordNetworkEvents(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const log: [string, number][] = [];
    (window as unknown as { netEvents: typeof log }).netEvents = log;
    for (const kind of ['offline', 'online']) addEventListener(kind, () => log.push([kind, Date.now()]));
  });
}

/** Events that belong to a resume episode (login progress included). */
const EPISODE_EVENT = /RESUM|_AUTH_|LOGIN_SUCCESS|LOGIN_FAILED/;

/**
 * Toggles the context offline, online, offline, … waiting `durations[i]` after toggle i, and
 * ends online. Returns the wall-clock time at which each toggle was asked for: the page sees it
 * later (a CDP round trip, 100 ms and more on a loaded machine), never earlier.
 */
async function flap(context: BrowserContext, durations: number[]): Promise<number[]> {
  const at: number[] = [];
  for (const [i, ms] of durations.entries()) {
    at.push(Date.now());
    await context.setOffline(i % 2 === 0);
    await sleep(ms);
  }
  if (durations.length % 2 === 1) {
    at.push(Date.now());
    await context.setOffline(false);
  }
  return at;
}

/** The page's blips (its `offline` → `online` gaps after the first outage), in ms. */
async function pageBlips(page: Page): Promise<{ blipsMs: number[]; seen: [string, number][] }> {
  const seen = await page.evaluate(() => (window as unknown as { netEvents: [string, number][] }).netEvents);
  const blipsMs = seen.flatMap(([kind, at], i) =>
    kind === 'online' && i >= 2 && seen[i - 1]?.[0] === 'offline' ? [at - (seen[i - 1]?.[1] ?? at)] : [],
  );
  return { blipsMs, seen };
}

/**
 * A and B in a meeting with video both ways, then A's network flapped. Offline 2 s (the 1 s grace
 * runs out: one episode, which resumes on `online`), then 4 blips of 450 ms, 550 ms apart: 10
 * toggles in ~7 s of waits plus nine CDP calls (~0.25 s each on a loaded CI machine, at times
 * 0.5–1.1 s), ending online. The first blip waits 1.5 s for the resume's own work (new socket,
 * ICE restart). Each blip must stay between ADDRESS_CHANGE_MS (250 ms: shorter is how Chromium
 * reports an address change, an episode at once by design) and the 1 s grace, where the SDK sees
 * it (the page's `offline` and `online` events): the wait plus the next call's latency minus the
 * `offline` event's delay. 400 ms waits gave 233–445 ms in a CI run; counting from the page's
 * `offline` event gave 473–1205 ms (the `online` event is late too).
 */
async function flappedMeeting(browser: Browser, url: string, room: string) {
  const meeting = await meetingOfTwo(browser, url, room, { beforeJoin: recordNetworkEvents });
  const toggles = await flap(meeting.a.context, [2_000, 1_500, 450, 550, 450, 550, 450, 550, 450]);
  return { ...meeting, toggles, ...(await pageBlips(meeting.a.page)) };
}

/**
 * Ada and Bob in `room` with video both ways; Ada's handle, and where both histories stood then.
 * `aOptions` go to Ada's join.
 */
async function meetingOfTwo(
  browser: Browser,
  url: string,
  room: string,
  aOptions: Parameters<typeof joinByLink>[4] = {},
) {
  const a = await joinByLink(browser, url, room, 'Ada', aOptions);
  const b = await joinByLink(browser, url, room, 'Bob');
  await expectVideoFrom(a.page, ['Bob']);
  await expectVideoFrom(b.page, ['Ada']);
  const h0 = await ownHandle(a.page);
  const before = (await events(a.page)).length;
  const bBefore = (await history(b.page)).length;
  return { a, b, h0, before, bBefore };
}

/** The page's blips must lie in [BLIP_MIN_MS, BLIP_MAX_MS): ADDRESS_CHANGE_MS and under the 1 s grace. */
const BLIP_MIN_MS = 250;
const BLIP_MAX_MS = 950;

/** The ten toggles must fit in the scenario's 10 s: 7 s of waits, the rest is CDP calls. */
const FLAP_SPAN_MS = 10_000;

const harnessValid = ({ blipsMs, toggles }: { blipsMs: number[]; toggles: number[] }): boolean =>
  blipsMs.length === 4 &&
  Math.max(...blipsMs) < BLIP_MAX_MS &&
  Math.min(...blipsMs) >= BLIP_MIN_MS &&
  (toggles.at(-1) ?? 0) - (toggles[0] ?? 0) < FLAP_SPAN_MS;

for (const via of ['localhost', '127.0.0.1'] as const) {
  test(`setOffline toggled 10 times in 10 s via ${via}: one episode, new handle, B sees one replacement, media and chat flow`, async ({
    browser,
    server,
  }) => {
    const url = via === 'localhost' ? server.url : server.ipUrl;
    const room = `flapping-${via.replaceAll('.', '-')}`;
    // A blip the page saw last a whole grace would rightly be an episode, one under 250 ms an
    // address change: then the machine, not the SDK, failed the scenario (CI runs saw 233 ms and
    // 1590 ms from 450 ms waits; the toggles once took 10 057 ms under a load of ~7 on 2 cores),
    // and a fresh meeting tries it again, at most twice.
    let run = await flappedMeeting(browser, url, room);
    for (let retry = 1; retry <= 2 && !harnessValid(run); retry++) {
      const span = (run.toggles.at(-1) ?? 0) - (run.toggles[0] ?? 0);
      console.log(
        `[flapping via ${via}] the page saw blips of ${run.blipsMs} ms (not ${BLIP_MIN_MS}-${BLIP_MAX_MS}) or the toggles took ${span} ms: a fresh meeting`,
      );
      await run.a.context.close();
      await run.b.context.close();
      run = await flappedMeeting(browser, url, `${room}-${retry}`);
    }
    const { a, b, h0, before, bBefore, toggles, blipsMs, seen } = run;
    expect(toggles).toHaveLength(10);
    expect((toggles.at(-1) ?? 0) - (toggles[0] ?? 0)).toBeLessThan(FLAP_SPAN_MS);
    expect(blipsMs, `the page's events ${JSON.stringify(seen)}`).toHaveLength(4);
    expect(Math.max(...blipsMs), `offline blips lasted ${blipsMs} ms on the page`).toBeLessThan(BLIP_MAX_MS);
    expect(Math.min(...blipsMs), `offline blips lasted ${blipsMs} ms on the page`).toBeGreaterThanOrEqual(
      BLIP_MIN_MS,
    );
    // Long enough for a late episode to show: past a grace and a probe after the last toggle.
    await sleep(2_500);

    const episode = (await history(a.page)).slice(before).filter((n) => EPISODE_EVENT.test(n.event));
    const t0 = toggles[0] ?? 0;
    expect(
      episode.map((n) => n.event),
      `A's episode events ${JSON.stringify(episode.map((n) => [n.event, n.at - t0, n.param2, n.data]))} after toggles at ${JSON.stringify(toggles.map((t) => t - t0))}, blips on the page ${blipsMs} ms`,
    ).toEqual(RESUME_SEQUENCE);
    const [resuming, , , , loginResult, confResult] = episode;
    expect(resuming).toMatchObject({ param1: h0, param2: 0, data: { reason: 'offline' } });
    // Started by the grace running out: after ~1 s offline, before the network came back.
    const startedAfter = (resuming?.at ?? 0) - t0;
    expect(startedAfter).toBeGreaterThanOrEqual(900);
    expect(startedAfter).toBeLessThan((toggles[1] ?? 0) - t0);
    expect(loginResult).toMatchObject({ param1: 0, param2: ResultCode.TSDK_SUCCESS });
    const h1 = confResult?.param1;
    expect(h1).toBeGreaterThan(0);
    expect(h1).not.toBe(h0);
    expect(confResult).toMatchObject({ param2: ResultCode.TSDK_SUCCESS, data: { original_handle: h0 } });
    expect(await ownHandle(a.page)).toBe(h1);
    await expect(a.page.locator('#status-banner')).toBeEmpty();

    // B: one replacement of A, never a leave or a join.
    await expect.poll(() => changesAbout(b.page, [h0, h1 ?? -1])).toContain('replaced');
    const changes = await changesAbout(b.page, [h0, h1 ?? -1]);
    expect(changes.filter((c) => c === 'replaced')).toHaveLength(1);
    expect(changes).not.toContain('left');
    expect(changes).not.toContain('joined');
    const bJoins = (await history(b.page))
      .slice(bBefore)
      .filter((n) => n.event === 'TSDK_E_CONF_EVT_INFO_AND_STATUS_UPDATE')
      .map((n) => (n.data as { change: string }).change);
    expect(bJoins.filter((c) => c === 'joined' || c === 'left')).toEqual([]);
    expect(await rosterNames(b.page)).toEqual(['Ada', 'Bob']);
    await expect(b.page.locator(`#participants li[data-handle="${h1}"]`)).toBeVisible();

    await expectVideoFrom(b.page, ['Ada']);
    await expectVideoFrom(a.page, ['Bob']);

    // Chat from the new handle reaches B exactly once.
    const text = `after the flapping via ${via}`;
    await a.page.locator('#chat-input').fill(text);
    await a.page.locator('#chat-send').click();
    await expect.poll(async () => (await chatTexts(b.page)).filter((t) => t === text)).toEqual([text]);
    await sleep(500);
    expect((await chatTexts(b.page)).filter((t) => t === text)).toEqual([text]);
  });

  test(`setOffline for 500 ms via ${via}: no episode on A, nothing on B, media flows`, async ({
    browser,
    server,
  }) => {
    const url = via === 'localhost' ? server.url : server.ipUrl;
    const { a, b, h0, before, bBefore } = await meetingOfTwo(
      browser,
      url,
      `blip-${via.replaceAll('.', '-')}`,
    );

    await flap(a.context, [500]);
    // Past the grace, a probe and a heartbeat round (2 s + 2 s) after the blip.
    await sleep(4_500);

    expect((await events(a.page)).slice(before)).toEqual([]);
    expect(await ownHandle(a.page)).toBe(h0);
    await expect(a.page.locator('#status-banner')).toBeEmpty();
    expect((await history(b.page)).slice(bBefore)).toEqual([]);
    expect(await rosterNames(b.page)).toEqual(['Ada', 'Bob']);
    await expectVideoFrom(b.page, ['Ada']);
    await expectVideoFrom(a.page, ['Bob']);

    const text = `after a blip via ${via}`;
    await a.page.locator('#chat-input').fill(text);
    await a.page.locator('#chat-send').click();
    await expect.poll(async () => (await chatTexts(b.page)).filter((t) => t === text)).toEqual([text]);
  });
}
