/**
 * Two meshes wired to each other through queues (one per direction, delivered in order, as the
 * server does): one side rebuilds its link, and the other side's old link closes, which makes
 * that side rebuild too (recover-media.ts) before or after the request reaches it. However the
 * messages interleave, and however late, the pair ends on one new link per side, and the
 * initiator's new offer reaches the other side's new link.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { SignalData } from '../../../shared/src/index.ts';
import { Mesh } from '../../../web/src/sdk/media/mesh.ts';
import { type FakeLink, fakeLinks, fakeStream } from './fake-link.ts';

const meshes: Mesh[] = [];
afterEach(() => {
  for (const m of meshes.splice(0)) m.destroy();
});

const offer: SignalData = { type: 'offer', sdp: 'v=0 new' };
const answer: SignalData = { type: 'answer', sdp: 'v=0 new' };

/** 'a' initiates towards 'b' (the smaller userId: wire.ts); both connected once (offer, answer). */
async function pair() {
  let now = 0;
  const side = (userId: string, handle: number) => {
    const { links, createLink } = fakeLinks();
    const inbox: SignalData[] = [];
    const mesh = new Mesh({
      port: { sendSignal: (_to, data) => outbox(userId).push(data) },
      createLink,
      getUserMedia: async () => fakeStream(),
      now: () => now,
    });
    meshes.push(mesh);
    mesh.setLocalUser(userId);
    mesh.setLocalHandle(handle);
    return { mesh, links, inbox, handle };
  };
  const a = side('a', 1);
  const b = side('b', 2);
  const outbox = (from: string) => (from === 'a' ? b.inbox : a.inbox);
  await a.mesh.startLocalMedia();
  await b.mesh.startLocalMedia();
  a.mesh.addPeer('b', b.handle);
  b.mesh.addPeer('a', a.handle);
  /** Delivers what `to` has been sent, in order. */
  const flush = (to: typeof a) => {
    const from = to === a ? b : a;
    for (const data of to.inbox.splice(0)) to.mesh.handleSignal(from.handle, data);
  };
  const last = (s: typeof a) => s.links.at(-1) as FakeLink;
  // The first negotiation, so both links have heard from each other.
  last(a).emitSignal(offer);
  flush(b);
  last(b).emitSignal(answer);
  flush(a);
  /** The initiator's new link offers, the other side's answers (what simple-peer does). */
  const negotiate = () => {
    last(a).emitSignal(offer);
    flush(b);
    last(b).emitSignal(answer);
    flush(a);
  };
  return { a, b, flush, last, negotiate, advance: (ms: number) => (now += ms) };
}

describe('a rebuild on one side, the old link closing on the other', () => {
  it('the initiator rebuilds; the other side rebuilds on the close before the request reaches it', async () => {
    const { a, b, flush, last, negotiate } = await pair();
    a.mesh.rebuildPeer('b');
    last(b).destroy(); // its peer connection saw ours close
    b.mesh.rebuildPeer('a');
    flush(b);
    flush(a);
    negotiate();
    expect([a.links.length, b.links.length]).toEqual([2, 2]);
    expect(last(b).received.at(-1)).toEqual(offer);
    expect(last(a).received.at(-1)).toEqual(answer);
  });

  it('the other side rebuilds; the initiator rebuilds on the close, and the request comes late', async () => {
    const { a, b, flush, last, negotiate, advance } = await pair();
    b.mesh.rebuildPeer('a');
    last(a).destroy();
    a.mesh.rebuildPeer('b');
    flush(b);
    advance(2_500); // held by a resume (e2e, media cut)
    flush(a);
    negotiate();
    expect([a.links.length, b.links.length]).toEqual([2, 2]);
    expect(last(b).received.at(-1)).toEqual(offer);
  });

  it('a request sent after the other side answered our new offer is a new rebuild', async () => {
    const { a, b, last, negotiate, flush } = await pair();
    a.mesh.rebuildPeer('b');
    flush(b);
    negotiate();
    b.mesh.rebuildPeer('a');
    flush(a);
    expect([a.links.length, b.links.length]).toEqual([3, 3]);
    negotiate();
    expect(last(b).received.at(-1)).toEqual(offer);
  });
});
