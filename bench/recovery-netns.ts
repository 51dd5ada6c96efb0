/**
 * Network-namespace scenarios of bench:recovery: a fresh lab per run (tests/e2e/support/netns.ts,
 * with its safety rules: host blackhole route, egress guards, teardown), A and B in a meeting,
 * then the change. Needs root.
 */
import type { Page } from '@playwright/test';
import { joinByLink } from '../tests/e2e/support/meeting.ts';
import { type NetChange, NetnsLab } from '../tests/e2e/support/netns.ts';
import { installFrameMonitor } from './frames-monitor.ts';
import type { Mode, Sample } from './recovery.ts';
import { formatTrace, installRtcTrace, readRtcTrace } from './rtc-trace.ts';

export const NETNS_SCENARIOS = ['ip-change', 'gapless-switch', 'switch-gap'];

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

async function poll<T>(probe: () => Promise<T | null>, timeoutMs: number): Promise<T | null> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null || Date.now() > end) return value;
    await sleep(100);
  }
}

/** The first moment at or after `since` when frames kept moving (the next one within 200 ms). */
async function steadyFramesAt(page: Page, name: string, since: number): Promise<number | null> {
  return poll(
    () =>
      page.evaluate(
        ({ name, since }) => {
          const list = (window as unknown as { __frames?: Record<string, number[]> }).__frames?.[name] ?? [];
          const i = list.findIndex(
            (t, k) => t >= since && (list[k + 1] ?? Number.POSITIVE_INFINITY) - t < 200,
          );
          return i < 0 ? null : (list[i] ?? null);
        },
        { name, since },
      ),
    20_000,
  );
}

/** Both sides' WebRTC traces and A's TSDK events, on one timeline from the change. */
async function printTrace(a: Page, b: Page, at: number): Promise<void> {
  const events = await a.evaluate(() =>
    (window.meetingClient.history as { event: string; at: number }[]).map((n) => ({
      at: n.at,
      pc: 0,
      what: n.event,
    })),
  );
  const lines = [
    formatTrace('A', [...(await readRtcTrace(a)), ...events], at, at - 200),
    formatTrace('B', await readRtcTrace(b), at, at - 200),
  ]
    .join('\n')
    .split('\n')
    .filter(Boolean)
    .sort((x, y) => Number(x.slice(2, 8)) - Number(y.slice(2, 8)));
  console.log(lines.join('\n'));
}

function change(lab: NetnsLab, scenario: string): Promise<NetChange> {
  if (scenario === 'ip-change') return lab.changeIp();
  if (scenario === 'gapless-switch') return lab.switchInterface({ gapMs: 0 });
  return lab.switchInterface({ gapMs: 1_000 });
}

export async function runNetnsScenario(
  scenario: string,
  mode: Mode,
  runs: number,
  { trace = false }: { trace?: boolean } = {},
): Promise<Sample[]> {
  const samples: Sample[] = [];
  for (let i = 0; i < runs; i++) {
    const lab = await NetnsLab.create({ logLevel: 'warn', log: () => {} });
    try {
      const [browserA, browserB] = await Promise.all([lab.launchBrowser('a'), lab.launchBrowser('b')]);
      const room = `bench-${scenario}-${i}`;
      const query = `recovery=${mode}`;
      const beforeJoin = trace ? installRtcTrace : undefined;
      const a = await joinByLink(browserA, lab.serverUrl, room, 'Ada', { query, beforeJoin });
      const b = await joinByLink(browserB, lab.serverUrl, room, 'Bob', { query, beforeJoin });
      await Promise.all([installFrameMonitor(a.page), installFrameMonitor(b.page)]);
      await sleep(2_500);
      const done = await change(lab, scenario);
      const at = done.at;
      // Frames that were already in flight are not recovery: wait for the freeze to be visible.
      const since = at + 300;
      const [framesA, framesB, times] = await Promise.all([
        steadyFramesAt(a.page, 'Bob', since),
        steadyFramesAt(b.page, 'Ada', since),
        poll(async () => {
          const h = await a.page.evaluate(
            () => window.meetingClient.history as { event: string; at: number; param2: number }[],
          );
          const resuming = h.find((n) => n.event === 'TSDK_E_CONF_EVT_CONF_RESUMING_IND' && n.at >= at);
          const result = h.find((n) => n.event === 'TSDK_E_CONF_EVT_CONF_RESUME_RESULT' && n.at >= at);
          return result ? { resuming: resuming?.at ?? null, result: result.at } : null;
        }, 30_000),
      ]);
      const episodes = (page: Page) =>
        page.evaluate(
          (at) =>
            (window.meetingClient.history as { event: string; at: number }[]).filter(
              (n) => n.event === 'TSDK_E_CONF_EVT_CONF_RESUMING_IND' && n.at >= at,
            ).length,
          at,
        );
      const sample: Sample = {
        scenario,
        mode,
        toResumingInd: times?.resuming == null ? null : times.resuming - at,
        toResumeResult: times ? times.result - at : null,
        framesOnA: framesA === null ? null : framesA - at,
        framesOnB: framesB === null ? null : framesB - at,
        episodesOnA: await episodes(a.page),
        episodesOnB: await episodes(b.page),
      };
      samples.push(sample);
      console.log(JSON.stringify(sample));
      if (trace) await printTrace(a.page, b.page, at);
      await Promise.all([browserA.close(), browserB.close()]);
    } finally {
      await lab.dispose();
    }
  }
  return samples;
}
