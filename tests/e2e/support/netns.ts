/**
 * A real network for end-to-end tests: Linux network namespaces, so a participant's IP
 * address really changes, an interface really goes away, UDP really stops flowing.
 *
 * Topology (all inside 10.200.0.0/16, which never leaves the machine):
 *
 *   ns A (client)                 ns R (router, ip_forward=1)              ns B (peer)
 *   eth0 10.200.1.2/24  ───────── a0 10.200.1.1/24
 *   eth1 10.200.3.2/24 (spare) ── a1 10.200.3.1/24
 *                                  lo 10.200.0.1/32  ← signaling server
 *                                  b0 10.200.2.1/24 ─────────────────────── eth0 10.200.2.2/24
 *
 * Safety (environment.md, mandatory): a host blackhole route for 10.200.0.0/16 exists before
 * anything starts; every namespace drops (iptables OUTPUT and FORWARD) any destination outside
 * the range except loopback, and has IPv6 disabled and dropped. Only processes inside the
 * namespaces talk to test addresses. The veths are created directly inside the namespaces,
 * so the host namespace never holds a test interface.
 *
 * Teardown is idempotent and runs from `dispose()`, on process exit and on SIGINT/SIGTERM.
 * `create()` first removes leftovers of crashed runs: namespaces and blackhole routes whose
 * owner process (its pid is in the names, and is the route's metric) is gone.
 *
 * Requires root, iproute2 and iptables. Names: `rmt-<pid36>-<rand>-{a,r,b}`.
 */
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium, type LaunchOptions } from '@playwright/test';
import { CHROMIUM_ARGS, chromiumPath } from './chromium.ts';

/** The whole test range. Nothing in it may ever reach a real network. */
export const TEST_RANGE = '10.200.0.0/16';
const NAME_PREFIX = 'rmt-';
const NAME_RE = /^rmt-([0-9a-z]+)-([0-9a-f]+)-([arb])$/;
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export type Role = 'a' | 'r' | 'b';

/** Addresses of the lab (fixed: each lab has its own namespaces, so labs never collide). */
export const LAB_ADDRESSES = {
  server: '10.200.0.1',
  a: {
    eth0: { net: '10.200.1', gw: '10.200.1.1', first: 2 },
    eth1: { net: '10.200.3', gw: '10.200.3.1', first: 2 },
  },
  b: { eth0: { net: '10.200.2', gw: '10.200.2.1', host: '10.200.2.2' } },
} as const;

/** One network change, with wall-clock times (ms since epoch) for benchmarks. */
export interface NetChange {
  kind: 'changeIp' | 'switchInterface' | 'blackholeUdp' | 'liftUdp';
  /** When the old path stopped working (address removed, link down, DROP rule in place). */
  at: number;
  /** When the new path was usable (new address, link up with default route, rule removed). */
  doneAt: number;
  /** A's address before and after (changeIp / switchInterface). */
  from?: string;
  to?: string;
  detail: string;
}

export interface UdpBlackhole {
  /** The DROP rule's change record. */
  change: NetChange;
  /** Removes the rule now (idempotent); resolves with the lift's record. */
  lift(): Promise<NetChange>;
  /** Resolves when the rule is lifted (by `forMs` or by `lift()`). */
  lifted: Promise<NetChange>;
}

export interface NetnsLabOptions {
  /** Port of the signaling server inside R (default 8080: R is a fresh namespace). */
  port?: number;
  /** Server LOG_LEVEL (default `E2E_LOG_LEVEL` or 'warn'). */
  logLevel?: string;
  /** Built web app (default dist/web). */
  staticDir?: string;
  /** Log sink (default console.log). */
  log?: (line: string) => void;
}

