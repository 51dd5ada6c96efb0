/**
 * Proof of the NAT lab (support/nat-lab.ts), without the product's SDK: two plain pages, one in
 * Chromium behind A's NAT, one behind B's, each with an RTCPeerConnection (a fake camera track
 * and a data channel); the test carries the offer, the answer and the candidates between them.
 *
 * (a) host + STUN only: the NATs map per destination (`--random-fully`), so no pair works and
 *     the peers must not connect — if they do, the lab is wrong, not this test;
 * (b) with coturn in the core: they connect and the selected pair has a relay candidate;
 * (c) UDP blocked at A's NAT, TURN over TCP: A's selected candidate is a relay reached by TCP.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, test as base, expect, type Page } from '@playwright/test';
import { NAT_LAB_ADDRESSES, NatLab, natLabSkipReason } from './support/nat-lab.ts';

/** How long (a) gives ICE before calling the NATs strict. */
const NO_CONNECT_BOUND_MS = 10_000;

const test = base.extend<{ natLab: NatLab; browserA: Browser; browserB: Browser }, { staticDir: string }>({
  // A page with nothing in it: the peer code comes through `evaluate`.
  staticDir: [
    // biome-ignore lint/correctness/noEmptyPattern: Playwright fixtures take their dependencies destructured.
    async ({}, use) => {
      const dir = mkdtempSync(join(tmpdir(), 'natlab-page-'));
      writeFileSync(join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>NAT lab</title>\n');
      await use(dir);
      rmSync(dir, { recursive: true, force: true });
    },
    { scope: 'worker' },
  ],
  natLab: async ({ staticDir }, use, testInfo) => {
    const skip = natLabSkipReason();
    testInfo.skip(skip !== null, skip ?? '');
    const lab = await NatLab.create({ staticDir });
    let failed = true;
    try {
      await use(lab);
      failed = testInfo.status !== testInfo.expectedStatus;
    } finally {
      if (failed) {
        await testInfo.attach('coturn.log', { path: lab.turn.logPath }).catch(() => {});
        const out = lab.serverOutput().slice(-30).join('\n');
        if (out) console.log(`[natlab ${lab.id}] server output (last 30 lines):\n${out}`);
      }
      // The attachment above is the kept copy of coturn's log: its temp dir can go.
      await lab.dispose();
      testInfo.annotations.push({ type: 'lab', description: JSON.stringify(lab.timings) });
    }
  },
  browserA: async ({ natLab }, use) => {
    await use(await natLab.launchBrowser('a'));
  },
  browserB: async ({ natLab }, use) => {
    await use(await natLab.launchBrowser('b'));
  },
});

interface CandidateInfo {
  type: string;
  address: string;
  protocol: string;
  relayProtocol?: string;
}

interface PeerState {
  pc: RTCPeerConnection;
  outbox: RTCIceCandidateInit[];
  gathered: CandidateInfo[];
  received: string[];
  channel?: RTCDataChannel;
}

type PeerWindow = Window & { peer?: PeerState };

/** Opens the page and an RTCPeerConnection with a fake camera track; A opens the data channel. */
async function openPeer(browser: Browser, lab: NatLab, config: RTCConfiguration, initiator: boolean) {
  const page = await (await browser.newContext()).newPage();
  await page.goto(lab.serverUrl);
  await page.evaluate(
    async ({ config, initiator }) => {
      const w = window as PeerWindow;
      const pc = new RTCPeerConnection(config);
      const peer: PeerState = { pc, outbox: [], gathered: [], received: [] };
      w.peer = peer;
      pc.onicecandidate = (e) => {
        if (!e.candidate?.candidate) return;
        peer.outbox.push(e.candidate.toJSON());
        const c = e.candidate;
        peer.gathered.push({ type: c.type ?? '?', address: c.address ?? '?', protocol: c.protocol ?? '?' });
      };
      // getUserMedia (granted by the fake UI) also makes host candidates plain IPs, not mDNS names.
      const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 320, height: 240 } });
      for (const track of stream.getTracks()) pc.addTrack(track, stream);
      const useChannel = (ch: RTCDataChannel) => {
        peer.channel = ch;
        ch.onmessage = (m) => {
          peer.received.push(String(m.data));
          if (m.data === 'ping') ch.send('pong');
        };
      };
      if (initiator) useChannel(pc.createDataChannel('lab'));
      else pc.ondatachannel = (e) => useChannel(e.channel);
    },
    { config, initiator },
  );
  return page;
}

