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
 * The wiring is netns-net.ts, the support check netns-support.ts, and what both labs share about
 * network changes lab-changes.ts.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type LaunchOptions } from '@playwright/test';
import { CHROMIUM_ARGS } from './chromium.ts';
import { LabTimers, type NetChange, switchOver, type UdpBlackhole, udpBlackhole } from './lab-changes.ts';
import {
  acquireHostBlackhole,
  chromiumWrapper,
  cleanupStale,
  closeBrowsers,
  deleteNamespaces,
  disposeAtExit,
  forgetAtExit,
  ipBatch,
  type NamespacedServer,
  newLabId,
  REPO_ROOT,
  releaseHostBlackhole,
  sh,
  startNamespacedServer,
} from './netns-kit.ts';
import {
  buildNetnsNetwork,
  interfaceDown,
  interfaceUp,
  LAB_ADDRESSES,
  type Role,
  readdress,
  TEST_RANGE,
} from './netns-net.ts';
import { netnsSupport } from './netns-support.ts';

export type { NetChange, UdpBlackhole } from './lab-changes.ts';
export { LAB_ADDRESSES, type Role, TEST_RANGE } from './netns-net.ts';
export { netnsSkipReason, netnsSupport } from './netns-support.ts';

const NAME_PREFIX = 'rmt-';

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

// ---------------------------------------------------------------------------------------------
// Process-wide: live labs (they share one host blackhole route) and stale-lab cleanup.

const liveLabs = new Set<NetnsLab>();

/**
 * Removes leftovers of crashed runs: `rmt-*` namespaces, wrapper-script temp dirs and
 * 10.200.0.0/16 blackhole routes whose owner process is gone (processes still inside those
 * namespaces are killed first). Never touches the resources of a live process. Returns what it
 * removed.
 */
export function cleanupStaleLabs(): string[] {
  return cleanupStale(NAME_PREFIX, TEST_RANGE);
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
  readonly #timers = new LabTimers();
  #server: NamespacedServer | null = null;
  #disposed = false;
  #created = false;
  #holdsRoute = false;
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
    this.id = newLabId();
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
    const stale = cleanupStaleLabs();
    const lab = new NetnsLab({ ...options, staticDir });
    if (stale.length) lab.log(`removed leftovers of a crashed run: ${stale.join(', ')}`);
    liveLabs.add(lab);
    disposeAtExit(lab);
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
    // Safety first: nothing in the test range may reach the host's real routes.
    acquireHostBlackhole(TEST_RANGE);
    this.#holdsRoute = true;
    this.#created = true;
    await buildNetnsNetwork(this.ns, this.addressA, this.addressB);
    this.log(
      `up: A ${this.ns.a} ${this.addressA} (spare eth1 down), R ${this.ns.r} server ${LAB_ADDRESSES.server}, ` +
        `B ${this.ns.b} ${this.addressB}; host blackhole ${TEST_RANGE} metric ${process.pid}`,
    );
  }

  async #startServer(): Promise<void> {
    const started = Date.now();
    this.#server = await startNamespacedServer({
      ns: this.ns.r,
      host: LAB_ADDRESSES.server,
      port: this.port,
      staticDir: this.#options.staticDir ?? join(REPO_ROOT, 'dist/web'),
      logLevel: this.#options.logLevel ?? process.env.E2E_LOG_LEVEL ?? 'warn',
      // From inside A first: proves routing A→R and the guard, not just the server.
      checkFrom: [this.ns.a, this.ns.b],
    });
    this.log(
      `server up at ${this.serverUrl} (pid ${this.#server.child.pid}) in ${Date.now() - started} ms, healthy from A and B`,
    );
  }

  /** The server's recent stdout/stderr lines. */
  serverOutput(): string[] {
    return this.#server?.output() ?? [];
  }

  /** A wrapper script that runs Chromium inside the namespace (Playwright's `executablePath`). */
  chromiumWrapper(role: Role): string {
    return chromiumWrapper(this.#tmp, this.ns[role], role);
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
    await ipBatch(this.ns.a, readdress(dev, from, to));
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
    const newDev = this.#standby;
    const from = this.addressA;
    const batch = (lines: string[]) => ipBatch(this.ns.a, lines).then(() => Date.now());
    const up = () => batch(interfaceUp(newDev, this.#host[newDev]));
    const { at, doneAt } = await switchOver(
      gapMs,
      up,
      () => batch(interfaceDown(oldDev)),
      (ms) => this.#timers.sleep(ms),
    );
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
   * Dual-homed A (Wi-Fi with a phone tethered, or a phone with Wi-Fi and cellular): its other
   * interface up, addressed and routable beside the active one, its default route less preferred
   * (metric 500), so the kernel moves to it by itself when the active one goes.
   */
  async addStandbyInterface(): Promise<void> {
    this.#assertLive('addStandbyInterface');
    await ipBatch(this.ns.a, interfaceUp(this.#standby, this.#host[this.#standby], 500));
    this.log(`standby: A ${this.#standby} up beside ${this.#active} ${this.addressA}`);
  }

  /**
   * A's active interface goes away (link down, address removed) with the standby already up
   * ({@link addStandbyInterface}): nothing else changes, the standby's route takes over.
   */
  async dropActiveInterface(): Promise<NetChange> {
    this.#assertLive('dropActiveInterface');
    const [oldDev, from, at] = [this.#active, this.addressA, Date.now()];
    await ipBatch(this.ns.a, interfaceDown(oldDev));
    this.#active = this.#standby;
    const detail = `A ${oldDev} ${from} gone, ${this.addressA} stays`;
    return this.#record({ kind: 'switchInterface', at, doneAt: at, from, to: this.addressA, detail });
  }

  get #standby(): 'eth0' | 'eth1' {
    return this.#active === 'eth0' ? 'eth1' : 'eth0';
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
    const handle = udpBlackhole(change, async () => {
      const liftAt = Date.now();
      if (!this.#disposed) await this.exec('r', 'iptables', ['-D', ...rule]);
      this.#pendingUdp = null;
      return this.#record({
        kind: 'liftUdp',
        at: liftAt,
        doneAt: Date.now(),
        detail: `R forwards UDP again after ${liftAt - at} ms`,
      });
    });
    this.#pendingUdp = handle;
    if (forMs !== undefined) {
      this.#timers.after(forMs, () => {
        handle.lift().catch((err) => this.log(`lifting UDP blackhole failed: ${(err as Error).message}`));
      });
    }
    return handle;
  }

  /** Closes the browsers, stops the server, removes namespaces, veths, rules and the route. Idempotent. */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    await closeBrowsers(this.#browsers);
    await this.#server?.stop();
    this.disposeSync();
  }

  /** The synchronous part of teardown (also used from exit and signal hooks). Idempotent. */
  disposeSync(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#timers.clear();
    const server = this.#server?.child;
    if (server?.pid && server.exitCode === null) {
      try {
        server.kill('SIGKILL');
      } catch {
        /* exited */
      }
    }
    // Anything still inside our namespaces (Chromium, the server) was started by this lab.
    if (this.#created) deleteNamespaces(Object.values(this.ns));
    liveLabs.delete(this);
    forgetAtExit(this);
    if (this.#holdsRoute) releaseHostBlackhole(TEST_RANGE);
    rmSync(this.#tmp, { recursive: true, force: true });
    this.log('torn down');
  }
}
