/**
 * A lab for participants behind NAT, carrier-grade NAT and firewalls: Linux network
 * namespaces, each participant behind its own NAT router doing `MASQUERADE --random-fully`
 * (a new random public port per destination: endpoint-dependent mapping, the "symmetric NAT"
 * under which host and server-reflexive candidates cannot pair), a stateful firewall on each
 * NAT (only replies come in), and a "public" core holding the signaling server and coturn.
 *
 * Topology (all inside 10.201.0.0/16, which never leaves the machine; the core routes only the
 * NATs' public /24s, never the private ones, as the internet would not):
 *
 *   ns a (A)                ns nata (home NAT)          ns pub (core, ip_forward=1)
 *   eth0 10.201.11.2/24 ─── lan 10.201.11.1  wan 10.201.1.2 ─── home    10.201.1.1/24
 *   eth1 10.201.12.2/24 ─── lan 10.201.12.1  wan 10.201.2.2 ─── carrier 10.201.2.1/24
 *        (spare uplink)     ns cgna (carrier NAT)              lo 10.201.0.1 signaling server
 *                                                              lo 10.201.0.2 coturn (3478)
 *   ns b (B)                ns natb (B's NAT)
 *   eth0 10.201.13.2/24 ─── lan 10.201.13.1  wan 10.201.3.2 ─── natb    10.201.3.1/24
 *
 * A's spare uplink (eth1, behind the carrier NAT) is down until a switch (`carrier: 'down'`),
 * or up with its address and a policy route for sockets bound to it (`carrier: 'up'`, a phone
 * with Wi-Fi and cellular), the default route staying on the home NAT until a switch.
 *
 * Safety (environment.md, mandatory; netns-kit.ts): a host blackhole route for 10.201.0.0/16
 * before anything starts; in every namespace an egress guard dropping any destination outside
 * the range, and no IPv6; teardown from `dispose()`, at exit and on SIGINT/SIGTERM, also when
 * `create()` fails half way; `create()` first removes leftovers of crashed runs.
 * Names: `natlab-<pid36>-<hex>-{pub,nata,cgna,natb,a,b}`. Requires root, iproute2, iptables
 * and coturn. The wiring is nat-lab-net.ts, coturn and the server's ICE variables nat-lab-turn.ts.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from '@playwright/test';
import type { Coturn } from '../../support/coturn.ts';
import { CHROMIUM_ARGS } from './chromium.ts';
import { LabTimers, type NetChange, switchOver, type UdpBlackhole, udpBlackhole } from './lab-changes.ts';
import {
  buildNatNetwork,
  NAT_LAB_ADDRESSES,
  NAT_TEST_RANGE,
  type NatLabRole,
  UPLINK,
  type Uplink,
  uplinkLines,
} from './nat-lab-net.ts';
import { type NatLabIceOptions, serverIceEnv, startLabCoturn } from './nat-lab-turn.ts';
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
import { netnsSupport } from './netns-support.ts';

export type { NatLabRole, Uplink } from './nat-lab-net.ts';
export { NAT_LAB_ADDRESSES, NAT_TEST_RANGE } from './nat-lab-net.ts';
export type { NatLabIceOptions } from './nat-lab-turn.ts';
export { natLabSkipReason } from './netns-support.ts';

const NAME_PREFIX = 'natlab-';

export interface NatLabOptions {
  /** A's spare (carrier) uplink at start: down and unaddressed (default), or up and addressed. */
  carrier?: 'down' | 'up';
  /**
   * What the signaling server tells participants about STUN/TURN. Unset: nothing (the product's
   * default: no ICE servers at all); the host's own ICE variables never reach the lab's server.
   */
  ice?: NatLabIceOptions;
  /** Signaling server port in the core (default 8080). */
  port?: number;
  /** What the server serves (default dist/web: the built app). */
  staticDir?: string;
  logLevel?: string;
  log?: (line: string) => void;
}

/** Removes leftovers of crashed NAT-lab runs (namespaces, temp dirs, host routes). */
export function cleanupStaleNatLabs(): string[] {
  return cleanupStale(NAME_PREFIX, NAT_TEST_RANGE);
}

