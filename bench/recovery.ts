/**
 * Media recovery, side by side: the product (`fast`) against a naive baseline of the same SDK
 * (`?recovery=naive`: ICE restart only on `disconnected`, no forced keyframe), in one run.
 *
 * Scenarios: loopback (no root) — silent media cut, offline + media cut; network namespaces
 * (root) — real IP change, gapless interface switch, switch with a 1 s gap (`ip-change`,
 * `gapless-switch`, `switch-gap`: flat lab, direct path); NAT lab (root, coturn) — the IP change
 * and the gapless switch behind NATs, through TURN (`nat-ip-change`, `nat-switch`,
 * recovery-nat.ts), compared in a second table with their direct-path counterparts of the same
 * run (difference of the medians; goal: within 300 ms); and the IP change with Firefox ESR as A,
 * the participant whose address changes (`firefox-ip-change`, recovery-firefox.ts; B is
 * Chromium), next to Chromium's `ip-change`. The namespace and NAT runs are
 * interleaved (one run of each wanted scenario in turn), so load drifting on the machine hits
 * them alike.
 * Per run: change → CONF_RESUMING_IND, → CONF_RESUME_RESULT, → frames again on each side;
 * for cuts also path back → frames. Run: npm run bench:recovery [-- --runs 5 --only silent-cut]
 * (`--only` takes a comma-separated list of scenario names; `--cut MS` sets the loopback cut;
 * `--modes fast` skips the naive baseline; `--print-only` writes nothing under bench/results).
 *
 * The silent cut (CDP loopback cut, both sockets alive) also tells the outage's story per side,
 * as tests/e2e/media-outage.spec.ts does: one TSDK episode across the two, on the "owner" (the
 * side whose CONF_RESUMING_IND came; by the rule, the pair's initiator = smaller userId), while
 * the "other" side shows the remote tile as `reconnecting`. Per cut: cut → notice on each side
 * (owner: CONF_RESUMING_IND `at`; other: its `figure.tile:not(.local)` `data-status` becomes
 * `reconnecting`, recorded in the page), restore → CONF_RESUME_RESULT, restore → frames on each
 * side, and the episodes on each side (1 in total expected; counted, not asserted).
 * Writes bench/results/recovery.json and bench/results/recovery.md.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Browser, chromium, type Page } from '@playwright/test';
import { chromiumLaunchOptions } from '../tests/e2e/support/chromium.ts';
import { joinByLink } from '../tests/e2e/support/meeting.ts';
import { prepareMediaCut } from '../tests/e2e/support/network.ts';
import { startTestServer } from '../tests/e2e/support/server.ts';
import { framesBackAt, installFrameMonitor } from './frames-monitor.ts';
import { FIREFOX_SCENARIOS, runFirefoxScenario } from './recovery-firefox.ts';
import { DIRECT_COUNTERPART, NAT_SCENARIOS, runNatScenario } from './recovery-nat.ts';
import { NETNS_SCENARIOS, runNetnsScenario } from './recovery-netns.ts';
import { summarize } from './stats.ts';
import { installTileMonitor, tileStatusAt } from './tile-monitor.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    only: { type: 'string' },
    cut: { type: 'string', default: '3000' },
    modes: { type: 'string', default: 'fast,naive' },
    // Prints each network-namespace run's WebRTC timeline (bench/rtc-trace.ts).
    trace: { type: 'boolean', default: false },
    // Prints the samples and tables but leaves bench/results alone (e.g. for a traced run).
    'print-only': { type: 'boolean', default: false },
  },
});
const runs = Number(values.runs);
const cutMs = Number(values.cut);
const modes = (values.modes ?? 'fast,naive')
  .split(',')
  .filter((m: string): m is Mode => m === 'fast' || m === 'naive');
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export type Mode = 'fast' | 'naive';
export interface Sample {
  scenario: string;
  mode: Mode;
  toResumingInd: number | null;
  toResumeResult: number | null;
  /** change → A decodes B again, and B decodes A again */
  framesOnA: number | null;
  framesOnB: number | null;
  /** path restored → frames (cuts only) */
  pathBackToFramesA?: number | null;
  pathBackToFramesB?: number | null;
  /** CONF_RESUMING_IND after the change on A (1 expected) and on B (0 unless B's own network broke). */
  episodesOnA?: number;
  episodesOnB?: number;
  /** Namespace scenarios: the selected candidate pair(s) after the recovery, `local ⇄ remote` types. */
  pathA?: string;
  pathB?: string;
  /** Why the run could not be measured (its figures are null). */
  error?: string;
  /** Silent cut only: how long media was cut in this run (ms). */
  cutMs?: number;
  /**
   * Silent cut only. The owner is the side whose CONF_RESUMING_IND came (the earlier one if
   * both had one; with none, the pair's initiator); the other is the other side.
   */
  owner?: 'A' | 'B';
  /** The owner is the pair's initiator (the smaller userId), as the outage rule says. */
  ownerIsInitiator?: boolean;
  /** cut → the owner's CONF_RESUMING_IND `at`. */
  cutToNoticeOwner?: number | null;
  /** cut → the other side's remote tile gets `data-status="reconnecting"`. */
  cutToNoticeOther?: number | null;
  /** media restored → the owner's CONF_RESUME_RESULT. */
  restoreToResumeResult?: number | null;
  /** media restored → the owner decodes the other's video again, and the other the owner's. */
  restoreToFramesOwner?: number | null;
  restoreToFramesOther?: number | null;
  /** CONF_RESUMING_IND from the cut until just before the next one, per side and in total (1 expected). */
  episodesOnOwner?: number;
  episodesOnOther?: number;
  episodesTotal?: number;
}

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

