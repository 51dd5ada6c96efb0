/**
 * The product behind NAT (spec §10), in real Chromium: the meeting app and SDK behind A's and B's
 * NATs of the NAT lab (support/nat-lab.ts: `MASQUERADE --random-fully`, so host and
 * server-reflexive pairs cannot connect), the lab's signaling server handing out the lab's coturn
 * as STUN/TURN (`natLabOptions.ice`), with REST credentials made from its secret.
 *
 * 1. STUN only: media never connects and both tiles say the network may block it.
 * 2. With TURN: video both ways through a relay candidate.
 * 3. UDP blocked at A's NAT: through TURN over TCP.
 * 4. A's home uplink goes away and the carrier takes over (gapless, and with a 1 s gap): one
 *    TSDK episode on A, video both ways again through the relay; change → frames measured.
 * 5. Credentials of 5 s expire mid-meeting; then A's address changes: the resume's fresh
 *    credentials make a new relay.
 * Outside root (or without coturn) these skip with the reason; with CI=true they fail.
 * HTTPS/WSS (loopback, no lab) is in https-wss.spec.ts.
 */

import { peerConnectionLog, type SelectedPair, selectedCandidatePairs } from 'resume-meeting/testing';
import { history, ownHandle, remoteFrames } from './support/meeting.ts';
import { NAT_LAB_ADDRESSES, type NatLab, type NatLabOptions } from './support/nat-lab.ts';
import {
  coturnLines,
  expect,
  expectFramesFlowing,
  expectResumeEpisode,
  framesOver,
  joinBehindNat,
  type NatParticipant,
  pcTimeline,
  remoteTile,
  report,
  resumeRecords,
  sampleFrames,
  test,
} from './support/nat-meeting.ts';
import type { NetChange } from './support/netns.ts';

/** What the product is deployed with behind NATs: coturn for STUN, TURN over UDP and TCP. */
const WITH_TURN: NatLabOptions['ice'] = { turn: ['udp', 'tcp'] };
/** The SDK calls a participant unreachable 10 s after the link was made; 2 s for roster and page. */
const UNREACHABLE_WITHIN_MS = 12_000;
/** First media through a relay: gathering, allocation, ICE checks through two NATs. */
const FIRST_VIDEO_MS = 20_000;

/** A and B join one room behind their NATs and decode each other. */
async function meet(lab: NatLab, browserA: Parameters<typeof joinBehindNat>[0], browserB: typeof browserA) {
  const room = `nat-${lab.id}`;
  const a = await joinBehindNat(browserA, lab, room, 'Ada');
  const b = await joinBehindNat(browserB, lab, room, 'Bob');
  await Promise.all([
    expectFramesFlowing(a.page, 'Bob', FIRST_VIDEO_MS),
    expectFramesFlowing(b.page, 'Ada', FIRST_VIDEO_MS),
  ]);
  return { a, b, firstVideoMs: Date.now() - b.joinedAt };
}

/** The participant's one connected peer connection goes through a relay candidate (polled: the pointer lags). */
async function expectRelayed(p: NatParticipant): Promise<SelectedPair> {
  let pairs: SelectedPair[] = [];
  await expect
    .poll(
      async () => {
        pairs = await selectedCandidatePairs(p.page);
        return pairs.map((s) => [s.local?.type, s.remote?.type].includes('relay'));
      },
      { message: `${p.name}'s one connected peer connection uses a relay candidate` },
    )
    .toEqual([true]);
  const [pair] = pairs;
  if (!pair) throw new Error('unreachable: polled above');
  // Whichever end is the relay, it is the lab's coturn.
  const relay = pair.local?.type === 'relay' ? pair.local : pair.remote;
  expect(relay?.address).toBe(NAT_LAB_ADDRESSES.turn);
  return pair;
}

const describePair = (s: SelectedPair) =>
  `${s.local?.type} ${s.local?.address}:${s.local?.port}${s.local?.relayProtocol ? `/${s.local.relayProtocol}` : ''} ⇄ ${s.remote?.type} ${s.remote?.address || '(hidden)'}:${s.remote?.port} (${s.local?.protocol})`;