/** Offer from A, answer from B, then candidates carried both ways every 100 ms until stopped. */
async function connect(a: Page, b: Page): Promise<() => Promise<void>> {
  const offer = await a.evaluate(async () => {
    const { pc } = (window as PeerWindow).peer as PeerState;
    await pc.setLocalDescription();
    return pc.localDescription?.toJSON() as RTCSessionDescriptionInit;
  });
  const answer = await b.evaluate(async (offer) => {
    const { pc } = (window as PeerWindow).peer as PeerState;
    await pc.setRemoteDescription(offer);
    await pc.setLocalDescription();
    return pc.localDescription?.toJSON() as RTCSessionDescriptionInit;
  }, offer);
  await a.evaluate(
    (answer) => ((window as PeerWindow).peer as PeerState).pc.setRemoteDescription(answer),
    answer,
  );
  const take = (page: Page) =>
    page.evaluate(() => ((window as PeerWindow).peer as PeerState).outbox.splice(0));
  const give = (page: Page, candidates: RTCIceCandidateInit[]) =>
    page.evaluate(async (candidates) => {
      const { pc } = (window as PeerWindow).peer as PeerState;
      for (const c of candidates) await pc.addIceCandidate(c);
    }, candidates);
  let running = true;
  const relay = (async () => {
    while (running) {
      await give(b, await take(a));
      await give(a, await take(b));
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return async () => {
    running = false;
    await relay.catch(() => {});
  };
}

const connectionState = (page: Page) =>
  page.evaluate(() => ((window as PeerWindow).peer as PeerState).pc.connectionState);

const gathered = (page: Page) => page.evaluate(() => ((window as PeerWindow).peer as PeerState).gathered);

/** The selected candidate pair's two ends, from getStats. */
function selectedPair(page: Page) {
  return page.evaluate(async () => {
    const stats = await ((window as PeerWindow).peer as PeerState).pc.getStats();
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
    const end = (id: string | undefined): CandidateInfo | null => {
      const c = id ? stats.get(id) : undefined;
      return c
        ? { type: c.candidateType, address: c.address, protocol: c.protocol, relayProtocol: c.relayProtocol }
        : null;
    };
    return { local: end(pair?.localCandidateId), remote: end(pair?.remoteCandidateId) };
  });
}

/** Data flows both ways over the data channel (A pings, B answers). */
async function expectDataFlows(a: Page, b: Page): Promise<void> {
  await expect
    .poll(() => a.evaluate(() => ((window as PeerWindow).peer as PeerState).channel?.readyState))
    .toBe('open');
  await a.evaluate(() => ((window as PeerWindow).peer as PeerState).channel?.send('ping'));
  await expect
    .poll(() => b.evaluate(() => ((window as PeerWindow).peer as PeerState).received))
    .toContain('ping');
  await expect
    .poll(() => a.evaluate(() => ((window as PeerWindow).peer as PeerState).received))
    .toContain('pong');
}

/** Candidates and ICE stats of both pages, attached to the test when it did not connect. */
async function attachIceStats(a: Page, b: Page): Promise<void> {
  const stats = (page: Page) =>
    page.evaluate(async () => {
      const p = (window as PeerWindow).peer as PeerState;
      const out: unknown[] = [];
      (await p.pc.getStats()).forEach((r) => {
        if (['candidate-pair', 'remote-candidate', 'local-candidate', 'transport'].includes(r.type))
          out.push(r);
      });
      return { gathered: p.gathered, stats: out };
    });
  const body = JSON.stringify({ a: await stats(a).catch(String), b: await stats(b).catch(String) }, null, 1);
  await test.info().attach('ice-stats.json', { body, contentType: 'application/json' });
}

function turnConfig(lab: NatLab, user: string, transport: 'udp' | 'tcp'): RTCConfiguration {
  return {
    iceServers: [
      { urls: lab.turn.stunUrls() },
      { urls: lab.turn.urls(transport), ...lab.turn.credentials(user) },
    ],
  };
}

test('(a) host + STUN only: the NATs are strict, the peers do not connect', async ({
  natLab,
  browserA,
  browserB,
}) => {
  const stun: RTCConfiguration = { iceServers: [{ urls: natLab.turn.stunUrls() }] };
  const a = await openPeer(browserA, natLab, stun, true);
  const b = await openPeer(browserB, natLab, stun, false);
  const stop = await connect(a, b);
  const started = Date.now();
  const states: string[] = [];
  while (Date.now() - started < NO_CONNECT_BOUND_MS) {
    states.push(await connectionState(a), await connectionState(b));
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  const [onA, onB] = [await gathered(a), await gathered(b)];
  console.log(
    `[natlab ${natLab.id}] (a) A gathered ${JSON.stringify(onA)}; B gathered ${JSON.stringify(onB)}`,
  );
  // The non-connection proves something only if both sides learned their public address.
  expect(onA).toContainEqual(expect.objectContaining({ type: 'srflx', address: natLab.publicAddressA }));
  expect(onB).toContainEqual(expect.objectContaining({ type: 'srflx', address: natLab.publicAddressB }));
  expect(onA).toContainEqual(expect.objectContaining({ type: 'host', address: natLab.addressA }));
  expect([...new Set(states)]).not.toContain('connected');
});

test('(b) with TURN: the peers connect through a relay candidate', async ({ natLab, browserA, browserB }) => {
  const a = await openPeer(browserA, natLab, turnConfig(natLab, 'alice', 'udp'), true);
  const b = await openPeer(browserB, natLab, turnConfig(natLab, 'bob', 'udp'), false);
  const started = Date.now();
  const stop = await connect(a, b);
  await expect
    .poll(() => connectionState(a), { timeout: 20_000 })
    .toBe('connected')
    .catch(async (err) => {
      await attachIceStats(a, b);
      throw err;
    });
  console.log(`[natlab ${natLab.id}] (b) connected in ${Date.now() - started} ms`);
  await expectDataFlows(a, b);
  await stop();
  const pair = await selectedPair(a);
  console.log(`[natlab ${natLab.id}] (b) A's selected pair ${JSON.stringify(pair)}`);
  expect([pair.local?.type, pair.remote?.type]).toContain('relay');
  const relayEnd = pair.local?.type === 'relay' ? pair.local : pair.remote;
  expect(relayEnd?.address).toBe(NAT_LAB_ADDRESSES.turn);
});

test('(c) UDP blocked at A’s NAT: the peers connect through TURN over TCP', async ({
  natLab,
  browserA,
  browserB,
}) => {
  await natLab.blockUdp('a');
  const a = await openPeer(browserA, natLab, turnConfig(natLab, 'alice', 'tcp'), true);
  const b = await openPeer(browserB, natLab, turnConfig(natLab, 'bob', 'tcp'), false);
  const started = Date.now();
  const stop = await connect(a, b);
  await expect.poll(() => connectionState(a), { timeout: 30_000 }).toBe('connected');
  console.log(`[natlab ${natLab.id}] (c) connected in ${Date.now() - started} ms`);
  await expectDataFlows(a, b);
  await stop();
  const onA = await gathered(a);
  const pair = await selectedPair(a);
  if (!pair.local) await attachIceStats(a, b);
  console.log(
    `[natlab ${natLab.id}] (c) A gathered ${JSON.stringify(onA)}; selected ${JSON.stringify(pair)}`,
  );
  // No UDP leaves A's NAT: no server-reflexive candidate, and the relay is reached over TCP.
  expect(onA.filter((c) => c.type === 'srflx')).toEqual([]);
  expect(pair.local).toMatchObject({ type: 'relay', address: NAT_LAB_ADDRESSES.turn, relayProtocol: 'tcp' });
});
