/**
 * The storm bench's outputs: the markdown table and the latency chart, from the results.
 */
import { RESUME_WINDOW_MS } from '../shared/src/timing.ts';
import type { StormResult } from './storm-result.ts';
import { lineChart, type Panel, type Series } from './svg-chart.ts';

export const GOAL = { n: 10_000, resumedPct: 100, p99Ms: 2_000, loopLagP99Ms: 100 } as const;

/**
 * Above this share of the load generator's cores busy, the generator set the pace, not the
 * server: such a storm says how fast the simulated clients are, and is marked invalid.
 */
export const GENERATOR_BUSY_LIMIT = 0.8;

/** How busy the generator's cores were over the storm: the client workers and Redis, pinned with them. */
export function generatorBusy(s: StormResult, clientCores: number): number {
  return (s.stormCpuCores.clients + s.stormCpuCores.redis) / clientCores;
}

const fmtBusy = (busy: number): string =>
  `${Math.round(100 * busy)} %${busy > GENERATOR_BUSY_LIMIT ? ' (invalid)' : ''}`;

export interface StormError {
  system: string;
  store: string;
  jitter: boolean;
  n: number;
  error: string;
}

export interface StormReport {
  measuredAt: string;
  command: string;
  machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; openFilesLimit: number | null };
  /** Cores the load generator could use (1 when pinned). */
  clientCores: number;
  method: Record<string, string>;
  goal: typeof GOAL;
  storms: StormResult[];
  errors: StormError[];
}

const fmtMs = (v: number | null): string => (v === null ? '> window' : `${Math.round(v)}`);
const fmtKiB = (bytes: number | null): string => (bytes === null ? '–' : (bytes / 1024).toFixed(1));
const fmtMiB = (bytes: number): string => (bytes / 1024 / 1024).toFixed(0);

export function label(s: { system: string; store: string; jitter: boolean }): string {
  const system = s.system === 'product' ? 'resume protocol' : 'socket.io CSR';
  return `${system}, ${s.store}, jitter ${s.jitter ? 'on' : 'off'}`;
}

function failuresText(failures: Record<string, number>): string {
  const entries = Object.entries(failures);
  return entries.length === 0 ? '–' : entries.map(([k, v]) => `${k} ×${v}`).join(', ');
}

/** Each part of the goal, judged on one storm's own figures. */
export function goalCheck(s: StormResult): { resumed: boolean; p99: boolean; lag: boolean } {
  return {
    resumed: s.resumedPct >= GOAL.resumedPct,
    p99: s.latencyMs.p99 !== null && s.latencyMs.p99 <= GOAL.p99Ms,
    lag: s.loopLagMs !== null && s.loopLagMs.p99 <= GOAL.loopLagP99Ms,
  };
}

/** 'met', 'not met (…)', 'invalid (…)', or '–' for storms the goal does not speak about. */
export function goalText(s: StormResult, clientCores: number): string {
  if (s.n !== GOAL.n || s.system !== 'product') return '–';
  const busy = generatorBusy(s, clientCores);
  if (busy > GENERATOR_BUSY_LIMIT) return `invalid (generator ${Math.round(100 * busy)} % busy)`;
  const g = goalCheck(s);
  const missed = [!g.resumed && 'resumed', !g.p99 && 'p99', !g.lag && 'loop lag'].filter(Boolean);
  return missed.length === 0 ? 'met' : `not met (${missed.join(', ')})`;
}

