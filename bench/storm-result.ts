/** What one storm measured (StormResult), and how the raw readings of runStorm become it. */
import { RESUME_WINDOW_MS } from '../shared/src/timing.ts';
import type { LoopLag, MemorySample, StoreKind, SystemKind, WorkerResults } from './storm-protocol.ts';
import { cdf, latencies, mean, percentile } from './storm-stats.ts';

export interface StormResult {
  system: SystemKind;
  store: StoreKind;
  jitter: boolean;
  n: number;
  /** Participants logged in and seated before the drop. */
  ready: number;
  setupFailures: Record<string, number>;
  setupMs: number;
  /**
   * The drop: TCP connections the server held when it started, connections the clients
   * destroyed, participants that saw their socket close; how far apart the workers' drop
   * instants were, and the longest a worker took to destroy all of its connections.
   */
  dropped: {
    serverConnections: number;
    clientSockets: number;
    clientsSawClose: number;
    spreadMs: number;
    tookMs: number;
  };
  /** Resumed (CSR: recovered) within RESUME_WINDOW_MS of the drop. */
  resumed: number;
  resumedPct: number;
  /** Drop → conference resume (CSR: `recovered` connect), over all N; null = not reached. */
  latencyMs: { p50: number | null; p90: number | null; p99: number | null; max: number | null };
  /** Drop → the participant's socket reported the close. */
  closeSeenMs: { p50: number | null; p99: number | null };
  /**
   * The participant's own close event → its resume: without the time the simulated clients
   * queue behind each other (N sockets on a few threads) before they even see the drop.
   */
  fromCloseMs: { p50: number | null; p99: number | null };
  /** Product only: drop → login resume. */
  loginLatencyMs: { p50: number | null; p99: number | null } | null;
  /** resumed / (last resume − drop). */
  resumesPerSec: number;
  attempts: { mean: number; max: number };
  failures: Record<string, number>;
  episodesBeforeDrop: number;
  /**
   * Server event-loop delay from the drop until every participant was done; null when the
   * server was still too busy to report it 20 s after the storm.
   */
  loopLagMs: { p50: number; p99: number; max: number } | null;
  /** Server process CPU time / wall time over the same span (100 % = one core saturated). */
  serverCpuPct: number;
  /** Server CPU in cores with all N seated and idle (heartbeats), in the second before the drop. */
  serverRestCores: number | null;
  /**
   * The storm's server CPU beyond that resting load, per participant resumed: the cost of one
   * resume (disconnect, handshake, login resume, conference resume, events), whatever the pace.
   * Null when fewer than half resumed: the quotient would describe the failures.
   */
  serverCpuMsPerResume: number | null;
  /** The client workers' own event-loop delay (worst worker): the load generator's saturation. */
  clientLoopLagMs: { p99: number; max: number };
  /** CPU used on the machine by anything (other users included) in the second before setup. */
  machineBusyBeforePct: number;
  /**
   * Connections the kernel refused to queue over the storm (TcpExt ListenOverflows, machine-wide):
   * each one's client retries its handshake only after 1–3 s. Null where /proc does not say.
   */
  listenOverflows: number | null;
  /**
   * CPU time in cores over the storm (drop → last participant done): the whole machine, the
   * server process, the client process (all workers), and the rest, which is someone else's
   * load on a shared machine: a storm with a large `others` measured a crowded machine.
   */
  stormCpuCores: { machine: number; server: number; clients: number; redis: number; others: number };
  memory: {
    /** Server RSS, idle, before any participant connected (after a full GC). */
    rssBeforeBytes: number;
    /** Server RSS with all N logged in and seated, just before the drop (after a full GC). */
    rssHeldBytes: number;
    /** Highest server RSS sampled during the storm (null: the server did not report). */
    rssPeakBytes: number | null;
    /** (rssHeld − rssBefore) / N. */
    rssPerSessionBytes: number;
    /** (rssPeak − rssBefore) / N: what the storm needs per participant at its worst. */
    rssPeakPerSessionBytes: number | null;
    /** Redis used_memory growth per participant, when the store is Redis. */
    redisPerSessionBytes: number | null;
    /** The Redis process's peak RSS (VmHWM) by the end of the storm. */
    redisPeakRssBytes: number | null;
  };
  /** Drop → last participant resumed. */
  stormMs: number;
  /** Drop → every participant resumed or gave up (or the deadline): how long the storm ran. */
  measuredMs: number;
  /** Set when a first run was discarded for outside load: that run's `others` cores. */
  discardedRunOthersCores?: number;
  /** (latency ms, fraction of N resumed): the chart's curve. */
  cdf: [number, number][];
}

