import type { VirtualTimeScheduler } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import type { SignalData } from '../../../shared/src/index.ts';
import { Mesh, type PeerSnapshot } from '../../../web/src/sdk/media/mesh.ts';
import { fakeLinks, fakeStream } from './fake-link.ts';

const meshes: Mesh[] = [];
afterEach(() => {
  for (const m of meshes.splice(0)) m.destroy();
});

function setup(
  localUserId = 'm',
  options: { stallPollMs?: number; stallMs?: number; scheduler?: VirtualTimeScheduler } = {},
) {
  const sent: [number, SignalData][] = [];
  const { links, createLink } = fakeLinks();
  let now = 0;
  const mesh = new Mesh({
    port: { sendSignal: (to, data) => sent.push([to, data]) },
    createLink,
    getUserMedia: async () => fakeStream(),
    now: () => now,
    ...options,
  });
  meshes.push(mesh);
  mesh.setLocalUser(localUserId);
  mesh.setLocalHandle(1);
  return { mesh, sent, links, advance: (ms: number) => (now += ms) };
}

const offer: SignalData = { type: 'offer', sdp: 'v=0' };

/** A mesh polled every 5 ms (real time) on a manual clock, with two connected links that have received 10 bytes. */
async function twoConnected(stallMs: number) {
  const { mesh, links, advance } = setup('m', { stallPollMs: 5, stallMs });
  await mesh.startLocalMedia();
  mesh.addPeer('a', 10);
  mesh.addPeer('b', 11);
  const [a, b] = links;
  if (!a || !b) throw new Error('no links');
  for (const link of [a, b]) {
    link.bytes = 10;
    link.setState({ connectionState: 'connected' });
  }
  const wait = () => new Promise((r) => setTimeout(r, 30));
  await wait();
  return { mesh, a, b, advance, wait };
}