export async function waitFor<T>(probe: () => Promise<T | null>, timeoutMs: number): Promise<T | null> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== null || Date.now() > end) return value;
    await sleep(100);
  }
}

const minus = (a: number | null, b: number) => (a === null ? null : a - b);

async function loopbackScenario(
  browser: Browser,
  scenario: 'silent-cut' | 'offline-cut',
  mode: Mode,
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
      const framesA = await waitFor(() => framesBackAt(a.page, 'Bob', backAt), 20_000);
      const framesB = await waitFor(() => framesBackAt(b.page, 'Ada', backAt), 20_000);
      if (scenario === 'offline-cut') {
        const times = await waitFor(async () => {
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
      await waitFor(async () => {
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

const wanted = (name: string) => !values.only || values.only.split(',').includes(name);
const all: Sample[] = [];
const browser = await chromium.launch(chromiumLaunchOptions());
try {
  for (const scenario of ['silent-cut', 'offline-cut'] as const) {
    if (!wanted(scenario)) continue;
    for (const mode of modes) all.push(...(await loopbackScenario(browser, scenario, mode)));
  }
} finally {
  await browser.close();
}
// One run of each wanted namespace scenario in turn, `runs` times.
const labScenarios = [...NETNS_SCENARIOS, ...NAT_SCENARIOS, ...FIREFOX_SCENARIOS].filter(wanted);
const labSamples: Sample[] = [];
for (let i = 0; i < runs; i++) {
  for (const scenario of labScenarios) {
    for (const mode of modes) {
      const run = NAT_SCENARIOS.includes(scenario)
        ? runNatScenario
        : FIREFOX_SCENARIOS.includes(scenario)
          ? runFirefoxScenario
          : runNetnsScenario;
      labSamples.push(...(await run(scenario, mode, 1, { trace: values.trace ?? false })));
    }
  }
}
// Grouped by scenario and mode, as the table reads them.
for (const scenario of labScenarios)
  for (const mode of modes) all.push(...labSamples.filter((s) => s.scenario === scenario && s.mode === mode));

/** The numeric fields of a sample. */
type Metric = {
  [K in keyof Sample]-?: Sample[K] extends number | null | undefined ? K : never;
}[keyof Sample];
const METRICS: [Metric, string][] = [
  ['toResumingInd', 'change → CONF_RESUMING_IND'],
  ['toResumeResult', 'change → CONF_RESUME_RESULT'],
  ['framesOnA', 'change → frames on A'],
  ['framesOnB', 'change → frames on B'],
  ['pathBackToFramesA', 'path back → frames on A'],
  ['pathBackToFramesB', 'path back → frames on B'],
  ['episodesOnA', 'episodes on A (count)'],
  ['episodesOnB', 'episodes on B (count)'],
  // Silent cut, per side: owner = the side that ran the episode, other = the other side.
  ['cutToNoticeOwner', 'cut → notice on owner (CONF_RESUMING_IND)'],
  ['cutToNoticeOther', 'cut → notice on other (remote tile `reconnecting`)'],
  ['restoreToResumeResult', 'restore → CONF_RESUME_RESULT (owner)'],
  ['restoreToFramesOwner', 'restore → frames on owner'],
  ['restoreToFramesOther', 'restore → frames on other'],
  ['episodesOnOwner', 'episodes on owner per cut (count)'],
  ['episodesOnOther', 'episodes on other per cut (count)'],
  ['episodesTotal', 'episodes per cut, both sides (count, 1 expected)'],
];
const scenariosRun = [...new Set(all.map((s) => s.scenario))];
const table: string[] = [
  `Scenarios: ${scenariosRun.join(', ')}; modes: ${modes.join(', ')}; measured ${new Date().toISOString()}.`,
  '',
  `Runs per scenario and mode: ${runs}; loopback cut length: ${cutMs} ms. Times in ms, median (min–max); ratio = naive median / fast median.`,
  '',
  '| scenario | metric | fast | naive | ratio |',
  '|---|---|---|---|---|',
];
const result: Record<string, Record<string, unknown>> = {};
for (const scenario of scenariosRun) {
  result[scenario] = {};
  for (const [metric, label] of METRICS) {
    const pick = (mode: Mode) =>
      all.filter((s) => s.scenario === scenario && s.mode === mode).map((s) => s[metric]);
    const fastValues = pick('fast');
    if (fastValues.every((v) => v === undefined)) continue;
    const fast = summarize(fastValues.filter((v): v is number => typeof v === 'number'));
    const naive = summarize(pick('naive').filter((v): v is number => typeof v === 'number'));
    const missing = {
      fast: fastValues.filter((v) => v === null).length,
      naive: pick('naive').filter((v) => v === null).length,
    };
    const ratio = fast.median > 0 && naive.n > 0 ? naive.median / fast.median : null;
    result[scenario][metric] = { fast, naive, ratio, missing };
    const cell = (s: typeof fast, miss: number) =>
      s.n
        ? `${s.median} (${s.min}–${s.max})${miss ? `, ${miss} never` : ''}`
        : miss
          ? `never (${miss})`
          : '—';
    table.push(
      `| ${scenario} | ${label} | ${cell(fast, missing.fast)} | ${cell(naive, missing.naive)} | ${ratio === null ? '—' : `${ratio.toFixed(1)}×`} |`,
    );
  }
}
// Who owned the silent cuts, and whether every notice came while media was still cut.
const silent = all.filter((s) => s.scenario === 'silent-cut');
if (silent.length) {
  const notes = modes.map((mode) => {
    const of = silent.filter((s) => s.mode === mode);
    const owners = ['A', 'B']
      .map((side) => `${side} ${of.filter((s) => s.owner === side).length}×`)
      .join(', ');
    const byRule = of.filter((s) => s.ownerIsInitiator).length;
    const late = of.filter((s) =>
      [s.cutToNoticeOwner, s.cutToNoticeOther].some((v) => v != null && v > (s.cutMs ?? cutMs)),
    ).length;
    return `${mode}: owner ${owners} (the pair's initiator in ${byRule} of ${of.length})${late ? `, ${late} run(s) with a notice after the restore` : ''}`;
  });
  table.push(
    '',
    `silent-cut: A = Ada (her page's media is cut), B = Bob. Owner = the side whose CONF_RESUMING_IND came (none: the pair's initiator), other = the other side; episodes counted from the cut to 3 s after the RESULT. ${notes.join('; ')}.`,
  );
}

// Behind NATs through TURN against the direct path, same run: difference of the medians.
const GOAL_MS = 300;
const COMPARED: [Metric, string][] = [
  ['framesOnA', 'change → frames on A'],
  ['framesOnB', 'change → frames on B'],
  ['toResumeResult', 'change → CONF_RESUME_RESULT'],
  ['episodesOnA', 'episodes on A (count)'],
  ['episodesOnB', 'episodes on B (count)'],
];
const natVsDirect: Record<string, unknown> = {};
const pairs = NAT_SCENARIOS.filter(
  (nat) => scenariosRun.includes(nat) && scenariosRun.includes(DIRECT_COUNTERPART[nat] ?? ''),
);
if (pairs.length) {
  table.push(
    '',
    `Behind NATs through TURN (NAT lab: symmetric NATs, coturn, udp+tcp) against the direct path (flat lab, no NAT), same run. Times in ms, median (min–max); difference = NAT median − direct median; goal: frames back on each side within ${GOAL_MS} ms of the direct path.`,
    '',
    '| change | mode | metric | direct path | behind NATs, through TURN | difference | goal |',
    '|---|---|---|---|---|---|---|',
  );
  const paths: string[] = [];
  for (const nat of pairs) {
    const direct = DIRECT_COUNTERPART[nat] ?? '';
    const entry: Record<string, unknown> = { against: direct };
    for (const mode of modes) {
      const of = (scenario: string) => all.filter((s) => s.scenario === scenario && s.mode === mode);
      const byMetric: Record<string, unknown> = {};
      for (const [metric, label] of COMPARED) {
        const values = (scenario: string) => of(scenario).map((s) => s[metric]);
        const d = summarize(values(direct).filter((v): v is number => typeof v === 'number'));
        const n = summarize(values(nat).filter((v): v is number => typeof v === 'number'));
        const missing = {
          direct: values(direct).filter((v) => v == null).length,
          nat: values(nat).filter((v) => v == null).length,
        };
        const difference = d.n && n.n ? n.median - d.median : null;
        const timed = metric === 'framesOnA' || metric === 'framesOnB';
        const met = timed && difference !== null ? difference <= GOAL_MS && missing.nat === 0 : undefined;
        byMetric[metric] = {
          direct: d,
          nat: n,
          difference,
          missing,
          ...(met === undefined ? {} : { withinGoal: met }),
        };
        const cell = (s: typeof d, miss: number) =>
          s.n ? `${s.median} (${s.min}–${s.max})${miss ? `, ${miss} never` : ''}` : `never (${miss})`;
        const sign = difference === null ? '—' : `${difference > 0 ? '+' : ''}${difference}`;
        table.push(
          `| ${nat} vs ${direct} | ${mode} | ${label} | ${cell(d, missing.direct)} | ${cell(n, missing.nat)} | ${sign} | ${met === undefined ? '—' : met ? 'met' : 'not met'} |`,
        );
      }
      entry[mode] = byMetric;
      for (const scenario of [direct, nat]) {
        const count = (side: 'pathA' | 'pathB') => {
          const seen = new Map<string, number>();
          for (const s of of(scenario)) seen.set(s[side] ?? 'none', (seen.get(s[side] ?? 'none') ?? 0) + 1);
          return [...seen].map(([p, k]) => `${p} ×${k}`).join(', ');
        };
        paths.push(`${scenario} (${mode}): A ${count('pathA')}; B ${count('pathB')}`);
      }
    }
    natVsDirect[nat] = entry;
  }
  table.push('', `Selected candidate pair after the recovery (local ⇄ remote): ${paths.join('. ')}.`);
}
const failed = all.filter((s) => s.error);
if (failed.length) {
  table.push(
    '',
    `Runs not measured: ${failed.map((s) => `${s.scenario} (${s.mode}): ${s.error}`).join('; ')}.`,
  );
}
if (!values['print-only']) {
  writeFileSync(
    join(root, 'bench/results/recovery.json'),
    `${JSON.stringify({ measuredAt: new Date().toISOString(), runs, cutMs, modes, scenarios: scenariosRun, result, natVsDirect, samples: all }, null, 2)}\n`,
  );
  writeFileSync(join(root, 'bench/results/recovery.md'), `${table.join('\n')}\n`);
}
console.log(`\n${table.join('\n')}`);