export function markdown(report: StormReport): string {
  const lines: string[] = [];
  const m = report.machine;
  lines.push(
    '# Resume storm',
    '',
    `Measured ${report.measuredAt} on ${m.cpus} × ${m.cpuModel}, ${m.memoryGiB} GiB, Node ${m.node}, open files limit ${m.openFilesLimit ?? '?'}.`,
    '',
    `Command: \`${report.command}\``,
    '',
    `Goal (N = ${GOAL.n.toLocaleString('en')}, resume protocol): ${GOAL.resumedPct} % resumed, p99 ≤ ${GOAL.p99Ms} ms, server event-loop lag p99 ≤ ${GOAL.loopLagP99Ms} ms.`,
    '',
    '## How it is measured',
    '',
  );
  for (const [k, v] of Object.entries(report.method)) lines.push(`- **${k}**: ${v}`);
  lines.push(
    `- **validity**: a storm measures the server only while the load generator keeps up. "generator busy" is the CPU of the client workers and of Redis (pinned to the same core${report.clientCores === 1 ? '' : 's'}) over the storm, as a share of the ${report.clientCores} core${report.clientCores === 1 ? '' : 's'} they had; above ${100 * GENERATOR_BUSY_LIMIT} % the storm is marked invalid: its latencies say how fast the simulated clients were, not the server, and comparing two systems on them compares their clients.`,
  );
  const system = (s: StormResult): string => (s.system === 'product' ? 'resume protocol' : 'socket.io CSR');
  const key = (s: StormResult): string[] => [
    s.n.toLocaleString('en'),
    system(s),
    s.store,
    s.jitter ? 'on' : 'off',
  ];
  const table = (head: string[], rows: string[][]): void => {
    lines.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`);
    for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
    lines.push('');
  };
  lines.push(
    '',
    '## Results',
    '',
    '### Resumes',
    '',
    'Latency in ms from the drop over all N: a participant that never resumed counts as infinitely late, so "> window" means more than 1 % (p99) or 50 % (p50) did not make it.',
    '',
  );
  table(
    [
      'N',
      'system',
      'store',
      'jitter',
      'resumed ≤ 60 s',
      'p50',
      'p90',
      'p99',
      'max',
      'login p50 / p99',
      'resumes/s',
      'attempts mean / max',
      'not resumed',
      'generator busy',
      'goal',
    ],
    report.storms.map((s) => [
      ...key(s),
      `${s.resumedPct.toFixed(2)} % (${s.resumed})`,
      fmtMs(s.latencyMs.p50),
      fmtMs(s.latencyMs.p90),
      fmtMs(s.latencyMs.p99),
      fmtMs(s.latencyMs.max),
      s.loginLatencyMs ? `${fmtMs(s.loginLatencyMs.p50)} / ${fmtMs(s.loginLatencyMs.p99)}` : '–',
      String(Math.round(s.resumesPerSec)),
      `${s.attempts.mean.toFixed(2)} / ${s.attempts.max}`,
      failuresText(s.failures),
      fmtBusy(generatorBusy(s, report.clientCores)),
      goalText(s, report.clientCores),
    ]),
  );
  lines.push(
    '### Server',
    '',
    'Event-loop lag in ms beyond the sampling interval ("no answer": the server was still too busy to report it 20 s after the storm). CPU in cores (1 = one core busy the whole time): at rest = N seated participants idle (heartbeats), in storm = drop → last participant done; "ms / resume" = the storm\'s CPU beyond the resting load, per participant resumed. Memory per participant in KiB: "at rest" with all N seated before the drop, "peak" at the storm\'s highest RSS.',
    '',
  );
  table(
    [
      'N',
      'system',
      'store',
      'jitter',
      'loop lag p99',
      'loop lag max',
      'server CPU at rest (cores)',
      'server CPU in storm (cores)',
      'server CPU ms / resume',
      'RSS / session at rest',
      'RSS / session peak',
      'Redis / session',
      'server RSS at rest → peak (MiB)',
      'Redis peak RSS (MiB)',
    ],
    report.storms.map((s) => [
      ...key(s),
      s.loopLagMs ? s.loopLagMs.p99.toFixed(1) : 'no answer',
      s.loopLagMs ? s.loopLagMs.max.toFixed(0) : 'no answer',
      s.serverRestCores === null ? '–' : s.serverRestCores.toFixed(2),
      (s.serverCpuPct / 100).toFixed(2),
      s.serverCpuMsPerResume === null ? '–' : s.serverCpuMsPerResume.toFixed(2),
      fmtKiB(s.memory.rssPerSessionBytes),
      fmtKiB(s.memory.rssPeakPerSessionBytes),
      fmtKiB(s.memory.redisPerSessionBytes),
      `${fmtMiB(s.memory.rssHeldBytes)} → ${s.memory.rssPeakBytes === null ? '?' : fmtMiB(s.memory.rssPeakBytes)}`,
      s.memory.redisPeakRssBytes === null ? '–' : fmtMiB(s.memory.redisPeakRssBytes),
    ]),
  );
  lines.push(
    '### Load generator and machine',
    '',
    'The simulated clients share the machine with the server. "close seen": drop → the participant\'s socket reported the close (time spent queueing behind other simulated clients). "from own close": that moment → resumed. CPU in cores over the storm; "others" is load from outside the bench (the machine is shared), "busy before" the machine\'s CPU use in the second before the storm\'s setup. "listen overflows": connections the kernel dropped for a full listen queue during the storm (machine-wide; the server listens with a backlog of 4 096, Node\'s default is 511); each costs its client 1–3 s.',
    '',
  );
  table(
    [
      'N',
      'system',
      'store',
      'jitter',
      'close seen p50 / p99',
      'from own close p50 / p99',
      'client CPU (cores)',
      'client loop lag p99',
      'Redis CPU (cores)',
      'others (cores)',
      'busy before',
      'listen overflows',
      'setup (s)',
    ],
    report.storms.map((s) => [
      ...key(s),
      `${fmtMs(s.closeSeenMs.p50)} / ${fmtMs(s.closeSeenMs.p99)}`,
      `${fmtMs(s.fromCloseMs.p50)} / ${fmtMs(s.fromCloseMs.p99)}`,
      s.stormCpuCores.clients.toFixed(2),
      s.clientLoopLagMs.p99.toFixed(0),
      s.store === 'redis' ? s.stormCpuCores.redis.toFixed(2) : '–',
      s.stormCpuCores.others.toFixed(2),
      `${s.machineBusyBeforePct.toFixed(0)} %`,
      s.listenOverflows === null ? '–' : s.listenOverflows.toLocaleString('en'),
      (s.setupMs / 1000).toFixed(1),
    ]),
  );
  // On a small machine the simulated clients, not the server, may set the pace: say where.
  const clientBound = report.storms.filter(
    (s) => s.stormCpuCores.clients >= 0.95 * report.clientCores && s.stormCpuCores.server < 0.9,
  );
  if (clientBound.length > 0)
    lines.push(
      `Client-bound storms (the load generator used ≥ 95 % of its ${report.clientCores} core${report.clientCores === 1 ? '' : 's'} while the server used < 0.9): ${clientBound.map((s) => `N = ${s.n.toLocaleString('en')} ${label(s)}`).join('; ')}. Their latencies and resumes/s measure how fast the simulated clients could resume, a lower bound on what the server could do; the server's own cost is its "ms / resume".`,
      '',
    );
  const notes = report.storms.filter(
    (s) =>
      s.ready < s.n ||
      s.episodesBeforeDrop > 0 ||
      s.dropped.clientsSawClose < s.ready ||
      Object.keys(s.setupFailures).length > 0,
  );
  if (notes.length > 0) {
    lines.push('', 'Setup notes:', '');
    for (const s of notes)
      lines.push(
        `- N = ${s.n}, ${label(s)}: ${s.ready}/${s.n} seated (${failuresText(s.setupFailures)}), ${s.episodesBeforeDrop} resume episodes before the drop, ${s.dropped.clientsSawClose} saw the drop.`,
      );
  }
  if (report.errors.length > 0) {
    lines.push('', 'Not run:', '');
    for (const e of report.errors) lines.push(`- N = ${e.n}, ${label(e)}: ${e.error}`);
  }
  lines.push('', 'Chart: `storm.svg` (share of N resumed against time since the drop, one panel per N).', '');
  return lines.join('\n');
}

