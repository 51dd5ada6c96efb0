/**
 * Network-namespace scenarios of bench:recovery: a fresh lab per run (tests/e2e/support/netns.ts,
 * with its safety rules: host blackhole route, egress guards, teardown), A and B in a meeting,
 * then the change. Needs root. The measurement of one run ({@link measureChange}) is shared with
 * the NAT-lab scenarios (recovery-nat.ts).
 */
import type { Browser, BrowserContext, Page } from '@playwright/test';
import { expectFramesFlowing, joinByLink, type Participant } from '../tests/e2e/support/meeting.ts';
import { type NetChange, NetnsLab } from '../tests/e2e/support/netns.ts';
import { recordPeerConnections, selectedCandidatePairs } from '../tests/e2e/support/network.ts';
import { installFrameMonitor } from './frames-monitor.ts';
import type { Mode, Sample } from './recovery-sample.ts';
import { formatTrace, installRtcTrace, readRtcTrace } from './rtc-trace.ts';

export const NETNS_SCENARIOS = ['ip-change', 'gapless-switch', 'switch-gap', 'dual-homed'];

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Media flowing both ways (first media through a relay can take a while), then this long before the change. */
export const SETTLE_BEFORE_MS = 2_500;
/** After the recovery, before counting episodes: a late second episode shows up in this window. */
export const SETTLE_AFTER_MS = 3_000;

export async function poll<T>(probe: () => Promise<T | null>, timeoutMs: number): Promise<T | null> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null || Date.now() > end) return value;
    await sleep(100);
  }
}

/** The first moment at or after `since` when frames kept moving (the next one within 200 ms). */
export async function steadyFramesAt(
  page: Page,
  name: string,
  since: number,
  timeoutMs = 20_000,
): Promise<number | null> {
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
    timeoutMs,
  );
}

/** Both sides' WebRTC traces and TSDK events, on one timeline from the change. */
export async function printTrace(a: Page, b: Page, at: number): Promise<void> {
  const tsdk = (page: Page) =>
    page.evaluate(() =>
      (window.meetingClient.history as { event: string; at: number }[]).map((n) => ({
        at: n.at,
        pc: 0,
        what: n.event,
      })),
    );
  const lines = [
    formatTrace('A', [...(await readRtcTrace(a)), ...(await tsdk(a))], at, at - 200),
    formatTrace('B', [...(await readRtcTrace(b)), ...(await tsdk(b))], at, at - 200),
  ]
    .join('\n')
    .split('\n')
    .filter(Boolean)
    .sort((x, y) => Number(x.slice(2, 8)) - Number(y.slice(2, 8)));
  console.log(lines.join('\n'));
}

/** The product's episodes (CONF_RESUMING_IND) on the page since `at`. */
export function episodesSince(page: Page, at: number): Promise<number> {
  return page.evaluate(
    (at) =>
      (window.meetingClient.history as { event: string; at: number }[]).filter(
        (n) => n.event === 'TSDK_E_CONF_EVT_CONF_RESUMING_IND' && n.at >= at,
      ).length,
    at,
  );
}

/** The selected pair of the page's connected peer connection(s): `local ⇄ remote` candidate types. */
async function pathOf(page: Page): Promise<string> {
  const pairs = await selectedCandidatePairs(page).catch(() => []);
  const end = (c: (typeof pairs)[number]['local']) =>
    c ? `${c.type}${c.relayProtocol ? `/${c.relayProtocol}` : ''}` : '?';
  return pairs.map((p) => `${end(p.local)} ⇄ ${end(p.remote)}`).join(', ') || 'none';
}

/**
 * Records the context's peer connections (recordPeerConnections). tsx (keepNames) wraps named
 * functions in `__name(…)`, also inside the recorder's serialized functions and those of
 * selectedCandidatePairs: the page needs it too.
 */
export async function recordConnections(context: BrowserContext): Promise<void> {
  await context.addInitScript('globalThis.__name ??= (target) => target;');
  await recordPeerConnections(context);
}

/**
 * A (Ada, whose network changes) and B (Bob) join `serverUrl` from their browsers, with the frame
 * monitor, the peer-connection recorder and, with `trace`, the WebRTC trace.
 */
export async function meetInLab(
  browsers: { a: Browser; b: Browser },
  serverUrl: string,
  room: string,
  mode: Mode,
  trace: boolean,
): Promise<{ a: Participant; b: Participant }> {
  const query = `recovery=${mode}`;
  const beforeJoin = async (page: Page) => {
    await recordConnections(page.context());
    if (trace) await installRtcTrace(page);
  };
  const a = await joinByLink(browsers.a, serverUrl, room, 'Ada', { query, beforeJoin });
  const b = await joinByLink(browsers.b, serverUrl, room, 'Bob', { query, beforeJoin });
  await Promise.all([installFrameMonitor(a.page), installFrameMonitor(b.page)]);
  return { a, b };
}

