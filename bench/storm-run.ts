/**
 * One storm: a fresh server child (and a fresh Redis when asked), N participants spread over
 * worker threads, logged in and seated in conferences of 4, every connection torn down at
 * once, then every participant resumes on its own. Returns what storm.ts reports.
 */
import { type ChildProcess, execFileSync, fork } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { RESUME_WINDOW_MS } from '../shared/src/timing.ts';
import { startRedis, type TestRedis } from '../tests/support/redis.ts';
import {
  type LoopLag,
  type MemorySample,
  ROOM_SIZE,
  type ServerMessage,
  type ServerOptions,
  type ServerRequest,
  type StoreKind,
  type SystemKind,
  type WorkerMessage,
  type WorkerOptions,
  type WorkerRequest,
  type WorkerResults,
} from './storm-protocol.ts';
import { cdf, latencies, mean, percentile } from './storm-stats.ts';

export interface StormConfig {
  system: SystemKind;
  store: StoreKind;
  jitter: boolean;
  n: number;
  workers: number;
  setupConcurrency: number;
  /** Directory for a CPU profile of the server during each storm. */
  profileDir?: string;
  /** Pin the server to core 0, the load generator and Redis to core 1 (see `pinProcess`). */
  pin: boolean;
}

/** The core the server gets to itself when pinning; everything of the bench else gets the other. */
export const SERVER_CORE = 0;
export const LOAD_CORE = 1;

/**
 * Pins every thread of a process to one core (`taskset -a`; threads created later inherit it).
 * On a 2-core machine an unpinned load generator takes CPU from the server whenever it likes,
 * and the server's event-loop lag then counts the time it waited for a core, not its own work.
 */
export function pinProcess(pid: number, core: number): void {
  execFileSync('taskset', ['-a', '-p', '-c', String(core), String(pid)], { stdio: 'ignore' });
}

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

interface ServerHandle {
  port: number;
  pid: number;
  redisPid: number | null;
  request<T extends ServerMessage['type']>(
    type: ServerRequest['type'],
  ): Promise<Extract<ServerMessage, { type: T }>>;
  /** Waits up to `graceMs` for the process to exit by itself (profiles get written), then kills it. */
  kill(graceMs: number): Promise<void>;
}

function startServerChild(options: ServerOptions, pin: boolean): Promise<ServerHandle> {
  const child: ChildProcess = fork(
    fileURLToPath(new URL('./storm-server.ts', import.meta.url)),
    [JSON.stringify(options)],
    {
      // The parent's execArgv carries tsx's loader; --expose-gc makes RSS readings repeatable;
      // the young generation is sized as `npm run serve` sizes it.
      execArgv: [...process.execArgv, '--expose-gc', '--max-semi-space-size=32'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  if (pin && child.pid !== undefined) pinProcess(child.pid, SERVER_CORE);
  let nextId = 1;
  const waiting = new Map<number, (m: ServerMessage) => void>();
  return new Promise((resolve, reject) => {
    child.on('message', (message: ServerMessage) => {
      if (message.type === 'ready') {
        resolve({
          port: message.port,
          pid: child.pid ?? 0,
          redisPid: message.redisPid,
          request(type) {
            const id = nextId++;
            return new Promise((done) => {
              waiting.set(id, done as (m: ServerMessage) => void);
              child.send({ id, type } as ServerRequest);
            });
          },
          kill: (graceMs) =>
            new Promise<void>((done) => {
              if (child.exitCode !== null || child.signalCode !== null) return done();
              const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
              child.once('exit', () => {
                clearTimeout(timer);
                done();
              });
            }),
        });
      } else if (message.type === 'failed') {
        console.error(`storm server: ${message.message}`);
        reject(new Error(`storm server: ${message.message}`));
      } else {
        waiting.get(message.id)?.(message);
        waiting.delete(message.id);
      }
    });
    // Before 'ready' only; later exits are awaited by kill().
    child.once('exit', (code) => reject(new Error(`storm server exited (${code})`)));
  });
}

interface WorkerHandle {
  worker: Worker;
  /** The next message of this type. */
  next<T extends WorkerMessage['type']>(type: T): Promise<Extract<WorkerMessage, { type: T }>>;
  send(request: WorkerRequest): void;
}

/**
 * Node 20 does not apply tsx's loader (registered by `--import` in the main thread) inside
 * worker threads, even with the same execArgv: the worker registers it itself, then loads the
 * TypeScript entry.
 */
const WORKER_BOOT = new URL(
  `data:text/javascript,${encodeURIComponent(
    `const { register } = await import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))});
register();
await import(${JSON.stringify(new URL('./storm-clients.ts', import.meta.url).href)});`,
  )}`,
);

