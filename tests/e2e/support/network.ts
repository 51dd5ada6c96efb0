/**
 * Network faults for end-to-end tests, from the cheapest to the most real:
 *
 * - {@link goOffline}: `context.setOffline` — browser network signals and new connections only;
 *   an open WebSocket and WebRTC media are untouched (environment.md).
 * - {@link prepareMediaCut} / {@link cutMedia}: CDP packet loss on the page's p2p traffic —
 *   media stops, signaling stays up. Works on loopback, no root needed.
 * - {@link changeIp}, {@link switchInterface}, {@link blackholeUdp}: a real IP change, a real
 *   interface switch, real dropped UDP, in network namespaces ({@link NetnsLab}; root only).
 *
 * The `test` exported here adds fixtures: `lab` (a fresh {@link NetnsLab} per test, torn down
 * afterwards, skipped with a reason outside CI when namespaces are unavailable, failing in CI)
 * and `browserA` / `browserB` (Chromium running inside namespace A / B of that lab).
 */
import {
  type Browser,
  type BrowserContext,
  test as base,
  type CDPSession,
  type Page,
} from '@playwright/test';
import {
  type NetChange,
  NetnsLab,
  type NetnsLabOptions,
  netnsSkipReason,
  type UdpBlackhole,
} from './netns.ts';
import { type Evaluates, installPeerConnectionRecorder, type PeerConnectionEvent } from './pc-recorder.ts';

export { expect } from '@playwright/test';
export type { NetChange, UdpBlackhole } from './netns.ts';
export { LAB_ADDRESSES, NetnsLab, netnsSkipReason, netnsSupport } from './netns.ts';
export type { PeerConnectionEvent } from './pc-recorder.ts';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Takes a browser context offline (`navigator.onLine` false, `offline` event, new HTTP and
 * WebSocket connections fail). With `ms`, brings it back online after that long.
 * Does not close open WebSockets and does not touch WebRTC.
 * @returns when it went offline and, with `ms`, when it came back (ms since epoch).
 */
export async function goOffline(
  context: BrowserContext,
  ms?: number,
): Promise<{ offlineAt: number; onlineAt?: number }> {
  await context.setOffline(true);
  const offlineAt = Date.now();
  if (ms === undefined) return { offlineAt };
  await sleep(ms);
  await context.setOffline(false);
  return { offlineAt, onlineAt: Date.now() };
}

/** Cuts and restores one page's WebRTC media through CDP. */
export interface MediaCut {
  /** Drops 100 % of the page's p2p packets (both directions); signaling keeps working. */
  cut(): Promise<number>;
  /** Back to 0 % loss. */
  restore(): Promise<number>;
  /** Whether media is currently cut. */
  readonly isCut: boolean;
}

const mediaCuts = new WeakMap<Page, MediaCut>();

function rule(packetLoss: number) {
  return {
    matchedNetworkConditions: [
      { urlPattern: '', latency: 0, downloadThroughput: -1, uploadThroughput: -1, packetLoss },
    ],
  };
}

/**
 * Installs the CDP rule `Network.emulateNetworkConditionsByRule {urlPattern:'', packetLoss:0}`
 * on the page. Chromium applies rule changes only to peer connections created **after** the
 * rule exists, so call this before navigating/joining (before any RTCPeerConnection), e.g.
 *
 * ```ts
 * const page = await context.newPage();
 * const media = await prepareMediaCut(page);
 * await page.goto(url);            // join
 * await media.cut();               // frames stop on the other side; ICE `disconnected` ~7 s
 * await media.restore();           // frames come back (after a keyframe)
 * ```
 * After a cut Chrome reports ICE `disconnected` at ~7 s and `connectionState` `failed` at ~17 s.
 */
export async function prepareMediaCut(page: Page): Promise<MediaCut> {
  const existing = mediaCuts.get(page);
  if (existing) return existing;
  const session: CDPSession = await page.context().newCDPSession(page);
  await session.send('Network.enable');
  await session.send('Network.emulateNetworkConditionsByRule', rule(0));
  let isCut = false;
  const media: MediaCut = {
    async cut() {
      await session.send('Network.emulateNetworkConditionsByRule', rule(100));
      isCut = true;
      return Date.now();
    },
    async restore() {
      await session.send('Network.emulateNetworkConditionsByRule', rule(0));
      isCut = false;
      return Date.now();
    },
    get isCut() {
      return isCut;
    },
  };
  mediaCuts.set(page, media);
  return media;
}

/**
 * Cuts the page's media (the page must have gone through {@link prepareMediaCut} before its
 * peer connections were created). With `ms`, restores it after that long.
 * @returns when it was cut and, with `ms`, when it was restored (ms since epoch).
 */
export async function cutMedia(page: Page, ms?: number): Promise<{ cutAt: number; restoredAt?: number }> {
  const media = mediaCuts.get(page);
  if (!media) {
    throw new Error(
      'cutMedia: call prepareMediaCut(page) before the page joins (before any RTCPeerConnection)',
    );
  }
  const cutAt = await media.cut();
  if (ms === undefined) return { cutAt };
  await sleep(ms);
  return { cutAt, restoredAt: await media.restore() };
}

/** Restores media cut by {@link cutMedia}. */
export async function restoreMedia(page: Page): Promise<number> {
  const media = mediaCuts.get(page);
  if (!media) throw new Error('restoreMedia: the page has no media cut (prepareMediaCut first)');
  return media.restore();
}

/** A gets a new address on the same interface (old one removed). See {@link NetnsLab.changeIp}. */
export function changeIp(lab: NetnsLab): Promise<NetChange> {
  return lab.changeIp();
}

/**
 * A moves to its other interface: `gapMs: 0` new up then old down (no browser event at all),
 * otherwise old down, `gapMs` without network, new up. See {@link NetnsLab.switchInterface}.
 */