/**
 * One run: media flowing both ways, then `change()` on A; change → A's CONF_RESUMING_IND and
 * CONF_RESUME_RESULT, → frames steady again on each side, then the episodes on each side (from
 * the change to {@link SETTLE_AFTER_MS} after the recovery) and the selected pairs.
 */
export async function measureChange(
  a: Page,
  b: Page,
  scenario: string,
  mode: Mode,
  change: () => Promise<NetChange>,
  { trace = false }: { trace?: boolean } = {},
): Promise<Sample> {
  await Promise.all([expectFramesFlowing(a, 'Bob', 20_000), expectFramesFlowing(b, 'Ada', 20_000)]);
  await sleep(SETTLE_BEFORE_MS);
  const done = await change();
  const at = done.at;
  // Frames that were already in flight are not recovery: wait for the freeze to be visible.
  const since = at + 300;
  const [framesA, framesB, times] = await Promise.all([
    steadyFramesAt(a, 'Bob', since),
    steadyFramesAt(b, 'Ada', since),
    poll(async () => {
      const h = await a.evaluate(
        () => window.meetingClient.history as { event: string; at: number; param2: number }[],
      );
      const resuming = h.find((n) => n.event === 'TSDK_E_CONF_EVT_CONF_RESUMING_IND' && n.at >= at);
      const result = h.find((n) => n.event === 'TSDK_E_CONF_EVT_CONF_RESUME_RESULT' && n.at >= at);
      return result ? { resuming: resuming?.at ?? null, result: result.at } : null;
    }, 30_000),
  ]);
  await sleep(SETTLE_AFTER_MS);
  const episodes = (page: Page) => episodesSince(page, at);
  const sample: Sample = {
    scenario,
    mode,
    ...sinceChange(at, framesA, framesB, times),
    episodesOnA: await episodes(a),
    episodesOnB: await episodes(b),
    pathA: await pathOf(a),
    pathB: await pathOf(b),
  };
  console.log(JSON.stringify(sample));
  if (trace) {
    console.log(`[${scenario} ${mode}] ${done.detail}; timeline (ms from the change):`);
    await printTrace(a, b, at);
  }
  return sample;
}

/** A change's milestones as ms after it (null: never seen). */
export function sinceChange(
  at: number,
  framesA: number | null,
  framesB: number | null,
  times: { resuming: number | null; result: number } | null,
): Pick<Sample, 'toResumingInd' | 'toResumeResult' | 'framesOnA' | 'framesOnB'> {
  return {
    toResumingInd: times?.resuming == null ? null : times.resuming - at,
    toResumeResult: times ? times.result - at : null,
    framesOnA: framesA === null ? null : framesA - at,
    framesOnB: framesB === null ? null : framesB - at,
  };
}

/** A run that could not be measured (e.g. media never flowed before the change): counted as `never`. */
export function failedRun(scenario: string, mode: Mode, err: unknown): Sample {
  const sample: Sample = {
    scenario,
    mode,
    toResumingInd: null,
    toResumeResult: null,
    framesOnA: null,
    framesOnB: null,
    error: (err as Error).message.split('\n')[0] ?? String(err),
  };
  console.log(JSON.stringify(sample));
  return sample;
}

function change(lab: NetnsLab, scenario: string): Promise<NetChange> {
  if (scenario === 'ip-change') return lab.changeIp();
  if (scenario === 'gapless-switch') return lab.switchInterface({ gapMs: 0 });
  if (scenario === 'dual-homed') return lab.dropActiveInterface();
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
      if (scenario === 'dual-homed') await lab.addStandbyInterface();
      const [browserA, browserB] = await Promise.all([lab.launchBrowser('a'), lab.launchBrowser('b')]);
      const browsers = { a: browserA, b: browserB };
      const { a, b } = await meetInLab(browsers, lab.serverUrl, `bench-${scenario}-${i}`, mode, trace);
      samples.push(
        await measureChange(a.page, b.page, scenario, mode, () => change(lab, scenario), { trace }).catch(
          (err) => failedRun(scenario, mode, err),
        ),
      );
      await Promise.all([browserA.close(), browserB.close()]);
    } finally {
      await lab.dispose();
    }
  }
  return samples;
}