test.describe('STUN only, no TURN', () => {
  test.use({ natLabOptions: { ice: { stun: true } } });

  test('both behind NATs: media never connects, both tiles say the network may block it', async ({
    natLab,
    browserA,
    browserB,
  }) => {
    test.setTimeout(60_000);
    const room = `nat-stun-${natLab.id}`;
    const a = await joinBehindNat(browserA, natLab, room, 'Ada');
    const b = await joinBehindNat(browserB, natLab, room, 'Bob');
    const unreachableAfter = async (p: NatParticipant, other: string) => {
      const tile = remoteTile(p.page, other);
      await expect(tile).toHaveAttribute('data-status', 'unreachable', { timeout: UNREACHABLE_WITHIN_MS });
      const ms = Date.now() - b.joinedAt;
      await expect(tile).toContainText(`Can't reach ${other}'s video — the network may block it.`);
      return ms;
    };
    const [onA, onB] = await Promise.all([unreachableAfter(a, 'Bob'), unreachableAfter(b, 'Ada')]);

    const logA = await peerConnectionLog(a.page);
    const logB = await peerConnectionLog(b.page);
    const candidates = (log: typeof logA) => log.filter((e) => e.kind === 'candidate').map((e) => e.value);
    // The SDK used the server's STUN: each side learned its NAT's public address, so it is the
    // NATs (a new port per destination) that keep them apart, not a missing server.
    expect(candidates(logA)).toContain(`srflx ${natLab.publicAddressA} udp`);
    expect(candidates(logB)).toContain(`srflx ${natLab.publicAddressB} udp`);
    expect([...candidates(logA), ...candidates(logB)].filter((c) => c.startsWith('relay'))).toEqual([]);
    const connected = (log: typeof logA) =>
      log.filter((e) => e.kind === 'connection' && e.value === 'connected');
    expect(connected(logA), 'A never connected: if it did, the lab is not strict enough').toEqual([]);
    expect(connected(logB)).toEqual([]);
    expect((await remoteFrames(a.page)).Bob ?? 0).toBe(0);
    expect((await remoteFrames(b.page)).Ada ?? 0).toBe(0);
    await report('stun-only', {
      unreachableMsAfterBJoined: { onA, onB },
      eventsA: (await history(a.page)).map((n) => n.event),
      pcA: await pcTimeline(a.page, b.joinedAt, ['ice', 'connection', 'candidate']),
    });
  });
});

test.describe('with TURN (udp and tcp)', () => {
  test.use({ natLabOptions: { ice: WITH_TURN } });

  test('both behind NATs: video both ways through a relay candidate', async ({
    natLab,
    browserA,
    browserB,
  }) => {
    test.setTimeout(60_000);
    const { a, b, firstVideoMs } = await meet(natLab, browserA, browserB);
    const [pairA, pairB] = [await expectRelayed(a), await expectRelayed(b)];
    await expect(remoteTile(a.page, 'Bob')).not.toHaveAttribute('data-status', 'unreachable');
    await report('turn', {
      firstVideoMsAfterBJoined: firstVideoMs,
      selectedA: describePair(pairA),
      selectedB: describePair(pairB),
    });
  });

  test('UDP blocked at A’s NAT: video both ways through TURN over TCP', async ({
    natLab,
    browserA,
    browserB,
  }) => {
    test.setTimeout(60_000);
    await natLab.blockUdp('a');
    const { a, b, firstVideoMs } = await meet(natLab, browserA, browserB);
    const pairA = await expectRelayed(a);
    expect(pairA.local, 'A reaches its relay over TCP').toMatchObject({
      type: 'relay',
      address: NAT_LAB_ADDRESSES.turn,
      relayProtocol: 'tcp',
    });
    const srflxA = (await peerConnectionLog(a.page)).filter(
      (e) => e.kind === 'candidate' && e.value.startsWith('srflx'),
    );
    expect(srflxA, 'no UDP leaves A’s NAT: no server-reflexive candidate').toEqual([]);
    const pairB = (await selectedCandidatePairs(b.page))[0];
    await report('turn-tcp', {
      firstVideoMsAfterBJoined: firstVideoMs,
      selectedA: describePair(pairA),
      selectedB: pairB ? describePair(pairB) : null,
    });
  });
});