export function switchInterface(lab: NetnsLab, options: { gapMs?: number } = {}): Promise<NetChange> {
  return lab.switchInterface(options);
}

/**
 * A becomes dual-homed: its second interface up and routable beside the first, less preferred.
 * Call it before `lab.launchBrowser('a')`, so A's peer connections gather on both. See
 * {@link NetnsLab.addStandbyInterface}.
 */
export function dualHome(lab: NetnsLab): Promise<void> {
  return lab.addStandbyInterface();
}

/** A dual-homed A loses its first interface; the second carries on. See {@link NetnsLab.dropActiveInterface}. */
export function loseInterface(lab: NetnsLab): Promise<NetChange> {
  return lab.dropActiveInterface();
}

/** UDP between the namespaces is dropped at R (TCP signaling survives). See {@link NetnsLab.blackholeUdp}. */
export function blackholeUdp(lab: NetnsLab, options: { forMs?: number } = {}): Promise<UdpBlackhole> {
  return lab.blackholeUdp(options);
}

// ---------------------------------------------------------------------------------------------
// Peer-connection observation (test side, independent of the SDK's internals).

/**
 * Records every RTCPeerConnection's `iceConnectionState`, `connectionState`, local candidates
 * (address and type), offers and answers, and ICE configuration (TURN usernames only) in
 * `window.__pcLog`, and keeps a weak reference to each in `window.__pcs` (for
 * {@link selectedCandidatePairs}). Call before the page creates any.
 */
export async function recordPeerConnections(context: BrowserContext): Promise<void> {
  await context.addInitScript(installPeerConnectionRecorder);
}

/** The page's peer-connection log (empty without {@link recordPeerConnections}). */
export function peerConnectionLog(page: Evaluates): Promise<PeerConnectionEvent[]> {
  return page.evaluate(
    () =>
      (
        (window as unknown as { __pcLog?: PeerConnectionEvent[] }).__pcLog ?? []
      ).slice() as PeerConnectionEvent[],
  );
}

/** The local candidates the page's peer connections gathered (`host 10.200.1.2 udp …`), in order. */
export async function gatheredCandidates(page: Evaluates): Promise<string[]> {
  return (await peerConnectionLog(page)).filter((e) => e.kind === 'candidate').map((e) => e.value);
}

/** One end of a selected candidate pair, from `getStats`. */
export interface CandidateEnd {
  type: string;
  address: string;
  port: number;
  protocol: string;
  /** For a relay candidate: how this browser reaches its TURN server (`udp`, `tcp`, `tls`). */
  relayProtocol?: string;
}

/** The selected candidate pair of one live peer connection. */
export interface SelectedPair {
  pc: number;
  connectionState: RTCPeerConnectionState;
  local: CandidateEnd | null;
  remote: CandidateEnd | null;
}

/**
 * The selected candidate pair of every connected RTCPeerConnection of the page (recorded by
 * {@link recordPeerConnections}): what the media really goes through.
 */
export function selectedCandidatePairs(page: Page): Promise<SelectedPair[]> {
  return page.evaluate(async () => {
    const refs = (window as unknown as { __pcs?: WeakRef<RTCPeerConnection>[] }).__pcs ?? [];
    const out: SelectedPair[] = [];
    for (const [pc, ref] of refs.entries()) {
      const conn = ref?.deref();
      if (conn?.connectionState !== 'connected') continue;
      const stats = await conn.getStats();
      let pairId: string | undefined;
      stats.forEach((r) => {
        if (r.type === 'transport' && r.selectedCandidatePairId) pairId = r.selectedCandidatePairId;
      });
      // Without a transport's pointer (seen right after connecting): the nominated, working pair.
      if (!pairId) {
        stats.forEach((r) => {
          if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') pairId ??= r.id;
        });
      }
      const pair = pairId ? stats.get(pairId) : undefined;
      const end = (id: string | undefined): CandidateEnd | null => {
        const c = id ? stats.get(id) : undefined;
        if (!c) return null;
        const { candidateType: type, address, port, protocol, relayProtocol } = c;
        return { type, address, port, protocol, ...(relayProtocol ? { relayProtocol } : {}) };
      };
      out.push({
        pc,
        connectionState: conn.connectionState,
        local: end(pair?.localCandidateId),
        remote: end(pair?.remoteCandidateId),
      });
    }
    return out;
  });
}

// ---------------------------------------------------------------------------------------------
// Fixtures.

export interface NetworkFixtures {
  /** A fresh lab per test (server in R), torn down after the test, also on failure. */
  lab: NetnsLab;
  /** Chromium inside namespace A (the participant whose network changes). */
  browserA: Browser;
  /** Chromium inside namespace B. */
  browserB: Browser;
}

export interface NetworkOptions {
  /** Options for the lab fixture. */
  labOptions: NetnsLabOptions;
}

export const test = base.extend<NetworkFixtures & NetworkOptions>({
  labOptions: [{}, { option: true }],
  lab: async ({ labOptions }, use, testInfo) => {
    const skip = netnsSkipReason();
    testInfo.skip(skip !== null, skip ?? '');
    const lab = await NetnsLab.create(labOptions);
    try {
      await use(lab);
    } finally {
      if (testInfo.status !== testInfo.expectedStatus) {
        const out = lab.serverOutput().slice(-30).join('\n');
        if (out) console.log(`[netns ${lab.id}] server output (last 30 lines):\n${out}`);
      }
      await lab.dispose();
    }
  },
  browserA: async ({ lab }, use) => {
    await use(await lab.launchBrowser('a'));
  },
  browserB: async ({ lab }, use) => {
    await use(await lab.launchBrowser('b'));
  },
});