export class NatLab {
  readonly id: string;
  readonly ns: Record<NatLabRole, string>;
  readonly serverUrl: string;
  readonly changes: NetChange[] = [];
  /** Milliseconds: building the network, starting the server, starting coturn, tearing down. */
  readonly timings = { networkMs: 0, serverMs: 0, turnMs: 0, teardownMs: 0 };
  readonly #options: NatLabOptions;
  readonly #tmp: string;
  readonly #browsers = new Set<Browser>();
  readonly #timers = new LabTimers();
  readonly #t0 = Date.now();
  /** coturn's static-auth-secret, also the server's TURN_SECRET (the server starts first). */
  readonly #turnSecret = `natlab-${randomBytes(16).toString('hex')}`;
  #server: NamespacedServer | null = null;
  #turn: Coturn | null = null;
  #created = false;
  #holdsRoute = false;
  #disposed = false;
  #active: Uplink = 'home';
  #host: Record<Uplink, number> = { home: 2, carrier: 2 };
  /** Whether each of A's uplinks is up (addressed, routes in its table). */
  #up: Record<Uplink, boolean> = { home: true, carrier: false };
  #udpBlocks = new Set<UdpBlackhole>();

  private constructor(options: NatLabOptions) {
    this.#options = options;
    this.id = newLabId();
    const name = (role: NatLabRole) => `${NAME_PREFIX}${this.id}-${role}`;
    this.ns = {
      pub: name('pub'),
      nata: name('nata'),
      cgna: name('cgna'),
      natb: name('natb'),
      a: name('a'),
      b: name('b'),
    };
    this.serverUrl = `http://${NAT_LAB_ADDRESSES.signaling}:${options.port ?? 8080}`;
    this.#up.carrier = options.carrier === 'up';
    this.#tmp = mkdtempSync(join(tmpdir(), `${NAME_PREFIX}${this.id}-`));
  }

