/**
 * Building blocks of the network-namespace labs (netns.ts: one router; nat-lab.ts: NATs, a
 * carrier-grade NAT, firewalls). Each lab owns a test range that never leaves the machine and
 * names its namespaces `<prefix><pid36>-<hex>-<role>`, so leftovers of a crashed run can be told
 * from a live lab's: the owner's pid is in the names and is the metric of the host route.
 *
 * Safety (environment.md, mandatory) lives here, shared: the host blackhole route for a lab's
 * whole range ({@link acquireHostBlackhole}), the egress guard of every namespace
 * ({@link guardNamespace}), and teardown at process exit and on SIGINT/SIGTERM
 * ({@link disposeAtExit}).
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromiumPath } from './chromium.ts';

/**
 * The package's root (this repo, or `node_modules/resume-meeting` when the fixtures run from the
 * installed package): where the signaling server and the built app are.
 */
export const REPO_ROOT = packageRoot(dirname(fileURLToPath(import.meta.url)));

function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && JSON.parse(readFileSync(manifest, 'utf8')).name === 'resume-meeting')
      return dir;
    if (dirname(dir) === dir) throw new Error(`no resume-meeting package.json above ${from}`);
  }
}

/** `<pid36>-<6 hex>`: the owner process and a random part, for names of one lab. */
export function newLabId(): string {
  return `${process.pid.toString(36)}-${randomBytes(3).toString('hex')}`;
}

/** Whether a process exists and is not a zombie (a just-killed owner is not alive). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/PID/stat: "pid (comm) S ..." — the state letter follows the last ')'.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/** Closes the browsers a lab launched, giving each at most 5 s (a hung one must not stall teardown). */
export function closeBrowsers(browsers: Iterable<{ close(): Promise<void> }>): Promise<unknown> {
  const within5s = () => new Promise((r) => setTimeout(r, 5_000));
  return Promise.all([...browsers].map((b) => Promise.race([b.close().catch(() => {}), within5s()])));
}

export function sh(cmd: string, args: string[], timeoutMs = 15_000): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`\`${cmd} ${args.join(' ')}\` failed: ${stderr.trim() || err.message}`));
      else resolvePromise(stdout);
    });
  });
}

/** Runs `ip -n NS -batch -` with one command per line: a change applied in one process. */
export function ipBatch(ns: string, lines: string[], timeoutMs = 15_000): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      'ip',
      ['-n', ns, '-batch', '-'],
      { timeout: timeoutMs, encoding: 'utf8' },
      (err, _o, stderr) => {
        if (err)
          reject(
            new Error(`\`ip -n ${ns} -batch\` (${lines.join('; ')}) failed: ${stderr.trim() || err.message}`),
          );
        else resolvePromise();
      },
    );
    child.stdin?.end(`${lines.join('\n')}\n`);
  });
}

export function shSync(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000 });
}

/** Best effort: runs and ignores failure (teardown must never stop half way). */
export function trySync(cmd: string, args: string[]): void {
  try {
    shSync(cmd, args);
  } catch {
    /* already gone */
  }
}

/** SIGKILLs every process inside a namespace (all were started by the lab that owns it). */
export function killNamespacePids(ns: string): void {
  let pids: number[] = [];
  try {
    pids = shSync('ip', ['netns', 'pids', ns])
      .split(/\s+/)
      .filter(Boolean)
      .map(Number)
      .filter((p) => p > 1 && p !== process.pid);
  } catch {
    return;
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* exited */
    }
  }
}

/** Removes namespaces (killing what runs inside first). Idempotent. */
export function deleteNamespaces(names: Iterable<string>): void {
  const all = [...names];
  for (const ns of all) killNamespacePids(ns);
  for (const ns of all) trySync('ip', ['netns', 'del', ns]);
}

// ---------------------------------------------------------------------------------------------
// Exit hooks: every live lab is torn down synchronously at exit and on SIGINT/SIGTERM.

export interface SyncDisposable {
  disposeSync(): void;
}

const atExit = new Set<SyncDisposable>();
let hooksInstalled = false;