test.describe('with TURN (udp and tcp), hour-long credentials', () => {
  test.use({ natLabOptions: { ice: WITH_TURN } });

  // The same change as the expired-credentials test below, for comparison.
  test('A’s address changes behind its NAT: one episode on A, video both ways again through the relay', async ({
    natLab,
    browserA,
    browserB,
  }) => {
    test.setTimeout(60_000);
    const { a, b } = await meet(natLab, browserA, browserB);
    await recoverAfter(a, b, () => natLab.changeAddressA(), 'change-address');
  });
});

/**
 * The change, then: one TSDK episode on A (new handle linked to the original), video both ways
 * again through a relay. Reports change → RESUMING_IND / RESUME_RESULT / frames on each side.
 */
async function recoverAfter(
  a: NatParticipant,
  b: NatParticipant,
  change: () => Promise<NetChange>,
  title: string,
  extra: (net: NetChange) => Promise<Record<string, unknown>> = async () => ({}),
) {
  const h0 = await ownHandle(a.page);
  const before = (await history(a.page)).length;
  const beforeB = (await history(b.page)).length;
  const onB = sampleFrames(b.page, 'Ada');
  const onA = sampleFrames(a.page, 'Bob');
  const net = await change();
  const rel = (at: number) => at - net.at;
  let records: Awaited<ReturnType<typeof resumeRecords>> = [];
  try {
    ({ records } = await expectResumeEpisode(a.page, before, h0));
    await Promise.all([expectFramesFlowing(b.page, 'Ada'), expectFramesFlowing(a.page, 'Bob')]);
    await Promise.all([onA.stop(), onB.stop()]);
    const pairA = await expectRelayed(a);
    // Still one episode now that media flows (no second one started behind the first).
    expect((await resumeRecords(a.page, before)).length, 'exactly one episode on A').toBe(6);
    const eventsB = (await history(b.page)).slice(beforeB).map((n) => n.event);
    const videoOnB = onB.recovery(net.at);
    const videoOnA = onA.recovery(net.at);
    await report(title, {
      change: `${net.detail} (took ${net.doneAt - net.at} ms)`,
      episodeA: records.map((n) => `${rel(n.at)}ms ${n.event} p1=${n.param1} p2=${n.param2}`),
      changeToFramesMs: {
        onB_fromA: { first: videoOnB.firstFrameMs, steady: videoOnB.steadyMs },
        onA_fromB: { first: videoOnA.firstFrameMs, steady: videoOnA.steadyMs },
      },
      videoOnB_fromA: videoOnB,
      videoOnA_fromB: videoOnA,
      selectedA: describePair(pairA),
      episodesOnB: eventsB.filter((e) => e === 'TSDK_E_CONF_EVT_CONF_RESUMING_IND').length,
      ...(await extra(net)),
      pcA: await pcTimeline(a.page, net.at, ['ice', 'connection', 'config']),
    });
    return { net, h0, pairA };
  } catch (err) {
    await Promise.all([onA.stop(), onB.stop()]);
    const story = (await history(a.page)).map(
      (n) => `${rel(n.at)}ms ${n.event} ${JSON.stringify(n.data ?? {})}`,
    );
    console.log(
      `[${title}] failed; A's pc log since the change:\n${(await pcTimeline(a.page, net.at)).join('\n')}` +
        `\nA's TSDK story (ms from the change):\n${story.join('\n')}`,
    );
    throw err;
  }
}

for (const { gapMs, carrier } of [
  { gapMs: 0, carrier: 'up' as const },
  { gapMs: 1_000, carrier: 'down' as const },
]) {
  test.describe(`A's carrier uplink ${carrier} at start`, () => {
    test.use({ natLabOptions: { carrier, ice: WITH_TURN } });

    test(`home uplink → carrier uplink (${gapMs ? `${gapMs} ms gap` : 'gapless'}): one episode on A, video both ways again through the relay`, async ({
      natLab,
      browserA,
      browserB,
    }) => {
      test.setTimeout(75_000);
      const { a, b } = await meet(natLab, browserA, browserB);
      await recoverAfter(a, b, () => natLab.switchUplinkA({ gapMs }), `switch-${gapMs}ms`);
      expect(natLab.activeUplinkA).toBe('carrier');
    });
  });
}