/** Adds the counts of `from` into `into`. */
export function merge(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

export interface Raw {
  machineBusyBeforePct: number;
  listenOverflows: number | null;
  stormCpuCores: StormResult['stormCpuCores'];
  ready: number;
  setupFailures: Record<string, number>;
  setupMs: number;
  before: MemorySample;
  held: MemorySample;
  drop: {
    at: number;
    spreadMs: number;
    tookMs: number;
    serverConnections: number;
    clientSockets: number;
  };
  /** Null when the server did not answer after the storm. */
  lag: LoopLag | null;
  /** Drop → every participant done (or the deadline). */
  wallMs: number;
  serverRestCores: number | null;
  redisPeakBytes: number | null;
  results: WorkerResults[];
}

export function summarize(
  config: Pick<StormResult, 'system' | 'store' | 'jitter' | 'n'>,
  raw: Raw,
): StormResult {
  const dropAt = raw.drop.at;
  const doneAt = raw.results.flatMap((r) => [...r.doneAt]);
  const loginAt = raw.results.flatMap((r) => [...r.loginAt]);
  const attempts = raw.results.flatMap((r) => [...r.attempts]);
  const closedAt = raw.results.flatMap((r) => [...r.closedAt]);
  const closed = latencies(closedAt, dropAt);
  const fromClose = doneAt
    .map((t, i) => (Number.isNaN(t) ? Number.POSITIVE_INFINITY : t - (closedAt[i] ?? dropAt)))
    .sort((a, b) => a - b);
  // Participants whose setup failed have no worker entry; they count as not resumed.
  while (doneAt.length < config.n) doneAt.push(Number.NaN);
  const sorted = latencies(doneAt, dropAt);
  const inWindow = sorted.filter((ms) => ms <= RESUME_WINDOW_MS);
  const resumed = inWindow.length;
  const last = inWindow.at(-1) ?? 0;
  const failures: Record<string, number> = {};
  for (const r of raw.results) merge(failures, r.failures);
  const finiteDone = doneAt.filter((t) => !Number.isNaN(t));
  const stormEnd = finiteDone.length > 0 ? Math.max(...finiteDone) : dropAt;
  const login = latencies(loginAt, dropAt);
  return {
    system: config.system,
    store: config.store,
    jitter: config.jitter,
    n: config.n,
    ready: raw.ready,
    setupFailures: raw.setupFailures,
    setupMs: raw.setupMs,
    dropped: {
      serverConnections: raw.drop.serverConnections,
      clientSockets: raw.drop.clientSockets,
      spreadMs: raw.drop.spreadMs,
      tookMs: raw.drop.tookMs,
      clientsSawClose: raw.results.reduce((s, r) => s + r.disconnected, 0),
    },
    resumed,
    resumedPct: (100 * resumed) / config.n,
    latencyMs: {
      p50: percentile(sorted, 50),
      p90: percentile(sorted, 90),
      p99: percentile(sorted, 99),
      max: percentile(sorted, 100),
    },
    closeSeenMs: { p50: percentile(closed, 50), p99: percentile(closed, 99) },
    fromCloseMs: { p50: percentile(fromClose, 50), p99: percentile(fromClose, 99) },
    loginLatencyMs:
      config.system === 'product' ? { p50: percentile(login, 50), p99: percentile(login, 99) } : null,
    resumesPerSec: last > 0 ? resumed / (last / 1000) : 0,
    attempts: { mean: mean(attempts), max: attempts.reduce((a, b) => Math.max(a, b), 0) },
    failures,
    episodesBeforeDrop: raw.results.reduce((s, r) => s + r.episodesBeforeDrop, 0),
    loopLagMs: raw.lag ? { p50: raw.lag.p50Ms, p99: raw.lag.p99Ms, max: raw.lag.maxMs } : null,
    serverCpuPct: 100 * raw.stormCpuCores.server,
    serverRestCores: raw.serverRestCores,
    serverCpuMsPerResume:
      resumed >= config.n / 2 && raw.serverRestCores !== null
        ? (Math.max(0, raw.stormCpuCores.server - raw.serverRestCores) * raw.wallMs) / resumed
        : null,
    clientLoopLagMs: {
      p99: Math.max(...raw.results.map((r) => r.loopLagP99Ms)),
      max: Math.max(...raw.results.map((r) => r.loopLagMaxMs)),
    },
    machineBusyBeforePct: raw.machineBusyBeforePct,
    listenOverflows: raw.listenOverflows,
    stormCpuCores: raw.stormCpuCores,
    memory: {
      rssBeforeBytes: raw.before.rssBytes,
      rssHeldBytes: raw.held.rssBytes,
      rssPeakBytes: raw.lag?.rssPeakBytes ?? null,
      rssPerSessionBytes: (raw.held.rssBytes - raw.before.rssBytes) / config.n,
      rssPeakPerSessionBytes: raw.lag ? (raw.lag.rssPeakBytes - raw.before.rssBytes) / config.n : null,
      redisPerSessionBytes:
        raw.held.redisUsedBytes !== null && raw.before.redisUsedBytes !== null
          ? (raw.held.redisUsedBytes - raw.before.redisUsedBytes) / config.n
          : null,
      redisPeakRssBytes: raw.redisPeakBytes,
    },
    stormMs: stormEnd - dropAt,
    measuredMs: raw.wallMs,
    cdf: cdf(sorted),
  };
}
