/**
 * Firefox on a real network (issue 15): Firefox ESR runs inside namespace A of the lab
 * (support/firefox-netns.ts), Chromium inside B, the server in R, and A's network really
 * changes. Firefox must resume exactly as Chromium does (real-network.spec.ts): the TSDK
 * episode of spec §3 rule 1, a new handle the other side sees as a replacement, video decoding
 * again both ways. Skipped with the lab's reason where namespaces cannot be built.
 */
import type { Page, TestInfo } from '@playwright/test';
import {
  expect,
  type NetnsLab,
  type PeerConnectionEvent,
  peerConnectionLog,
  recordPeerConnections,
} from 'resume-meeting/testing';
import type { TsdkNotification } from '../../shared/src/index.ts';
import {
  expectFirefoxFramesFlowing,
  type FirefoxPage,
  firefoxFramesDecoded,
  joinFirefoxByLink,
  recordFirefoxPeerConnections,
} from './support/firefox.ts';
import { linkOutageA, test } from './support/firefox-lab.ts';
import {
  changesAbout,
  events,
  expectFramesFlowing,
  expectResumeEpisode,
  expectVideoFrom,
  history,
  joinByLink,
  ownHandle,
} from './support/meeting.ts';
import { rtpSummary } from './support/pc-recorder.ts';

/** Fox (Firefox, namespace A) and Cleo (Chromium, namespace B) in one room, video both ways. */
async function meet(
  lab: NetnsLab,
  firefox: Parameters<typeof joinFirefoxByLink>[0],
  browserB: Parameters<typeof joinByLink>[0],
) {
  const room = `fx-net-${lab.id}`;
  const fox = await joinFirefoxByLink(firefox, lab.serverUrl, room, 'Fox', {
    beforeJoin: recordFirefoxPeerConnections,
  });
  const cleo = await joinByLink(browserB, lab.serverUrl, room, 'Cleo', {
    beforeJoin: (page) => recordPeerConnections(page.context()),
  });
  await expectVideoFrom(cleo.page, ['Fox']);
  await expectFirefoxFramesFlowing(fox.page, 'Cleo');
  return { fox, cleo };
}

/**
 * Firefox decodes again, by its own stats: inbound-rtp `framesDecoded` grows by more than 5
 * from now (the tile's frame callback says the same from the element's side).
 */
async function expectFirefoxDecoding(page: FirefoxPage): Promise<void> {
  const from = await firefoxFramesDecoded(page);
  await expect
    .poll(() => firefoxFramesDecoded(page), { message: 'Firefox decodes Cleo again (framesDecoded)' })
    .toBeGreaterThan(from + 5);
}

/** Records on Chromium's page every `data-status` of Fox's tile, with the time it was set. */
async function recordFoxTile(page: Page): Promise<void> {
  await page.evaluate(() => {
    const w = window as unknown as { foxTile: [number, string][] };
    w.foxTile = [];
    const grid = document.querySelector('#video-grid');
    if (!grid) throw new Error('no video grid');
    const note = () => {
      const tile = grid.querySelector('video[data-name="Fox"]')?.closest<HTMLElement>('figure.tile');
      const status = tile?.dataset.status ?? 'none';
      if (w.foxTile.at(-1)?.[1] !== status) w.foxTile.push([Date.now(), status]);
    };
    note();
    new MutationObserver(note).observe(grid, {
      subtree: true,
      childList: true,
      attributes: true,
      attributeFilter: ['data-status', 'data-name'],
    });
  });
}

function foxTileLog(page: Page): Promise<[number, string][]> {
  return page.evaluate(() => (window as unknown as { foxTile: [number, string][] }).foxTile);
}

/** Offers, answers and ICE states since a second before `since` (candidates left out: too many). */
function timeline(log: PeerConnectionEvent[], since: number): string[] {
  return log
    .filter((e) => e.at >= since - 1_000 && e.kind !== 'candidate')
    .map((e) => `${e.at - since}ms pc${e.pc} ${e.kind} ${e.value}`);
}

/** What both sides said since `since`, and Chromium's tiles: read when a test fails. */
async function diagnose(fox: FirefoxPage, cleo: Page, since: number) {
  const line = (n: TsdkNotification) => {
    const d = n.data as { change?: string; reason?: string } | null;
    return `${n.at - since}ms ${n.event} p1=${n.param1} p2=${n.param2} ${d?.change ?? d?.reason ?? ''}`.trim();
  };
  const after = (h: TsdkNotification[]) => h.filter((n) => n.at >= since).map(line);
  return {
    firefox: after(await history(fox).catch(() => [])),
    chromium: after(await history(cleo).catch(() => [])),
    firefoxPcs: timeline(await peerConnectionLog(fox).catch(() => []), since),
    chromiumPcs: timeline(await peerConnectionLog(cleo).catch(() => []), since),
    // Now, not when it broke: which side still receives, decodes, sends.
    firefoxRtp: await rtpSummary(fox).catch(() => []),
    chromiumRtp: await rtpSummary(cleo).catch(() => []),
    chromiumTiles: await cleo
      .locator('#video-grid figure.tile')
      .evaluateAll((tiles) =>
        tiles.map((t) => {
          const v = t.querySelector('video');
          return `${v?.dataset.name}#${v?.dataset.handle} ${(t as HTMLElement).dataset.status}`;
        }),
      )
      .catch(() => []),
  };
}

