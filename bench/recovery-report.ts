/**
 * bench:recovery's report: per scenario and metric, fast against naive (median, min–max, ratio);
 * who owned the silent cuts; behind NATs through TURN against the direct path of the same run;
 * and the runs that could not be measured. The table is markdown lines; the objects go to
 * recovery.json.
 */
import { DIRECT_COUNTERPART, NAT_SCENARIOS } from './recovery-nat.ts';
import type { Mode, Sample } from './recovery-sample.ts';
import { ratioText, summarize } from './stats.ts';

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

export interface ReportOptions {
  runs: number;
  cutMs: number;
  modes: Mode[];
}

export function recoveryReport(all: Sample[], { runs, cutMs, modes }: ReportOptions) {
  const scenariosRun = [...new Set(all.map((s) => s.scenario))];
  const table: string[] = [
    `Scenarios: ${scenariosRun.join(', ')}; modes: ${modes.join(', ')}; measured ${new Date().toISOString()}.`,
    '',
    `Runs per scenario and mode: ${runs}; loopback cut length: ${cutMs} ms. Times in ms, median (min–max); ratio = naive median / fast median.`,
    '',
    '| scenario | metric | fast | naive | ratio |',
    '|---|---|---|---|---|',
  ];
  const result = fastAgainstNaive(all, scenariosRun, table);
  silentCutNotes(all, modes, cutMs, table);
  const natVsDirect = natAgainstDirect(all, scenariosRun, modes, table);
  const failed = all.filter((s) => s.error);
  if (failed.length) {
    table.push(
      '',
      `Runs not measured: ${failed.map((s) => `${s.scenario} (${s.mode}): ${s.error}`).join('; ')}.`,
    );
  }
  return { table, scenariosRun, result, natVsDirect };
}

/** Per scenario and metric: fast against naive, as rows of `table` and as recovery.json's `result`. */
function fastAgainstNaive(all: Sample[], scenariosRun: string[], table: string[]) {
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
        `| ${scenario} | ${label} | ${cell(fast, missing.fast)} | ${cell(naive, missing.naive)} | ${ratio === null ? '—' : ratioText(ratio)} |`,
      );
    }
  }
  return result;
}

/** Who owned the silent cuts, and whether every notice came while media was still cut. */
function silentCutNotes(all: Sample[], modes: Mode[], cutMs: number, table: string[]): void {
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

/** Behind NATs through TURN against the direct path, as rows of `table` and as recovery.json's `natVsDirect`. */
function natAgainstDirect(all: Sample[], scenariosRun: string[], modes: Mode[], table: string[]) {
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
  return natVsDirect;
}
