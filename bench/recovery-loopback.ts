/**
 * Loopback scenarios of bench:recovery (no root): `silent-cut` (CDP loopback cut, both sockets
 * alive) and `offline-cut` (the same cut with A's context offline), `runs` cuts of `cutMs` in
 * one meeting per mode.
 */
import type { Browser, Page } from '@playwright/test';
import { joinByLink } from '../tests/e2e/support/meeting.ts';
import { prepareMediaCut } from '../tests/e2e/support/network.ts';
import { startTestServer } from '../tests/e2e/support/server.ts';
import { framesBackAt, installFrameMonitor } from './frames-monitor.ts';
import { poll } from './recovery-netns.ts';
import type { Mode, Sample } from './recovery-sample.ts';
import { installTileMonitor, tileStatusAt } from './tile-monitor.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Times (page clock = this machine's clock) of the first episode events at or after `since`. */
export async function episodeTimes(page: Page, since: number) {
  return page.evaluate((since) => {
    const h = window.meetingClient.history as { event: string; at: number; param2: number }[];
    return {
      resuming: h.find((n) => n.event === 'TSDK_E_CONF_EVT_CONF_RESUMING_IND' && n.at >= since)?.at ?? null,
      result: h.find((n) => n.event === 'TSDK_E_CONF_EVT_CONF_RESUME_RESULT' && n.at >= since)?.at ?? null,
    };
  }, since);
}

/** CONF_RESUMING_IND events in [from, to). */
async function episodeCount(page: Page, from: number, to: number): Promise<number> {
  return page.evaluate(
    ({ from, to }) =>
      (window.meetingClient.history as { event: string; at: number }[]).filter(
        (n) => n.event === 'TSDK_E_CONF_EVT_CONF_RESUMING_IND' && n.at >= from && n.at < to,
      ).length,
    { from, to },
  );
}

const minus = (a: number | null, b: number) => (a === null ? null : a - b);

export async function loopbackScenario(
  browser: Browser,
  scenario: 'silent-cut' | 'offline-cut',
  mode: Mode,
  { runs, cutMs }: { runs: number; cutMs: number },
): Promise<Sample[]> {
  const server = await startTestServer();
  const samples: Sample[] = [];
  try {
    let media: Awaited<ReturnType<typeof prepareMediaCut>> | undefined;
    const room = `bench-${scenario}-${mode}`;
    const query = `recovery=${mode}`;
    const a = await joinByLink(browser, server.ipUrl, room, 'Ada', {
      query,
      beforeJoin: async (page) => {
        media = await prepareMediaCut(page);
      },
    });
    const b = await joinByLink(browser, server.ipUrl, room, 'Bob', { query });
    if (!media) throw new Error('media cut not prepared');
    await Promise.all([installFrameMonitor(a.page), installFrameMonitor(b.page)]);
    await Promise.all([installTileMonitor(a.page), installTileMonitor(b.page)]);
    const userId = (p: Page) => p.evaluate(() => window.meetingClient.session?.userId ?? '');
    // The outage rule's tie-break: the pair's initiator, the smaller userId.
    const initiator: 'A' | 'B' = (await userId(a.page)) < (await userId(b.page)) ? 'A' : 'B';
    await sleep(2_000);
    for (let i = 0; i < runs; i++) {
      const changeAt = await media.cut();
      if (scenario === 'offline-cut') await a.context.setOffline(true);
      await sleep(cutMs);
      if (scenario === 'offline-cut') await a.context.setOffline(false);
      const backAt = await media.restore();
      const framesA = await poll(() => framesBackAt(a.page, 'Bob', backAt), 20_000);
      const framesB = await poll(() => framesBackAt(b.page, 'Ada', backAt), 20_000);
      if (scenario === 'offline-cut') {
        const times = await poll(async () => {
          const t = await episodeTimes(a.page, changeAt);
          return t.result === null ? null : t;
        }, 10_000);
        const sample: Sample = {
          scenario,
          mode,
          toResumingInd: minus(times?.resuming ?? null, changeAt),
          toResumeResult: minus(times?.result ?? null, changeAt),
          framesOnA: minus(framesA, changeAt),
          framesOnB: minus(framesB, changeAt),
          pathBackToFramesA: minus(framesA, backAt),
          pathBackToFramesB: minus(framesB, backAt),
        };
        samples.push(sample);
        console.log(JSON.stringify(sample));
        await sleep(3_000);
        continue;
      }
      // Silent cut: the episode may run on either side; wait for its RESULT wherever it is.
      await poll(async () => {
        const [ta, tb] = await Promise.all([episodeTimes(a.page, changeAt), episodeTimes(b.page, changeAt)]);
        return ta.result ?? tb.result;
      }, 20_000);
      // Let a second (late) episode show up before counting, and media settle before the next cut.
      await sleep(3_000);
      const countedTo = Date.now();
      const [timesA, timesB, episodesOnA, episodesOnB] = await Promise.all([
        episodeTimes(a.page, changeAt),
        episodeTimes(b.page, changeAt),
        episodeCount(a.page, changeAt, countedTo),
        episodeCount(b.page, changeAt, countedTo),
      ]);
      let owner: 'A' | 'B' = initiator;
      if (timesA.resuming !== null && (timesB.resuming === null || timesA.resuming <= timesB.resuming)) {
        owner = 'A';
      } else if (timesB.resuming !== null) owner = 'B';
      const otherPage = owner === 'A' ? b.page : a.page;
      const ownerTimes = owner === 'A' ? timesA : timesB;
      const [framesOwner, framesOther] = owner === 'A' ? [framesA, framesB] : [framesB, framesA];
      const otherNotice = await tileStatusAt(otherPage, 'reconnecting', changeAt);
      const sample: Sample = {
        scenario,
        mode,
        cutMs: backAt - changeAt,
        owner,
        ownerIsInitiator: owner === initiator,
        toResumingInd: minus(ownerTimes.resuming, changeAt),
        toResumeResult: minus(ownerTimes.result, changeAt),
        framesOnA: minus(framesA, changeAt),
        framesOnB: minus(framesB, changeAt),
        pathBackToFramesA: minus(framesA, backAt),
        pathBackToFramesB: minus(framesB, backAt),
        episodesOnA,
        episodesOnB,
        cutToNoticeOwner: minus(ownerTimes.resuming, changeAt),
        cutToNoticeOther: minus(otherNotice, changeAt),
        restoreToResumeResult: minus(ownerTimes.result, backAt),
        restoreToFramesOwner: minus(framesOwner, backAt),
        restoreToFramesOther: minus(framesOther, backAt),
        episodesOnOwner: owner === 'A' ? episodesOnA : episodesOnB,
        episodesOnOther: owner === 'A' ? episodesOnB : episodesOnA,
        episodesTotal: episodesOnA + episodesOnB,
      };
      samples.push(sample);
      console.log(JSON.stringify(sample));
    }
    await Promise.all([a.context.close(), b.context.close()]);
  } finally {
    await server.close();
  }
  return samples;
}