/** Runs `checks`; when one fails, reports {@link diagnose} first. */
async function diagnosed<R>(
  testInfo: TestInfo,
  pages: { fox: FirefoxPage; cleo: Page; since: number },
  checks: () => Promise<R>,
): Promise<R> {
  try {
    return await checks();
  } catch (err) {
    await report(testInfo, await diagnose(pages.fox, pages.cleo, pages.since));
    throw err;
  }
}

async function report(testInfo: TestInfo, figures: Record<string, unknown>): Promise<void> {
  const body = JSON.stringify(figures);
  console.log(`[${testInfo.title}] ${body}`);
  testInfo.annotations.push({ type: 'firefox in the lab', description: body });
}

test("Firefox's IP address changes: the exact TSDK episode on Firefox, a new handle Chromium sees replace the old one, video both ways", async ({
  lab,
  firefoxA,
  browserB,
}, testInfo) => {
  const { fox, cleo } = await meet(lab, firefoxA.browser, browserB);
  const h0 = await ownHandle(fox.page);
  const before = (await history(fox.page)).length;

  const change = await lab.changeIp();
  const pages = { fox: fox.page, cleo: cleo.page, since: change.at };
  const { h1, records, framesOnChromiumAt } = await diagnosed(testInfo, pages, async () => {
    const { h1, records } = await expectResumeEpisode(fox.page, before, h0);

    // Chromium sees Fox's handle replaced, not a leave and a join: one tile, on the new handle.
    await expect.poll(() => changesAbout(cleo.page, [h0, h1])).toContain('replaced');
    expect(await changesAbout(cleo.page, [h0, h1])).not.toContain('left');
    await expect(cleo.page.locator(`#video-grid video[data-handle="${h1}"]`)).toHaveCount(1);
    await expect(cleo.page.locator('#video-grid video[data-remote="true"]')).toHaveCount(1);

    await expectFramesFlowing(cleo.page, 'Fox');
    const framesOnChromiumAt = Date.now();
    await Promise.all([expectFirefoxFramesFlowing(fox.page, 'Cleo'), expectFirefoxDecoding(fox.page)]);
    return { h1, records, framesOnChromiumAt };
  });
  await report(testInfo, {
    change: change.detail,
    trigger: (records[0]?.data as { reason?: string } | undefined)?.reason,
    changeToResumingMs: (records[0]?.at ?? 0) - change.at,
    changeToResultMs: (records[5]?.at ?? 0) - change.at,
    changeToFramesOnChromiumMs: `<= ${framesOnChromiumAt - change.at}`,
    h0,
    h1,
  });
});

test("Firefox's link down for 4 s: Chromium's tile for Firefox says reconnecting, then Firefox is back on a new handle, video both ways", async ({
  lab,
  firefoxA,
  browserB,
}, testInfo) => {
  const { fox, cleo } = await meet(lab, firefoxA.browser, browserB);
  await recordFoxTile(cleo.page);
  expect((await foxTileLog(cleo.page)).at(-1)?.[1]).toBe('connected');
  const h0 = await ownHandle(fox.page);
  const before = (await history(fox.page)).length;
  const beforeOnCleo = (await events(cleo.page)).length;

  const outage = await linkOutageA(lab, 4_000);
  const pages = { fox: fox.page, cleo: cleo.page, since: outage.at };
  const { h1, records, reconnectingAt } = await diagnosed(testInfo, pages, async () => {
    // The tile turned `reconnecting` while Firefox was cut off (the log keeps the moment).
    await expect
      .poll(async () => (await foxTileLog(cleo.page)).find(([, s]) => s === 'reconnecting')?.[0] ?? null, {
        message: "Chromium's tile for Fox says reconnecting",
      })
      .not.toBeNull();
    const reconnectingAt = (await foxTileLog(cleo.page)).find(([, s]) => s === 'reconnecting')?.[0] ?? 0;
    expect(reconnectingAt).toBeGreaterThanOrEqual(outage.at);

    const { h1, records } = await expectResumeEpisode(fox.page, before, h0);
    await expect.poll(() => changesAbout(cleo.page, [h0, h1])).toContain('replaced');
    expect(await changesAbout(cleo.page, [h0, h1])).not.toContain('left');
    await expect(cleo.page.locator(`#video-grid video[data-handle="${h1}"]`)).toHaveCount(1);

    await expectFramesFlowing(cleo.page, 'Fox');
    await Promise.all([expectFirefoxFramesFlowing(fox.page, 'Cleo'), expectFirefoxDecoding(fox.page)]);
    // Live again on Chromium's screen: the badge went once video came back.
    await expect.poll(async () => (await foxTileLog(cleo.page)).at(-1)?.[1]).toBe('connected');
    // Chromium's own network never broke: it ran no episode of its own.
    expect((await events(cleo.page)).slice(beforeOnCleo)).not.toContain('TSDK_E_CONF_EVT_CONF_RESUMING_IND');
    return { h1, records, reconnectingAt };
  });
  await report(testInfo, {
    outageMs: outage.doneAt - outage.at,
    downToTileReconnectingMs: reconnectingAt - outage.at,
    trigger: (records[0]?.data as { reason?: string } | undefined)?.reason,
    downToResumingMs: (records[0]?.at ?? 0) - outage.at,
    upToResultMs: (records[5]?.at ?? 0) - outage.doneAt,
    tile: (await foxTileLog(cleo.page)).map(([at, s]) => `${at - outage.at}ms ${s}`),
    h0,
    h1,
  });
});