function startWorker(options: WorkerOptions): WorkerHandle {
  const worker = new Worker(WORKER_BOOT, {
    workerData: options,
    // Thousands of sockets churn short-lived objects: a larger young generation halves the
    // scavenges, CPU the load generator would otherwise take from the server it measures.
    resourceLimits: { maxYoungGenerationSizeMb: 64 },
  });
  const waiters = new Map<string, (m: WorkerMessage) => void>();
  const early = new Map<string, WorkerMessage>();
  worker.on('message', (message: WorkerMessage) => {
    if (message.type === 'error') {
      console.error(`client worker: ${message.message}`);
      return;
    }
    const waiter = waiters.get(message.type);
    if (waiter) {
      waiters.delete(message.type);
      waiter(message);
    } else early.set(message.type, message);
  });
  worker.on('error', (err) => console.error('client worker failed:', err));
  return {
    worker,
    next(type) {
      const seen = early.get(type);
      if (seen) {
        early.delete(type);
        return Promise.resolve(seen as never);
      }
      return new Promise((resolve) => waiters.set(type, resolve as (m: WorkerMessage) => void));
    },
    send: (request) => worker.postMessage(request),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long the seated participants are left alone before the drop (server CPU at rest). */
const REST_MS = 1_000;
/** How long a server that is still drowning after the storm gets to report its loop lag. */
const LAG_ANSWER_MS = 20_000;

const CLOCK_TICKS_PER_S = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** A process's peak RSS so far (VmHWM), from /proc/<pid>/status. */
function peakRssBytes(pid: number): number | null {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/** CPU time (user + system, every thread) a process has used, from /proc/<pid>/stat. */
function processCpuMs(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
  } catch {
    return null;
  }
}

/** The kernel's count of connections dropped for a full listen queue (TcpExt ListenOverflows). */
function listenOverflows(): number | null {
  try {
    const lines = readFileSync('/proc/net/netstat', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('TcpExt:'));
    const names = lines[0]?.split(/\s+/) ?? [];
    const values = lines[1]?.split(/\s+/) ?? [];
    const i = names.indexOf('ListenOverflows');
    return i < 0 ? null : Number(values[i]);
  } catch {
    return null;
  }
}

/** Busy and total jiffies of all CPUs, from /proc/stat. */
function cpuTimes(): { busy: number; total: number } | null {
  try {
    const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
    const f = line.trim().split(/\s+/).slice(1).map(Number);
    const total = f.reduce((a, b) => a + b, 0);
    // idle + iowait
    return { busy: total - (f[3] ?? 0) - (f[4] ?? 0), total };
  } catch {
    return null;
  }
}

async function machineBusyPct(ms: number): Promise<number> {
  const a = cpuTimes();
  await sleep(ms);
  const b = cpuTimes();
  if (!a || !b || b.total === a.total) return 0;
  return (100 * (b.busy - a.busy)) / (b.total - a.total);
}

/** Quiet means less than this much CPU in use with none of the bench running. */
const QUIET_PCT = 20;
const QUIET_WAIT_MS = 20_000;

/**
 * The machine is shared (other people's tests run on it): a storm started while something else
 * burns the CPUs measures that instead. Waits, up to a bound, for a quiet second; returns the
 * CPU use of the last second sampled, which the report shows.
 */
async function waitForQuiet(log: (line: string) => void): Promise<number> {
  const deadline = Date.now() + QUIET_WAIT_MS;
  let busy = await machineBusyPct(1_000);
  if (busy >= QUIET_PCT)
    log(`  machine busy (${busy.toFixed(0)} % CPU), waiting up to ${QUIET_WAIT_MS / 1000} s`);
  while (busy >= QUIET_PCT && Date.now() < deadline) busy = await machineBusyPct(1_000);
  return busy;
}

function merge(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/** Ranges of whole conferences, one per worker. */
function split(n: number, workers: number): [number, number][] {
  const rooms = Math.ceil(n / ROOM_SIZE);
  const perWorker = Math.ceil(rooms / workers);
  const ranges: [number, number][] = [];
  for (let w = 0; w < workers; w++) {
    const from = Math.min(n, w * perWorker * ROOM_SIZE);
    const to = Math.min(n, (w + 1) * perWorker * ROOM_SIZE);
    if (to > from) ranges.push([from, to]);
  }
  return ranges;
}

export async function runStorm(config: StormConfig, log: (line: string) => void): Promise<StormResult> {
  const tag = `s${Date.now().toString(36)}`;
  let redis: TestRedis | null = null;
  let server: ServerHandle | null = null;
  const workers: WorkerHandle[] = [];
  try {
    const machineBusyBeforePct = await waitForQuiet(log);
    if (config.store === 'redis') redis = await startRedis();
    server = await startServerChild(
      {
        system: config.system,
        store: config.store,
        ...(redis ? { redisUrl: redis.url } : {}),
        keyPrefix: `storm:${tag}:`,
        ...(config.profileDir
          ? {
              profilePath: join(
                config.profileDir,
                `storm-server-${config.n}-${config.system}-${config.store}-jitter-${config.jitter ? 'on' : 'off'}.cpuprofile`,
              ),
            }
          : {}),
      },
      config.pin,
    );
    if (config.pin && server.redisPid !== null) pinProcess(server.redisPid, LOAD_CORE);
    const before = (await server.request<'memory'>('memory')).memory;

    const setupStart = Date.now();
    for (const [from, to] of split(config.n, config.workers)) {
      workers.push(
        startWorker({
          system: config.system,
          url: `http://127.0.0.1:${server.port}`,
          from,
          to,
          jitter: config.jitter,
          setupConcurrency: config.setupConcurrency,
          tag,
        }),
      );
    }
    const readies = await Promise.all(workers.map((w) => w.next('ready')));
    const setupMs = Date.now() - setupStart;
    const ready = readies.reduce((sum, r) => sum + r.connected, 0);
    const setupFailures: Record<string, number> = {};
    for (const r of readies) merge(setupFailures, r.setupFailures);
    log(`  ${ready}/${config.n} ready in ${(setupMs / 1000).toFixed(1)} s`);
    // Lets the last joins' events and the first heartbeats settle; meanwhile the server's CPU
    // at rest (heartbeats of N sockets) is measured, to tell the storm's own cost apart.
    const restFrom = processCpuMs(server.pid);
    await sleep(REST_MS);
    const restTo = processCpuMs(server.pid);
    const serverRestCores = restFrom !== null && restTo !== null ? (restTo - restFrom) / REST_MS : null;
    const held: MemorySample = (await server.request<'memory'>('memory')).memory;

    await Promise.all(
      workers.map((w) => {
        const armed = w.next('armed');
        w.send({ type: 'arm' });
        return armed;
      }),
    );
    const resultsPending = workers.map((w) => w.next('results'));
    const measuring = await server.request<'measuring'>('measure');
    const cpuBefore = {
      overflows: listenOverflows(),
      machine: cpuTimes(),
      clients: process.cpuUsage(),
      server: processCpuMs(server.pid),
      redis: server.redisPid === null ? null : processCpuMs(server.redisPid),
      at: Date.now(),
    };
    const drops = await Promise.all(
      workers.map((w) => {
        const dropped = w.next('dropped');
        w.send({ type: 'drop' });
        return dropped;
      }),
    );
    const drop = {
      at: Math.min(...drops.map((d) => d.at)),
      spreadMs: Math.max(...drops.map((d) => d.at)) - Math.min(...drops.map((d) => d.at)),
      tookMs: Math.max(...drops.map((d) => d.tookMs)),
      serverConnections: measuring.connections,
      clientSockets: drops.reduce((sum, d) => sum + d.sockets, 0),
    };
    const deadline = drop.at + RESUME_WINDOW_MS + 5_000;
    const timer = setTimeout(
      () => {
        for (const w of workers) w.send({ type: 'report' });
      },
      Math.max(0, deadline - Date.now()),
    );
    const reports = await Promise.all(resultsPending);
    clearTimeout(timer);
    // Read from /proc, not asked of the processes: a drowning server answers late, if at all.
    const wallMs = Math.max(1, Date.now() - cpuBefore.at);
    const clientsCpu = process.cpuUsage(cpuBefore.clients);
    const machineAfter = cpuTimes();
    const overflowsAfter = listenOverflows();
    const serverAfter = processCpuMs(server.pid);
    const redisAfter = server.redisPid === null ? null : processCpuMs(server.redisPid);
    // Redis's peak covers setup too, which the storm dwarfs whenever it matters.
    const redisPeakBytes = server.redisPid === null ? null : peakRssBytes(server.redisPid);
    const lag = await Promise.race([
      server.request<'lag'>('lag').then((m) => m.lag),
      sleep(LAG_ANSWER_MS).then(() => null),
    ]);
    if (!lag) log(`  the server did not report its loop lag within ${LAG_ANSWER_MS / 1000} s`);
    const cores = (before: number | null, after: number | null): number =>
      before === null || after === null ? 0 : (after - before) / wallMs;
    const machine =
      cpuBefore.machine && machineAfter && machineAfter.total > cpuBefore.machine.total
        ? ((machineAfter.busy - cpuBefore.machine.busy) / (machineAfter.total - cpuBefore.machine.total)) *
          cpus().length
        : 0;
    const serverCores = cores(cpuBefore.server, serverAfter);
    const clientCores = (clientsCpu.user + clientsCpu.system) / 1000 / wallMs;
    const redisCores = cores(cpuBefore.redis, redisAfter);
    const stormCpuCores = {
      machine,
      server: serverCores,
      clients: clientCores,
      redis: redisCores,
      others: Math.max(0, machine - serverCores - clientCores - redisCores),
    };

    return summarize(config, {
      machineBusyBeforePct,
      listenOverflows:
        cpuBefore.overflows === null || overflowsAfter === null ? null : overflowsAfter - cpuBefore.overflows,
      stormCpuCores,
      ready,
      setupFailures,
      setupMs,
      before,
      held,
      drop,
      lag,
      wallMs,
      serverRestCores,
      redisPeakBytes,
      results: reports.map((r) => r.results),
    });
  } finally {
    await Promise.all(
      workers.map(async (w) => {
        const closed = w.next('closed');
        w.send({ type: 'close' });
        await Promise.race([closed, sleep(5_000)]);
        await w.worker.terminate();
      }),
    );
    if (server) {
      await Promise.race([server.request('stop'), sleep(5_000)]);
      await server.kill(5_000);
    }
    await redis?.stop();
  }
}

interface Raw {
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

function summarize(config: StormConfig, raw: Raw): StormResult {
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