  /** Builds the lab, starts the signaling server (checked from A and B) and coturn in the core. */
  static async create(options: NatLabOptions = {}): Promise<NatLab> {
    const support = netnsSupport();
    if (!support.ok) throw new Error(`NatLab: cannot build a network-namespace lab: ${support.reason}`);
    const staticDir = options.staticDir ?? join(REPO_ROOT, 'dist/web');
    if (!existsSync(join(staticDir, 'index.html'))) {
      throw new Error(`NatLab: nothing to serve at ${staticDir}: run \`npx vite build\` or pass staticDir`);
    }
    const stale = cleanupStaleNatLabs();
    const lab = new NatLab({ ...options, staticDir });
    if (stale.length) lab.log(`removed leftovers of a crashed run: ${stale.join(', ')}`);
    disposeAtExit(lab);
    try {
      let t = Date.now();
      await lab.#build();
      lab.timings.networkMs = Date.now() - t;
      t = Date.now();
      lab.#server = await startNamespacedServer({
        ns: lab.ns.pub,
        host: NAT_LAB_ADDRESSES.signaling,
        port: options.port ?? 8080,
        staticDir,
        logLevel: options.logLevel ?? process.env.E2E_LOG_LEVEL ?? 'warn',
        // Through the NATs: proves routing, masquerading and the guards.
        checkFrom: [lab.ns.a, lab.ns.b],
        env: serverIceEnv(lab.#options.ice, lab.#turnSecret),
      });
      lab.timings.serverMs = Date.now() - t;
      t = Date.now();
      lab.#turn = await startLabCoturn(lab.ns.pub, lab.#turnSecret);
      lab.timings.turnMs = Date.now() - t;
    } catch (err) {
      await lab.dispose();
      throw new Error(`NatLab: setup failed: ${(err as Error).message}`, { cause: err });
    }
    const { networkMs, serverMs, turnMs } = lab.timings;
    lab.log(`ready: network ${networkMs} ms, server ${serverMs} ms, coturn ${turnMs} ms`);
    return lab;
  }

  log(message: string): void {
    const line = `[natlab ${this.id} +${((Date.now() - this.#t0) / 1000).toFixed(3)}s] ${message}`;
    (this.#options.log ?? console.log)(line);
  }

  /** Runs a command inside a namespace. */
  exec(role: NatLabRole, cmd: string, args: string[] = []): Promise<string> {
    return sh('ip', ['netns', 'exec', this.ns[role], cmd, ...args]);
  }

  /** coturn in the core (`turn.urls('udp' | 'tcp')`, `turn.credentials(user)`, `turn.logPath`). */
  get turn(): Coturn {
    if (!this.#turn) throw new Error('NatLab.turn: coturn is not running');
    return this.#turn;
  }

  serverOutput(): string[] {
    return this.#server?.output() ?? [];
  }

  /** A's address on its active uplink. */
  get addressA(): string {
    return `${NAT_LAB_ADDRESSES[this.#active].net}.${this.#host[this.#active]}`;
  }

  get addressB(): string {
    return `${NAT_LAB_ADDRESSES.b.net}.2`;
  }

  get activeUplinkA(): Uplink {
    return this.#active;
  }

  /** The public address A's traffic leaves with (its active NAT's wan). */
  get publicAddressA(): string {
    return NAT_LAB_ADDRESSES[this.#active].wan;
  }

  get publicAddressB(): string {
    return NAT_LAB_ADDRESSES.b.wan;
  }

  async #build(): Promise<void> {
    // Safety first: nothing in the test range may reach the host's real routes.
    acquireHostBlackhole(NAT_TEST_RANGE);
    this.#holdsRoute = true;
    this.#created = true;
    await buildNatNetwork(this.ns, this.#tmp, this.#up.carrier);
    const { home, carrier, b } = NAT_LAB_ADDRESSES;
    this.log(
      `up: A ${this.addressA} behind home NAT ${home.wan} (carrier ${carrier.wan} ${this.#up.carrier ? 'up' : 'down'}), ` +
        `B ${this.addressB} behind ${b.wan}; core: signaling ${NAT_LAB_ADDRESSES.signaling}, TURN ` +
        `${NAT_LAB_ADDRESSES.turn}; host blackhole ${NAT_TEST_RANGE} metric ${process.pid}`,
    );
  }

  #upLines(uplink: Uplink, main = true): string[] {
    return uplinkLines(uplink, this.#host[uplink], main);
  }

  #record(change: NetChange): NetChange {
    this.changes.push(change);
    this.log(`${change.kind}: ${change.detail} (took ${change.doneAt - change.at} ms)`);
    return change;
  }

  #assertLive(op: string): void {
    if (this.#disposed) throw new Error(`NatLab.${op}: the lab is torn down`);
  }

  /** A gets a new private address on its active uplink (same NAT, same public address). */
  async changeAddressA(): Promise<NetChange> {
    this.#assertLive('changeAddressA');
    const uplink = this.#active;
    const from = this.addressA;
    this.#host[uplink] = this.#host[uplink] >= 250 ? 2 : this.#host[uplink] + 1;
    const at = Date.now();
    await ipBatch(this.ns.a, this.#upLines(uplink));
    const to = this.addressA;
    return this.#record({
      kind: 'changeIp',
      at,
      doneAt: Date.now(),
      from,
      to,
      detail: `A ${from} → ${to} behind ${uplink} NAT`,
    });
  }

  /**
   * Moves A to its other uplink (home ⇄ carrier: Wi-Fi → cellular and back), so its public
   * address changes too. `gapMs: 0`: gapless (new uplink up with address and default route,
   * then the old one down); `gapMs > 0`: old down, the gap, new up.
   */
  async switchUplinkA({ gapMs = 0 }: { gapMs?: number } = {}): Promise<NetChange> {
    this.#assertLive('switchUplinkA');
    const from = this.addressA;
    const oldUplink = this.#active;
    const newUplink: Uplink = oldUplink === 'home' ? 'carrier' : 'home';
    const down = async () => {
      await ipBatch(this.ns.a, [
        `link set dev ${UPLINK[oldUplink].dev} down`,
        `addr flush dev ${UPLINK[oldUplink].dev}`,
      ]);
      this.#up[oldUplink] = false;
      return Date.now();
    };
    const up = async () => {
      const { dev } = UPLINK[newUplink];
      // An uplink already up (`carrier: 'up'`) only takes the default route.
      const lines = this.#up[newUplink]
        ? [`route replace default via ${NAT_LAB_ADDRESSES[newUplink].lan} dev ${dev}`]
        : this.#upLines(newUplink);
      await ipBatch(this.ns.a, lines);
      this.#up[newUplink] = true;
      return Date.now();
    };
    const { at, doneAt } = await switchOver(gapMs, up, down, (ms) => this.#timers.sleep(ms));
    this.#active = newUplink;
    return this.#record({
      kind: 'switchInterface',
      at: Math.min(at, doneAt),
      doneAt: Math.max(at, doneAt),
      from,
      to: this.addressA,
      detail: `A ${oldUplink} ${from} → ${newUplink} ${this.addressA} (public ${this.publicAddressA}), gap ${gapMs} ms`,
    });
  }

  /**
   * A participant's NAT(s) stop forwarding UDP, both ways (a firewall allowing TCP only): for A,
   * the home and the carrier NAT. Lifted after `forMs` if given, or by `lift()`.
   */
  async blockUdp(participant: 'a' | 'b', { forMs }: { forMs?: number } = {}): Promise<UdpBlackhole> {
    this.#assertLive('blockUdp');
    const nats: NatLabRole[] = participant === 'a' ? ['nata', 'cgna'] : ['natb'];
    const rule = ['-p', 'udp', '-j', 'DROP'];
    const at = Date.now();
    // First in FORWARD: before the firewall's ESTABLISHED accept, so open flows stop too.
    for (const nat of nats) await this.exec(nat, 'iptables', ['-I', 'FORWARD', '1', ...rule]);
    const where = `${participant.toUpperCase()}'s NAT (${nats.join(', ')})`;
    const change = this.#record({
      kind: 'blackholeUdp',
      at,
      doneAt: Date.now(),
      detail: `${where} drops UDP`,
    });
    const handle = udpBlackhole(change, async () => {
      const liftAt = Date.now();
      if (!this.#disposed)
        for (const nat of nats) await this.exec(nat, 'iptables', ['-D', 'FORWARD', ...rule]);
      this.#udpBlocks.delete(handle);
      return this.#record({
        kind: 'liftUdp',
        at: liftAt,
        doneAt: Date.now(),
        detail: `${where} forwards UDP again`,
      });
    });
    this.#udpBlocks.add(handle);
    if (forMs !== undefined) {
      this.#timers.after(forMs, () => {
        handle.lift().catch((err) => this.log(`lifting the UDP block failed: ${(err as Error).message}`));
      });
    }
    return handle;
  }

  /** Chromium inside A's or B's namespace, the server's origin treated as secure; closed at teardown. */
  async launchBrowser(role: 'a' | 'b', extraArgs: string[] = []): Promise<Browser> {
    this.#assertLive('launchBrowser');
    const browser = await chromium.launch({
      executablePath: chromiumWrapper(this.#tmp, this.ns[role], role),
      // No loopback candidates: each namespace has its own 127.0.0.1, so they could only mislead.
      args: [
        ...CHROMIUM_ARGS.filter((a) => a !== '--allow-loopback-in-peer-connection'),
        `--unsafely-treat-insecure-origin-as-secure=${this.serverUrl}`,
        ...extraArgs,
      ],
    });
    this.#browsers.add(browser);
    browser.on('disconnected', () => this.#browsers.delete(browser));
    return browser;
  }

  /**
   * Closes the browsers, stops coturn (its log kept with `keepTurnLog`) and the server, removes
   * namespaces, veths, rules and the route. Idempotent.
   */
  async dispose({ keepTurnLog = false }: { keepTurnLog?: boolean } = {}): Promise<void> {
    if (this.#disposed) return;
    const started = Date.now();
    await closeBrowsers(this.#browsers);
    await this.#turn?.stop({ keepLog: keepTurnLog });
    if (keepTurnLog && this.#turn) this.log(`coturn log kept at ${this.#turn.logPath}`);
    await this.#server?.stop();
    this.disposeSync();
    this.timings.teardownMs = Date.now() - started;
    this.log(`torn down in ${this.timings.teardownMs} ms`);
  }

  /** The synchronous part of teardown (also from exit and signal hooks). Idempotent. */
  disposeSync(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#timers.clear();
    // Everything inside (Chromium, the server, coturn) was started by this lab.
    if (this.#created) deleteNamespaces(Object.values(this.ns));
    forgetAtExit(this);
    if (this.#holdsRoute) releaseHostBlackhole(NAT_TEST_RANGE);
    rmSync(this.#tmp, { recursive: true, force: true });
  }
}