/** Registers a lab for teardown at process exit/signals (until {@link forgetAtExit}). */
export function disposeAtExit(lab: SyncDisposable): void {
  atExit.add(lab);
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const l of atExit) l.disposeSync();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = () => {
      for (const l of atExit) l.disposeSync();
      // Keep the default behaviour (exit) unless someone else (the test runner) handles it.
      if (process.listenerCount(signal) === 1) {
        process.off(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

export function forgetAtExit(lab: SyncDisposable): void {
  atExit.delete(lab);
}

// ---------------------------------------------------------------------------------------------
// Host blackhole route: `blackhole RANGE metric <owner pid>`, one per range and process.

/** Our host routes carry this metric, so they are ours and tell who owns them. */
const ROUTE_METRIC = process.pid;
const routeUsers = new Map<string, number>();

/** Metrics of the host's `blackhole RANGE` routes. */
export function blackholeMetrics(range: string): number[] {
  let out = '';
  try {
    out = shSync('ip', ['route', 'show', 'type', 'blackhole']);
  } catch {
    return [];
  }
  const metrics: number[] = [];
  for (const line of out.split('\n')) {
    const words = line.trim().split(/\s+/);
    if (words[0] !== 'blackhole' || words[1] !== range) continue;
    const i = words.indexOf('metric');
    metrics.push(i < 0 ? 0 : Number(words[i + 1]));
  }
  return metrics;
}

/** Adds this process's blackhole route for `range` (once per process; counted per caller). */
export function acquireHostBlackhole(range: string): void {
  const users = routeUsers.get(range) ?? 0;
  if (users === 0 && !blackholeMetrics(range).includes(ROUTE_METRIC)) {
    shSync('ip', ['route', 'add', 'blackhole', range, 'metric', String(ROUTE_METRIC)]);
  }
  routeUsers.set(range, users + 1);
}

/** Drops one use of the route; the last one removes it. Never throws. */
export function releaseHostBlackhole(range: string): void {
  const users = (routeUsers.get(range) ?? 1) - 1;
  routeUsers.set(range, Math.max(0, users));
  if (users <= 0) trySync('ip', ['route', 'del', 'blackhole', range, 'metric', String(ROUTE_METRIC)]);
}

/**
 * Removes leftovers of crashed runs of one kind of lab: `<prefix>*` namespaces (processes
 * inside them killed first), `$TMPDIR/<prefix><pid36>-<hex6>-*` dirs and `blackhole RANGE`
 * routes whose owner process is gone. Never touches the resources of a live process.
 */
export function cleanupStale(prefix: string, range: string): string[] {
  const removed: string[] = [];
  const nameRe = new RegExp(`^${prefix}([0-9a-z]+)-[0-9a-f]+-[0-9a-z]+$`);
  let names: string[] = [];
  try {
    names = shSync('ip', ['netns', 'list'])
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0] ?? '')
      .filter((n) => n.startsWith(prefix));
  } catch {
    return removed;
  }
  for (const ns of names) {
    const m = nameRe.exec(ns);
    const owner = m ? Number.parseInt(m[1] ?? '', 36) : Number.NaN;
    if (Number.isFinite(owner) && pidAlive(owner)) continue;
    deleteNamespaces([ns]);
    removed.push(`netns ${ns}`);
  }
  const dirRe = new RegExp(`^${prefix}([0-9a-z]+)-[0-9a-f]{6}-`);
  for (const entry of readdirSync(tmpdir())) {
    const m = dirRe.exec(entry);
    if (!m || pidAlive(Number.parseInt(m[1] ?? '', 36))) continue;
    rmSync(join(tmpdir(), entry), { recursive: true, force: true });
    removed.push(`dir ${join(tmpdir(), entry)}`);
  }
  for (const metric of blackholeMetrics(range)) {
    // Metric 0 is not ours (someone added it by hand): leave it alone.
    if (metric === 0 || metric === ROUTE_METRIC || pidAlive(metric)) continue;
    trySync('ip', ['route', 'del', 'blackhole', range, 'metric', String(metric)]);
    removed.push(`route blackhole ${range} metric ${metric}`);
  }
  return removed;
}

// ---------------------------------------------------------------------------------------------
// Namespaces.

/** The per-namespace guard: only loopback and the test range; no IPv6 at all. */
export async function guardNamespace(ns: string, range: string): Promise<void> {
  const exec = (cmd: string, args: string[]) => sh('ip', ['netns', 'exec', ns, cmd, ...args]);
  await exec('iptables', ['-A', 'OUTPUT', '-o', 'lo', '-j', 'ACCEPT']);
  await exec('iptables', ['-A', 'OUTPUT', '!', '-d', range, '-j', 'DROP']);
  await exec('iptables', ['-A', 'FORWARD', '!', '-d', range, '-j', 'DROP']);
  await exec('sysctl', ['-qw', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
  try {
    await exec('ip6tables', ['-A', 'OUTPUT', '!', '-o', 'lo', '-j', 'DROP']);
    await exec('ip6tables', ['-A', 'FORWARD', '-j', 'DROP']);
  } catch {
    // IPv6 is disabled above; ip6tables is a second belt only.
  }
}

/** A veth pair created directly inside two namespaces (never in the host namespace). */
export function addVeth(ns: string, name: string, peerNs: string, peer: string): Promise<string> {
  return sh('ip', [
    'link',
    'add',
    'name',
    name,
    'netns',
    ns,
    'type',
    'veth',
    'peer',
    'name',
    peer,
    'netns',
    peerNs,
  ]);
}

/** A wrapper script running Chromium inside `ns` (Playwright's `executablePath`). */
export function chromiumWrapper(dir: string, ns: string, role: string): string {
  const path = join(dir, `chromium-${role}.sh`);
  if (!existsSync(path)) {
    writeFileSync(path, `#!/bin/sh\nexec ip netns exec ${ns} ${chromiumPath()} "$@"\n`);
    chmodSync(path, 0o755);
  }
  return path;
}

// ---------------------------------------------------------------------------------------------
// The signaling server inside a namespace.

export interface NamespacedServer {
  readonly url: string;
  readonly child: ChildProcess;
  /** Its recent stdout/stderr lines. */
  output(): string[];
  /** SIGTERM, then SIGKILL after 3 s. */
  stop(): Promise<void>;
}

/** GET /healthz from inside a namespace (a node one-liner: no curl needed). */
export function healthz(ns: string, url: string, timeoutMs: number): Promise<string> {
  const script =
    'fetch(process.argv[1], { signal: AbortSignal.timeout(Number(process.argv[2])) })' +
    '.then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))';
  return sh('ip', ['netns', 'exec', ns, process.execPath, '-e', script, `${url}/healthz`, String(timeoutMs)]);
}

/**
 * Starts `signaling-server/src/main.ts` inside `ns` on `host:port` and waits for its /healthz,
 * checked from inside each of `checkFrom` (proves routing and the guards, not just the server).
 */
export async function startNamespacedServer(options: {
  ns: string;
  host: string;
  port: number;
  staticDir: string;
  logLevel: string;
  checkFrom: string[];
  /** More environment for the server (e.g. its ICE configuration); wins over the inherited one. */
  env?: Record<string, string>;
}): Promise<NamespacedServer> {
  const { ns, host, port } = options;
  const url = `http://${host}:${port}`;
  const env = {
    ...process.env,
    PORT: String(port),
    HOST: host,
    STATIC_DIR: options.staticDir,
    LOG_LEVEL: options.logLevel,
    // The one-process server: a REDIS_URL meant for the host (CI sets one) is unreachable here.
    REDIS_URL: '',
    // Namespaces may hold more than one server; none is scraped.
    METRICS_PORT: '0',
    ...options.env,
  };
  // `ip netns exec` execs node itself: the child's pid is the server's, so it can be killed.
  const child = spawn(
    'ip',
    ['netns', 'exec', ns, process.execPath, '--import', 'tsx', 'signaling-server/src/main.ts'],
    { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const lines: string[] = [];
  const keep = (chunk: Buffer) => {
    lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    if (lines.length > 200) lines.splice(0, lines.length - 200);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const server: NamespacedServer = {
    url,
    child,
    output: () => [...lines],
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
      await exited;
      clearTimeout(timer);
    },
  };
  const started = Date.now();
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code, signal) =>
      reject(new Error(`signaling server exited (${code ?? signal}): ${lines.slice(-20).join('\n')}`)),
    ),
  );
  exited.catch(() => {});
  const [first, ...others] = options.checkFrom;
  const healthy = (async () => {
    while (Date.now() - started < 30_000) {
      try {
        if (first) await healthz(first, url, 1_000);
        return;
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    throw new Error(`signaling server not healthy after 30 s: ${lines.slice(-20).join('\n')}`);
  })();
  try {
    await Promise.race([healthy, exited]);
    for (const other of others) await healthz(other, url, 2_000);
  } catch (err) {
    await server.stop();
    throw err;
  }
  return server;
}