/** Whether this process can build a lab here; `reason` says why not. Never throws. */
export function netnsSupport(): { ok: boolean; reason: string } {
  if (process.platform !== 'linux') return { ok: false, reason: 'network namespaces need Linux' };
  if (process.getuid?.() !== 0) return { ok: false, reason: 'network namespaces need root (uid 0)' };
  for (const [cmd, args] of [
    ['ip', ['-V']],
    ['iptables', ['--version']],
  ] as const) {
    try {
      execFileSync(cmd, [...args], { stdio: 'ignore' });
    } catch {
      return { ok: false, reason: `\`${cmd}\` is not available (install iproute2/iptables)` };
    }
  }
  return { ok: true, reason: '' };
}

/**
 * Whether the real-network tests must be skipped, and why: only outside CI and only when the
 * machine cannot build a lab. In CI (`CI=true`) this never skips: the lab's error fails the test.
 */
export function netnsSkipReason(): string | null {
  if (process.env.CI === 'true') return null;
  const { ok, reason } = netnsSupport();
  return ok ? null : `real-network tests skipped: ${reason}`;
}

// ---------------------------------------------------------------------------------------------
// Process-wide bookkeeping: live labs, the host blackhole route, exit/signal hooks.

const liveLabs = new Set<NetnsLab>();
let hooksInstalled = false;
/** Our host blackhole route carries this metric, so it is ours and tells who owns it. */
const ROUTE_METRIC = process.pid;

function installExitHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', () => {
    for (const lab of liveLabs) lab.disposeSync();
  });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    const onSignal = () => {
      for (const lab of liveLabs) lab.disposeSync();
      // Keep the default behaviour (exit) unless someone else (the test runner) handles it.
      if (process.listenerCount(signal) === 1) {
        process.off(signal, onSignal);
        process.kill(process.pid, signal);
      }
    };
    process.on(signal, onSignal);
  }
}

/** Whether a process exists and is not a zombie (a just-killed owner is not alive). */
function pidAlive(pid: number): boolean {
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

function sh(cmd: string, args: string[], timeoutMs = 15_000): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err) reject(new Error(`\`${cmd} ${args.join(' ')}\` failed: ${stderr.trim() || err.message}`));
      else resolvePromise(stdout);
    });
  });
}

/** Runs `ip -n NS -batch -` with one command per line: a change applied in one process. */
function ipBatch(ns: string, lines: string[], timeoutMs = 15_000): Promise<void> {
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

function shSync(cmd: string, args: string[]): string {
  return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 15_000 });
}

/** Best effort: runs and ignores failure (teardown must never stop half way). */
function trySync(cmd: string, args: string[]): void {
  try {
    shSync(cmd, args);
  } catch {
    /* already gone */
  }
}

