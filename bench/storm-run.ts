/**
 * One storm: a fresh server child (and a fresh Redis when asked), N participants spread over
 * worker threads, logged in and seated in conferences of 4, every connection torn down at
 * once, then every participant resumes on its own. Returns what storm.ts reports.
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import { RESUME_WINDOW_MS } from '../shared/src/timing.ts';
import { startRedis, type TestRedis } from '../tests/support/redis.ts';
import {
  LOAD_CORE,
  pinProcess,
  type ServerHandle,
  startServerChild,
  startWorker,
  type WorkerHandle,
} from './storm-children.ts';
import { cpuTimes, listenOverflows, peakRssBytes, processCpuMs, waitForQuiet } from './storm-machine.ts';
import {
  type ClientKind,
  type MemorySample,
  ROOM_SIZE,
  type StoreKind,
  type SystemKind,
} from './storm-protocol.ts';
import { merge, type StormResult, summarize } from './storm-result.ts';

export interface StormConfig {
  system: SystemKind;
  store: StoreKind;
  clients: ClientKind;
  jitter: boolean;
  n: number;
  workers: number;
  setupConcurrency: number;
  /** Directory for a CPU profile of the server during each storm. */
  profileDir?: string;
  /** Pin the server to core 0, the load generator and Redis to core 1 (see `pinProcess`). */
  pin: boolean;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long the seated participants are left alone before the drop (server CPU at rest). */
const REST_MS = 1_000;
/** How long a server that is still drowning after the storm gets to report its loop lag. */
const LAG_ANSWER_MS = 20_000;

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
  const profileName = (who: string) =>
    `storm-${who}-${config.n}-${config.system}-${config.store}-jitter-${config.jitter ? 'on' : 'off'}`;
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
              profilePath: join(config.profileDir, `${profileName('server')}.cpuprofile`),
            }
          : {}),
      },
      config.pin,
    );
    if (config.pin && server.redisPid !== null) pinProcess(server.redisPid, LOAD_CORE);
    const before = (await server.request<'memory'>('memory')).memory;

    const setupStart = Date.now();
    for (const [w, [from, to]] of split(config.n, config.workers).entries()) {
      workers.push(
        startWorker({
          system: config.system,
          clients: config.clients,
          url: `http://127.0.0.1:${server.port}`,
          from,
          to,
          jitter: config.jitter,
          setupConcurrency: config.setupConcurrency,
          tag,
          ...(config.profileDir
            ? { profilePath: join(config.profileDir, `${profileName('clients')}-w${w}.cpuprofile`) }
            : {}),
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