describe('Mesh', () => {
  it('opens one link per remote participant once local media is ready; never to itself', async () => {
    const { mesh, links } = setup('m');
    mesh.addPeer('a', 10);
    mesh.addPeer('z', 11);
    mesh.addPeer('m', 1);
    expect(links).toHaveLength(0);
    await mesh.startLocalMedia();
    expect(links.map((l) => l.initiator)).toEqual([false, true]);
    expect(links[0]?.options.stream).toBe(mesh.localStream);
  });

  it('uses getUserMedia once', async () => {
    let calls = 0;
    const mesh = new Mesh({
      port: { sendSignal() {} },
      now: () => 0,
      createLink: fakeLinks().createLink,
      getUserMedia: async () => {
        calls++;
        return fakeStream();
      },
    });
    await Promise.all([mesh.startLocalMedia(), mesh.startLocalMedia()]);
    await mesh.startLocalMedia();
    expect(calls).toBe(1);
  });

  it('routes signals by handle, and holds those that arrive before the link exists', async () => {
    const { mesh, links } = setup();
    mesh.handleSignal(10, offer); // before we even know handle 10
    mesh.addPeer('a', 10);
    mesh.handleSignal(10, { type: 'candidate', candidate: { candidate: 'c' } });
    await mesh.startLocalMedia();
    expect(links[0]?.received).toEqual([offer, { type: 'candidate', candidate: { candidate: 'c' } }]);
  });

  it('a handle change (rekey) keeps the same healthy link and routes both ways with the new handle', async () => {
    const { mesh, links, sent } = setup();
    await mesh.startLocalMedia();
    mesh.addPeer('a', 10);
    const link = links[0];
    link?.setState({ iceConnectionState: 'connected', connectionState: 'connected' });
    mesh.rekey('a', 20);
    expect(links).toHaveLength(1);
    expect(link?.closed).toBe(false);
    mesh.handleSignal(20, offer);
    expect(link?.received).toEqual([offer]);
    link?.emitSignal({ type: 'answer', sdp: 'x' });
    expect(sent.at(-1)).toEqual([20, { type: 'answer', sdp: 'x' }]);
    expect(mesh.peers.get('a')?.handle).toBe(20);
  });

  it('holds outgoing signals while it has no own handle, then sends them to the current handle', async () => {
    const { mesh, links, sent } = setup();
    await mesh.startLocalMedia();
    mesh.addPeer('a', 10);
    mesh.setLocalHandle(null);
    links[0]?.emitSignal(offer);
    expect(sent).toEqual([]);
    mesh.rekey('a', 30);
    mesh.setLocalHandle(2);
    expect(sent).toEqual([[30, offer]]);
  });

  it('publishes peer state changes and remote streams', async () => {
    const { mesh, links } = setup();
    const states: PeerSnapshot[] = [];
    mesh.peerState$.subscribe((s) => states.push(s));
    await mesh.startLocalMedia();
    mesh.addPeer('a', 10);
    links[0]?.setState({ iceConnectionState: 'disconnected' });
    expect(states.at(-1)).toMatchObject({ userId: 'a', handle: 10, iceConnectionState: 'disconnected' });
    const remote = fakeStream();
    links[0]?.streamSubject.next(remote);
    let streams: ReadonlyMap<string, MediaStream> = new Map();
    mesh.remoteStreams$.subscribe((s) => {
      streams = s;
    });
    expect(streams.get('a')).toBe(remote);
    mesh.removePeer('a');
    expect(streams.size).toBe(0);
    expect(links[0]?.closed).toBe(true);
    expect(mesh.peers.size).toBe(0);
  });

  it('rebuild on the initiator: tells the other side first, then offers on a new link', async () => {
    const { mesh, links, sent } = setup('a');
    await mesh.startLocalMedia();
    mesh.addPeer('b', 10);
    mesh.rebuildPeer('b');
    expect(sent).toEqual([[10, { type: 'restart', rebuild: true }]]);
    expect(links).toHaveLength(2);
    expect(links[0]?.closed).toBe(true);
    expect(links[1]?.initiator).toBe(true);
    expect(mesh.peers.get('b')?.generation).toBe(2);
  });

  it('the non-initiator resets its side when the initiator rebuilds', async () => {
    const { mesh, links, sent } = setup('b');
    await mesh.startLocalMedia();
    mesh.addPeer('a', 10);
    mesh.handleSignal(10, offer);
    mesh.handleSignal(10, { type: 'restart', rebuild: true });
    expect(links).toHaveLength(2);
    expect(links[1]?.initiator).toBe(false);
    expect(sent).toEqual([]);
    mesh.handleSignal(10, offer);
    expect(links[1]?.received).toEqual([offer]);
  });

  it('the initiator honours a rebuild request, but not one its unanswered new offer already answers', async () => {
    const { mesh, links } = setup('a');
    await mesh.startLocalMedia();
    mesh.addPeer('b', 10);
    // No answer yet: the other side reset before it answered, and our offer reaches its new link.
    mesh.handleSignal(10, { type: 'restart', rebuild: true });
    expect(links).toHaveLength(1);
    mesh.handleSignal(10, { type: 'answer', sdp: 'v=0' });
    mesh.handleSignal(10, { type: 'restart', rebuild: true });
    expect(links).toHaveLength(2);
    mesh.handleSignal(10, { type: 'restart', rebuild: true });
    expect(links).toHaveLength(2);
  });

  it('ICE restart: the initiator restarts itself, the other side asks it to', async () => {
    const a = setup('a');
    await a.mesh.startLocalMedia();
    a.mesh.addPeer('b', 10);
    a.mesh.restartIce('b');
    expect(a.links[0]?.restarts).toBe(1);
    a.mesh.handleSignal(10, { type: 'restart', rebuild: false });
    expect(a.links[0]?.restarts).toBe(2);

    const b = setup('b');
    await b.mesh.startLocalMedia();
    b.mesh.addPeer('a', 20);
    b.mesh.restartIce('a');
    expect(b.links[0]?.restarts).toBe(0);
    expect(b.sent).toEqual([[20, { type: 'restart', rebuild: false }]]);
  });

  it('keyframes: our starved decoder asks the other side; their request restarts our encoders', async () => {
    const { mesh, links, sent } = setup('m');
    await mesh.startLocalMedia();
    mesh.addPeer('a', 10);
    links[0]?.options.onKeyframeNeeded?.();
    expect(sent).toEqual([[10, { type: 'keyframe' }]]);
    mesh.handleSignal(10, { type: 'keyframe' });
    expect(links[0]?.keyframes).toBe(1);
    expect(links[0]?.received).toEqual([]);
    // A request from a link that was since replaced is void.
    mesh.rebuildPeer('a');
    const before = sent.length;
    links[0]?.options.onKeyframeNeeded?.();
    expect(sent).toHaveLength(before);
  });

  it('a stuck decoder rebuilds its link, at most once per 30 s; one from a replaced link is void', async () => {
    const { mesh, links, sent, advance } = setup('m');
    await mesh.startLocalMedia();
    mesh.addPeer('a', 10);
    const stuck = (i: number) => links[i]?.options.onDecoderStuck?.();
    stuck(0);
    // We do not initiate towards 'a': the new link waits for its offer, and 'a' is told to start over.
    expect(links).toHaveLength(2);
    expect(links[0]?.closed).toBe(true);
    expect(sent).toEqual([[10, { type: 'restart', rebuild: true }]]);
    stuck(0);
    stuck(1);
    advance(29_999);
    stuck(1);
    expect(links).toHaveLength(2);
    advance(1);
    stuck(1);
    expect(links).toHaveLength(3);
    expect(sent).toHaveLength(2);
  });

  it('holdSending: our network went away, every live link holds its sending; a closed one is left alone', async () => {
    const { mesh, links } = setup('m');
    await mesh.startLocalMedia();
    mesh.addPeer('a', 10);
    mesh.addPeer('b', 11);
    links[1]?.destroy();
    mesh.holdSending();
    expect(links.map((l) => l.holds)).toEqual([1, 0]);
    // One participant's network in doubt: only its link holds, and the lift reaches it.
    mesh.holdSending('a', true);
    mesh.liftHold('a');
    expect(links.map((l) => [l.holds, l.lifts])).toEqual([
      [2, 1],
      [0, 0],
    ]);
  });

  it('an offer lost to the dead socket of the peer is sent again when the peer resumes on a new handle', async () => {
    const { mesh, links } = setup('a');
    await mesh.startLocalMedia();
    mesh.addPeer('b', 10);
    const link = links[0];
    if (!link) throw new Error('no link');
    mesh.rekey('b', 11);
    expect(link.restarts).toBe(0); // nothing was pending
    link.awaitingAnswer = true;
    mesh.rekey('b', 12);
    expect(link.restarts).toBe(1);
    // That offer will never be answered: the restart replaces it rather than waiting behind it.
    expect(link.replacedOffers).toBe(1);
  });

  it('a restart request lost to a dead socket is asked again after a resume, until an offer comes', async () => {
    const { mesh, sent } = setup('b');
    await mesh.startLocalMedia();
    mesh.addPeer('a', 20);
    mesh.restartIce('a');
    expect(sent).toEqual([[20, { type: 'restart', rebuild: false }]]);
    // Our own socket died with it: we resume on a new handle.
    mesh.setLocalHandle(null);
    mesh.setLocalHandle(5);
    expect(sent).toEqual([
      [20, { type: 'restart', rebuild: false }],
      [20, { type: 'restart', rebuild: false }],
    ]);
    mesh.handleSignal(20, offer);
    mesh.rekey('a', 21);
    expect(sent).toHaveLength(2);
  });

  it('a rebuild ends a restart request: after a resume only the rebuild was asked, nothing more', async () => {
    const { mesh, sent } = setup('b');
    await mesh.startLocalMedia();
    mesh.addPeer('a', 20);
    mesh.restartIce('a');
    mesh.rebuildPeer('a');
    mesh.setLocalHandle(null);
    mesh.setLocalHandle(5);
    expect(sent).toEqual([
      [20, { type: 'restart', rebuild: false }],
      [20, { type: 'restart', rebuild: true }],
    ]);
  });

  it('carries the outage protocol: incoming messages go to the arbiter, outgoing wait for a handle', async () => {
    const got: [string, SignalData][] = [];
    const { mesh, sent } = setup('m');
    const withHandler = new Mesh({
      port: { sendSignal: (to, data) => sent.push([to, data]) },
      createLink: fakeLinks().createLink,
      getUserMedia: async () => fakeStream(),
      onOutageSignal: (userId, data) => got.push([userId, data]),
    });
    meshes.push(withHandler);
    withHandler.setLocalUser('m');
    withHandler.addPeer('a', 10);
    withHandler.handleSignal(10, { type: 'probe', id: 7, pathsOk: true });
    withHandler.handleSignal(10, { type: 'media-check', id: 8 });
    expect(got).toEqual([
      ['a', { type: 'probe', id: 7, pathsOk: true }],
      ['a', { type: 'media-check', id: 8 }],
    ]);
    // No own handle yet (mid-resume): held, then sent to the participant's current handle.
    withHandler.sendOutageSignal('a', { type: 'media-outage', owner: 'you' });
    expect(sent).toEqual([]);
    withHandler.setLocalHandle(5);
    expect(sent).toEqual([[10, { type: 'media-outage', owner: 'you' }]]);
    expect(mesh.localHandle).toBe(1);
  });

  it('reconnecting: from a broken path, or a rebuilt link, until its media decodes again', async () => {
    const { mesh, links } = setup('m');
    const seen: string[][] = [];
    const recovered: string[] = [];
    mesh.reconnecting$.subscribe((set) => seen.push([...set]));
    mesh.mediaRecovered$.subscribe(({ userId }) => recovered.push(userId));
    await mesh.startLocalMedia();
    mesh.addPeer('a', 10);
    const first = links[0];
    first?.setState({ iceConnectionState: 'connected', connectionState: 'connected' });
    expect(mesh.flowingFrom('a')).toBe(true);
    first?.markBroken();
    expect(mesh.flowingFrom('a')).toBe(false);
    first?.decodesAgain();
    expect(recovered).toEqual(['a']);
    mesh.rebuildPeer('a');
    const rebuilt = links[1];
    expect(rebuilt?.broken, 'a rebuilt link starts out recovering').toBe(true);
    rebuilt?.decodesAgain();
    mesh.removePeer('a');
    expect(seen).toEqual([[], ['a'], [], ['a'], []]);
    expect(recovered).toEqual(['a', 'a']);
  });

  it('pathsOkExcept: another connected participant sent bytes within half the stall threshold', async () => {
    const { mesh, b, advance, wait } = await twoConnected(1_000);
    expect(mesh.pathsOkExcept('a')).toBe(true);
    advance(600); // b silent for 600 ms: not ok any more
    await wait();
    expect(mesh.pathsOkExcept('a')).toBe(false);
    b.bytes = 20;
    await wait();
    expect(mesh.pathsOkExcept('a')).toBe(true);
    expect(mesh.pathsOkExcept('b')).toBe(false); // a has been silent since
  });

  it('destroy closes every link and refuses further use', async () => {
    const { mesh, links } = setup();
    await mesh.startLocalMedia();
    mesh.addPeer('a', 10);
    mesh.destroy();
    expect(links[0]?.closed).toBe(true);
    expect(() => mesh.addPeer('b', 11)).toThrow(/destroyed/);
  });

  it('reports a connected peer whose inbound bytes stop, once per stall', async () => {
    const { mesh, links, advance } = setup('m', { stallPollMs: 5, stallMs: 3_000 });
    const stalls: string[] = [];
    mesh.mediaStalls$.subscribe((s) => stalls.push(s.userId));
    await mesh.startLocalMedia();
    mesh.addPeer('a', 10);
    const link = links[0];
    if (!link) throw new Error('no link');
    link.bytes = 100;
    link.setState({ connectionState: 'connected' });
    const wait = () => new Promise((r) => setTimeout(r, 30));
    await wait();
    advance(2_000);
    await wait();
    expect(stalls).toEqual([]);
    advance(1_500);
    await wait();
    advance(5_000);
    await wait();
    expect(stalls).toEqual(['a']);
    link.bytes = 200;
    await wait();
    expect(stalls).toEqual(['a']);
  });
});