const COLORS: Record<string, string> = {
  'product/memory': '#1f6feb',
  'product/redis': '#2da44e',
  'csr/memory': '#d4760a',
  'csr/redis': '#b3261e',
};

export function chart(report: StormReport): string {
  const ns = [...new Set(report.storms.map((s) => s.n))].sort((a, b) => a - b);
  const color = (s: StormResult): string => COLORS[`${s.system}/${s.store}`] ?? '#555';
  const panels: Panel[] = ns.map((n) => {
    const storms = report.storms.filter((s) => s.n === n);
    return {
      title: `N = ${n.toLocaleString('en')}`,
      series: storms.map(
        (s): Series => ({ label: label(s), color: color(s), dashed: !s.jitter, points: s.cdf }),
      ),
      // A curve that never reaches the top, or never starts, says so in words.
      notes: storms
        .filter((s) => s.resumed < s.n)
        .map((s) => ({ text: `${label(s)}: ${s.resumedPct.toFixed(2)} % in 60 s`, color: color(s) })),
    };
  });
  return lineChart({
    title: 'Resume storm: share of participants resumed against time since every socket dropped',
    subtitle: `Conferences of 4, every connection torn down at once; clients retry on the SDK policy (solid: full jitter, dashed: without). ${report.measuredAt}`,
    xLabel: 'time since the drop (log scale)',
    yLabel: 'participants resumed',
    x: {
      min: 100,
      max: RESUME_WINDOW_MS,
      log: true,
      ticks: [100, 300, 1_000, 3_000, 10_000, 30_000, 60_000],
      format: (v) => (v >= 1_000 ? `${v / 1_000} s` : `${v} ms`),
    },
    y: { min: 0, max: 1, ticks: [0, 0.25, 0.5, 0.75, 1], format: (v) => `${Math.round(v * 100)} %` },
    markers: [{ x: GOAL.p99Ms, label: 'goal: p99 ≤ 2 s' }],
    panels,
    columns: Math.min(3, panels.length),
  });
}