/**
 * TURN_TTL_S's lower bound: the credentials A's relay allocation was made with expire mid-meeting.
 * Chrome keeps using them for that allocation; the SDK renews its own copy at 80 % of the lifetime
 * (`ice:refresh`, every 4 s here) and the resume hands out new ones, which the recovered path must use.
 */
test.describe('TURN credentials of 5 s', () => {
  const TTL_S = 5;
  test.use({ natLabOptions: { ice: { ...WITH_TURN, ttlS: TTL_S } } });

  test('they expire mid-meeting: video goes on; after an address change A recovers through a relay with fresh ones', async ({
    natLab,
    browserA,
    browserB,
  }) => {
    test.setTimeout(75_000);
    const { a, b } = await meet(natLab, browserA, browserB);
    const before = await expectRelayed(a);
    // The credentials A's peer connection was made with: the TURN port behind the relay keeps them.
    const expiryOf = (value: string) => Number(value.split(' ')[1]?.split(':')[0]) * 1_000;
    const configs = (await peerConnectionLog(a.page)).filter((e) => e.kind === 'config');
    const madeWith = configs.find((e) => e.pc === before.pc);
    expect(madeWith, 'A’s peer connection was made with TURN credentials').toBeDefined();
    const expiresAt = expiryOf(madeWith?.value ?? '');
    // Real time: coturn checks the expiry in the username against its own clock, so the wait
    // cannot be faked. It is the credential's remaining lifetime (≤ 5 s) plus 1 s for coturn's
    // whole-second comparison, spent checking that video keeps flowing on the allocation.
    const waitUntil = expiresAt + 1_000;
    const flowing: number[][] = [];
    while (Date.now() < waitUntil) {
      flowing.push(await Promise.all([framesOver(b.page, 'Ada', 500), framesOver(a.page, 'Bob', 500)]));
    }
    const stalled = flowing.filter(([onB, onA]) => !onB || !onA).length;
    expect(
      stalled,
      `video stopped on the allocation while its credentials expired (frames per 500 ms, B/A: ${flowing.map((f) => f.join('/')).join(' ')})`,
    ).toBe(0);
    await Promise.all([expectFramesFlowing(b.page, 'Ada', 5_000), expectFramesFlowing(a.page, 'Bob', 5_000)]);
    expect(Date.now()).toBeGreaterThan(expiresAt);
    const stillA = await expectRelayed(a);

    const { net, pairA } = await recoverAfter(
      a,
      b,
      () => natLab.changeAddressA(),
      'expired-credentials',
      async (net) => ({
        credentialsMadeWith: `${madeWith?.value} (expired ${Date.now() - expiresAt} ms ago)`,
        framesPer500msDuringWait: flowing.map(([onB, onA]) => `${onB}/${onA}`).join(' '),
        selectedBeforeChange: `${describePair(stillA)} (pc${stillA.pc})`,
        // Allocations and refusals of named users (an unnamed 401 is the normal first challenge).
        coturn: coturnLines(natLab, /ALLOCATE|error 4(01|38)|expired|timestamp|stale/i)
          .filter((l) => !l.includes('user <>'))
          .slice(-30),
        relayCandidatesA: (await pcTimeline(a.page, net.at, ['candidate'])).filter((l) => / relay /.test(l)),
      }),
    );
    // The peer connection carrying media now got credentials handed out after the change (the
    // resume's, or a rebuild made with them): expiring later than the change, long after the first.
    const fresh = (await peerConnectionLog(a.page)).filter(
      (e) => e.kind === 'config' && e.pc === pairA.pc && e.at >= net.at && expiryOf(e.value) > net.at,
    );
    expect(
      fresh.length,
      `pc${pairA.pc}, carrying media, got fresh TURN credentials after the change`,
    ).toBeGreaterThan(0);
  });
});