function killNamespacePids(ns: string): void {
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

function blackholeMetrics(): number[] {
  let out = '';
  try {
    out = shSync('ip', ['route', 'show', 'type', 'blackhole']);
  } catch {
    return [];
  }
  const metrics: number[] = [];
  for (const line of out.split('\n')) {
    const m = /^blackhole 10\.200\.0\.0\/16(?:.*\bmetric (\d+))?/.exec(line.trim());
    if (m) metrics.push(Number(m[1] ?? 0));
  }
  return metrics;
}

/**
 * Removes leftovers of crashed runs: `rmt-*` namespaces, wrapper-script temp dirs and
 * 10.200.0.0/16 blackhole routes whose owner process is gone (processes still inside those namespaces are killed first).
 * Never touches the resources of a live process. Returns what it removed.
 */
export function cleanupStaleLabs(): string[] {
  const removed: string[] = [];
  let names: string[] = [];
  try {
    names = shSync('ip', ['netns', 'list'])
      .split('\n')
      .map((l) => l.trim().split(/\s+/)[0] ?? '')
      .filter((n) => n.startsWith(NAME_PREFIX));
  } catch {
    return removed;
  }
  for (const ns of names) {
    const m = NAME_RE.exec(ns);
    const owner = m ? Number.parseInt(m[1] ?? '', 36) : Number.NaN;
    if (Number.isFinite(owner) && pidAlive(owner)) continue;
    killNamespacePids(ns);
    trySync('ip', ['netns', 'del', ns]);
    removed.push(`netns ${ns}`);
  }
  // The wrapper-script directories (`$TMPDIR/rmt-<pid36>-<hex>-XXXXXX`).
  for (const entry of readdirSync(tmpdir())) {
    const m = /^rmt-([0-9a-z]+)-[0-9a-f]{6}-/.exec(entry);
    if (!m || pidAlive(Number.parseInt(m[1] ?? '', 36))) continue;
    rmSync(join(tmpdir(), entry), { recursive: true, force: true });
    removed.push(`dir ${join(tmpdir(), entry)}`);
  }
  for (const metric of blackholeMetrics()) {
    // Metric 0 is not ours (someone added it by hand): leave it alone.
    if (metric === 0 || metric === ROUTE_METRIC || pidAlive(metric)) continue;
    trySync('ip', ['route', 'del', 'blackhole', TEST_RANGE, 'metric', String(metric)]);
    removed.push(`route blackhole ${TEST_RANGE} metric ${metric}`);
  }
  return removed;
}

function addHostBlackhole(): void {
  if (blackholeMetrics().includes(ROUTE_METRIC)) return;
  shSync('ip', ['route', 'add', 'blackhole', TEST_RANGE, 'metric', String(ROUTE_METRIC)]);
}

function removeHostBlackholeIfUnused(): void {
  if (liveLabs.size > 0) return;
  trySync('ip', ['route', 'del', 'blackhole', TEST_RANGE, 'metric', String(ROUTE_METRIC)]);
}

// ---------------------------------------------------------------------------------------------

/** A three-namespace network with the signaling server in R. Build it with `NetnsLab.create()`. */
export class NetnsLab {
  readonly id: string;
  /** Namespace names by role. */
  readonly ns: Record<Role, string>;
  readonly port: number;
  /** `http://10.200.0.1:PORT`: the app and signaling, reachable from A and B (not from the host). */
  readonly serverUrl: string;
  /** Every network change so far, in order. */
  readonly changes: NetChange[] = [];

  readonly #log: (line: string) => void;
  readonly #options: NetnsLabOptions;
  readonly #tmp: string;
  readonly #browsers = new Set<Browser>();
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  #server: ChildProcess | null = null;
  #serverOutput: string[] = [];
  #disposed = false;
  #created = false;
  /** A's active interface and its host number on it. */
  #active: 'eth0' | 'eth1' = 'eth0';
  #host: Record<'eth0' | 'eth1', number> = {
    eth0: LAB_ADDRESSES.a.eth0.first,
    eth1: LAB_ADDRESSES.a.eth1.first,
  };
  #pendingUdp: UdpBlackhole | null = null;
  readonly #t0 = Date.now();

  private constructor(options: NetnsLabOptions) {
    this.#options = options;
    this.#log = options.log ?? ((line) => console.log(line));
    this.id = `${process.pid.toString(36)}-${randomBytes(3).toString('hex')}`;
    this.ns = {
      a: `${NAME_PREFIX}${this.id}-a`,
      r: `${NAME_PREFIX}${this.id}-r`,
      b: `${NAME_PREFIX}${this.id}-b`,
    };
    this.port = options.port ?? 8080;
    this.serverUrl = `http://${LAB_ADDRESSES.server}:${this.port}`;
    this.#tmp = mkdtempSync(join(tmpdir(), `${NAME_PREFIX}${this.id}-`));
  }

  /**
   * Builds the lab, starts the signaling server in R and waits for its /healthz (checked from
   * inside A). Throws a clear error when namespaces cannot be created; everything built so far
   * is torn down before the error propagates.
   */
  static async create(options: NetnsLabOptions = {}): Promise<NetnsLab> {
    const support = netnsSupport();
    if (!support.ok) throw new Error(`NetnsLab: cannot build a network-namespace lab: ${support.reason}`);
    const staticDir = options.staticDir ?? join(REPO_ROOT, 'dist/web');
    if (!existsSync(join(staticDir, 'index.html'))) {
      throw new Error(`NetnsLab: no built app at ${staticDir}: run \`npx vite build\` first`);
    }
    installExitHooks();
    const stale = cleanupStaleLabs();
    const lab = new NetnsLab({ ...options, staticDir });
    if (stale.length) lab.log(`removed leftovers of a crashed run: ${stale.join(', ')}`);
    liveLabs.add(lab);
    try {
      await lab.#build();
      await lab.#startServer();
    } catch (err) {
      await lab.dispose();
      throw new Error(`NetnsLab: setup failed: ${(err as Error).message}`, { cause: err });
    }
    return lab;
  }

  /** Logs with wall-clock time and time since the lab started. */
  log(message: string): void {
    const now = Date.now();
    this.#log(
      `[netns ${this.id} ${new Date(now).toISOString()} +${((now - this.#t0) / 1000).toFixed(3)}s] ${message}`,
    );
  }

  /** Runs a command inside a namespace (`ip netns exec`). */
  exec(role: Role, cmd: string, args: string[] = []): Promise<string> {
    return sh('ip', ['netns', 'exec', this.ns[role], cmd, ...args]);
  }

  /** A's current address (on its active interface). */
  get addressA(): string {
    const cfg = LAB_ADDRESSES.a[this.#active];
    return `${cfg.net}.${this.#host[this.#active]}`;
  }

  get addressB(): string {
    return LAB_ADDRESSES.b.eth0.host;
  }

  /** A's active interface (`eth0` at first, `eth1` after one switch). */
  get activeInterfaceA(): 'eth0' | 'eth1' {
    return this.#active;
  }

  async #build(): Promise<void> {
    const { a, r, b } = this.ns;
    // Safety first: nothing in the test range may reach the host's real routes.
    addHostBlackhole();
    this.#created = true;
    for (const ns of [a, r, b]) await sh('ip', ['netns', 'add', ns]);
    for (const role of ['a', 'r', 'b'] as const) await this.#guard(role);
    // Veths created inside the namespaces: no test interface ever exists in the host namespace.
    const veth = (ns: string, name: string, peerNs: string, peer: string) =>
      sh('ip', [
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
    await veth(a, 'eth0', r, 'a0');
    await veth(a, 'eth1', r, 'a1');
    await veth(b, 'eth0', r, 'b0');
    const ip = (role: Role, ...args: string[]) => sh('ip', ['-n', this.ns[role], ...args]);
    for (const role of ['a', 'r', 'b'] as const) await ip(role, 'link', 'set', 'lo', 'up');
    // R: router and server host.
    await this.exec('r', 'sysctl', ['-qw', 'net.ipv4.ip_forward=1']);
    await ip('r', 'addr', 'add', `${LAB_ADDRESSES.server}/32`, 'dev', 'lo');
    await ip('r', 'addr', 'add', `${LAB_ADDRESSES.a.eth0.gw}/24`, 'dev', 'a0');
    await ip('r', 'addr', 'add', `${LAB_ADDRESSES.a.eth1.gw}/24`, 'dev', 'a1');
    await ip('r', 'addr', 'add', `${LAB_ADDRESSES.b.eth0.gw}/24`, 'dev', 'b0');
    for (const dev of ['a0', 'a1', 'b0']) await ip('r', 'link', 'set', dev, 'up');
    // A: eth0 active, eth1 (the spare) down and unaddressed until a switch.
    await ip('a', 'addr', 'add', `${this.addressA}/24`, 'dev', 'eth0');
    await ip('a', 'link', 'set', 'eth0', 'up');
    await ip('a', 'route', 'add', 'default', 'via', LAB_ADDRESSES.a.eth0.gw, 'dev', 'eth0');
    // B.
    await ip('b', 'addr', 'add', `${this.addressB}/24`, 'dev', 'eth0');
    await ip('b', 'link', 'set', 'eth0', 'up');
    await ip('b', 'route', 'add', 'default', 'via', LAB_ADDRESSES.b.eth0.gw, 'dev', 'eth0');
    this.log(
      `up: A ${this.ns.a} ${this.addressA} (spare eth1 down), R ${this.ns.r} server ${LAB_ADDRESSES.server}, ` +
        `B ${this.ns.b} ${this.addressB}; host blackhole ${TEST_RANGE} metric ${ROUTE_METRIC}`,
    );
  }

  /** The per-namespace guard: only loopback and the test range; no IPv6 at all. */
  async #guard(role: Role): Promise<void> {
    await this.exec(role, 'iptables', ['-A', 'OUTPUT', '-o', 'lo', '-j', 'ACCEPT']);
    await this.exec(role, 'iptables', ['-A', 'OUTPUT', '!', '-d', TEST_RANGE, '-j', 'DROP']);
    await this.exec(role, 'iptables', ['-A', 'FORWARD', '!', '-d', TEST_RANGE, '-j', 'DROP']);
    await this.exec(role, 'sysctl', [
      '-qw',
      'net.ipv6.conf.all.disable_ipv6=1',
      'net.ipv6.conf.default.disable_ipv6=1',
    ]);
    try {
      await this.exec(role, 'ip6tables', ['-A', 'OUTPUT', '!', '-o', 'lo', '-j', 'DROP']);
      await this.exec(role, 'ip6tables', ['-A', 'FORWARD', '-j', 'DROP']);
    } catch {
      // IPv6 is disabled above; ip6tables is a second belt only.
    }
  }

  async #startServer(): Promise<void> {
    const env = {
      ...process.env,
      PORT: String(this.port),
      HOST: LAB_ADDRESSES.server,
      STATIC_DIR: this.#options.staticDir ?? join(REPO_ROOT, 'dist/web'),
      LOG_LEVEL: this.#options.logLevel ?? process.env.E2E_LOG_LEVEL ?? 'warn',
      // The one-process server: a REDIS_URL meant for the host (CI sets one) is unreachable in R.
      REDIS_URL: '',
    };
    // `ip netns exec` execs node itself: the child's pid is the server's, so it can be killed.
    const child = spawn(
      'ip',
      ['netns', 'exec', this.ns.r, process.execPath, '--import', 'tsx', 'signaling-server/src/main.ts'],
      { cwd: REPO_ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#server = child;
    const keep = (chunk: Buffer) => {
      this.#serverOutput.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      if (this.#serverOutput.length > 200) this.#serverOutput.splice(0, this.#serverOutput.length - 200);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    const started = Date.now();
    const exited = new Promise<never>((_, reject) =>
      child.once('exit', (code, signal) =>
        reject(
          new Error(
            `signaling server exited (${code ?? signal}): ${this.serverOutput().slice(-20).join('\n')}`,
          ),
        ),
      ),
    );
    exited.catch(() => {});
    const healthy = (async () => {
      while (Date.now() - started < 30_000) {
        try {
          // From inside A: proves routing A→R and the guard, not just the server.
          await this.#healthz('a', 1_000);
          return;
        } catch {
          await new Promise((r) => setTimeout(r, 200));
        }
      }
      throw new Error(
        `signaling server not healthy after 30 s: ${this.serverOutput().slice(-20).join('\n')}`,
      );
    })();
    await Promise.race([healthy, exited]);
    await this.#healthz('b', 2_000);
    this.log(
      `server up at ${this.serverUrl} (pid ${child.pid}) in ${Date.now() - started} ms, healthy from A and B`,
    );
  }

  /** GET /healthz from inside a namespace (a node one-liner: no curl needed). */
  #healthz(role: Role, timeoutMs: number): Promise<string> {
    const script =
      'fetch(process.argv[1], { signal: AbortSignal.timeout(Number(process.argv[2])) })' +
      '.then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))';
    return this.exec(role, process.execPath, ['-e', script, `${this.serverUrl}/healthz`, String(timeoutMs)]);
  }

  /** The server's recent stdout/stderr lines. */
  serverOutput(): string[] {
    return [...this.#serverOutput];
  }

  /** A wrapper script that runs Chromium inside the namespace (Playwright's `executablePath`). */
  chromiumWrapper(role: Role): string {
    const path = join(this.#tmp, `chromium-${role}.sh`);
    if (!existsSync(path)) {
      writeFileSync(path, `#!/bin/sh\nexec ip netns exec ${this.ns[role]} ${chromiumPath()} "$@"\n`);
      chmodSync(path, 0o755);
    }
    return path;
  }

  /** Launch options for Chromium inside a namespace, with the server's origin treated as secure. */
  launchOptions(role: Role, extraArgs: string[] = []): LaunchOptions {
    return {
      executablePath: this.chromiumWrapper(role),
      args: [...CHROMIUM_ARGS, `--unsafely-treat-insecure-origin-as-secure=${this.serverUrl}`, ...extraArgs],
    };
  }

  /** Launches Chromium inside a namespace; it is closed at teardown. */
  async launchBrowser(role: Role, extraArgs: string[] = []): Promise<Browser> {
    const browser = await chromium.launch(this.launchOptions(role, extraArgs));
    this.#browsers.add(browser);
    browser.on('disconnected', () => this.#browsers.delete(browser));
    return browser;
  }

  // -------------------------------------------------------------------------------------------
  // Network changes.

  #record(change: NetChange): NetChange {
    this.changes.push(change);
    this.log(`${change.kind}: ${change.detail} (took ${change.doneAt - change.at} ms)`);
    return change;
  }

  #assertLive(op: string): void {
    if (this.#disposed) throw new Error(`NetnsLab.${op}: the lab is torn down`);
  }

  /** Same interface, new address in the same /24 (del old, add new, replace default route). */
  async changeIp(): Promise<NetChange> {
    this.#assertLive('changeIp');
    const dev = this.#active;
    const cfg = LAB_ADDRESSES.a[dev];
    const from = this.addressA;
    this.#host[dev] = this.#host[dev] >= 250 ? cfg.first : this.#host[dev] + 1;
    const to = this.addressA;
    const at = Date.now();
    await ipBatch(this.ns.a, [
      `addr del ${from}/24 dev ${dev}`,
      `addr add ${to}/24 dev ${dev}`,
      `route replace default via ${cfg.gw} dev ${dev}`,
    ]);
    return this.#record({
      kind: 'changeIp',
      at,
      doneAt: Date.now(),
      from,
      to,
      detail: `A ${dev} ${from} → ${to}`,
    });
  }

  /**
   * Moves A to its other interface. `gapMs: 0`: gapless (new link up with address and default
   * route, then the old link down). `gapMs > 0`: old link down, wait, new link up.
   * `at` is when the old link went down, `doneAt` when the new one had its default route.
   */
  async switchInterface({ gapMs = 0 }: { gapMs?: number } = {}): Promise<NetChange> {
    this.#assertLive('switchInterface');
    const oldDev = this.#active;
    const newDev = oldDev === 'eth0' ? 'eth1' : 'eth0';
    const from = this.addressA;
    const down = async () => {
      await ipBatch(this.ns.a, [`link set ${oldDev} down`, `addr flush dev ${oldDev}`]);
      return Date.now();
    };
    const up = async () => {
      const cfg = LAB_ADDRESSES.a[newDev];
      await ipBatch(this.ns.a, [
        `addr flush dev ${newDev}`,
        `addr add ${cfg.net}.${this.#host[newDev]}/24 dev ${newDev}`,
        `link set ${newDev} up`,
        `route replace default via ${cfg.gw} dev ${newDev}`,
      ]);
      return Date.now();
    };
    let at: number;
    let doneAt: number;
    if (gapMs <= 0) {
      doneAt = await up();
      at = await down();
    } else {
      at = await down();
      await this.#sleep(gapMs);
      doneAt = await up();
    }
    this.#active = newDev;
    const to = this.addressA;
    return this.#record({
      kind: 'switchInterface',
      at: Math.min(at, doneAt),
      doneAt: Math.max(at, doneAt),
      from,
      to,
      detail: `A ${oldDev} ${from} → ${newDev} ${to}, gap ${gapMs} ms (old down at +${at - this.#t0} ms, new up at +${doneAt - this.#t0} ms)`,
    });
  }

  /**
   * Drops all UDP forwarded through R (both directions: one FORWARD rule sees both), so media
   * between A and B stops while TCP signaling keeps working. Lifted after `forMs` if given,
   * or by `lift()`.
   */
  async blackholeUdp({ forMs }: { forMs?: number } = {}): Promise<UdpBlackhole> {
    this.#assertLive('blackholeUdp');
    if (this.#pendingUdp) throw new Error('NetnsLab.blackholeUdp: already in place');
    const rule = ['FORWARD', '-p', 'udp', '-j', 'DROP'];
    const at = Date.now();
    await this.exec('r', 'iptables', ['-I', ...rule]);
    const change = this.#record({
      kind: 'blackholeUdp',
      at,
      doneAt: Date.now(),
      detail: 'R drops forwarded UDP',
    });
    let liftResult: Promise<NetChange> | null = null;
    let resolveLifted: (c: NetChange) => void = () => {};
    const lifted = new Promise<NetChange>((r) => {
      resolveLifted = r;
    });
    const lift = () => {
      liftResult ??= (async () => {
        const liftAt = Date.now();
        if (!this.#disposed) await this.exec('r', 'iptables', ['-D', ...rule]);
        this.#pendingUdp = null;
        const c = this.#record({
          kind: 'liftUdp',
          at: liftAt,
          doneAt: Date.now(),
          detail: `R forwards UDP again after ${liftAt - at} ms`,
        });
        resolveLifted(c);
        return c;
      })();
      return liftResult;
    };
    const handle: UdpBlackhole = { change, lift, lifted };
    this.#pendingUdp = handle;
    if (forMs !== undefined) {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        lift().catch((err) => this.log(`lifting UDP blackhole failed: ${(err as Error).message}`));
      }, forMs);
      this.#timers.add(timer);
    }
    return handle;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((r) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        r();
      }, ms);
      this.#timers.add(timer);
    });
  }

  // -------------------------------------------------------------------------------------------
  // Teardown.

  /** Closes the browsers, stops the server, removes namespaces, veths, rules and the route. Idempotent. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    const browsers = [...this.#browsers];
    await Promise.all(
      browsers.map((b) =>
        Promise.race([b.close().catch(() => {}), new Promise((r) => setTimeout(r, 5_000))]),
      ),
    );
    const server = this.#server;
    if (server && server.exitCode === null && server.signalCode === null) {
      const exited = new Promise((r) => server.once('exit', r));
      server.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3_000))]);
    }
    this.disposeSync();
  }

  /** The synchronous part of teardown (also used from exit and signal hooks). Idempotent. */
  disposeSync(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    if (this.#server?.pid && this.#server.exitCode === null) {
      try {
        this.#server.kill('SIGKILL');
      } catch {
        /* exited */
      }
    }
    if (this.#created) {
      // Anything still inside our namespaces (Chromium, the server) was started by this lab.
      for (const ns of Object.values(this.ns)) killNamespacePids(ns);
      for (const ns of Object.values(this.ns)) trySync('ip', ['netns', 'del', ns]);
    }
    liveLabs.delete(this);
    removeHostBlackholeIfUnused();
    rmSync(this.#tmp, { recursive: true, force: true });
    this.log('torn down');
  }
}
