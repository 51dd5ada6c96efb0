import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { TSDK_S_LOCAL_ADDRESS } from '../../../shared/src/index.ts';
import type { Trigger } from '../../../web/src/sdk/resume/ports.ts';
import {
  interruptsAttempt,
  isSuspect,
  isSuspectUntilDeadline,
  type MediaTriggerReason,
  type PeerStateChange,
  triggerClass,
  watchNetwork,
  watchOnline,
} from '../../../web/src/sdk/resume/watch-network.ts';

function fakeBrowser(onLine = true) {
  const window = new EventTarget();
  const connection = new EventTarget();
  const navigator = { onLine, connection };
  const fire = (target: EventTarget, type: string) => target.dispatchEvent(new Event(type));
  return { window, connection, navigator, fire };
}

function collect<T>(source: { subscribe(fn: (v: T) => void): { unsubscribe(): void } }) {
  const values: T[] = [];
  const sub = source.subscribe((v) => values.push(v));
  return { values, stop: () => sub.unsubscribe() };
}

const peer = (
  userId: string,
  iceConnectionState: RTCIceConnectionState,
  connectionState: RTCPeerConnectionState,
): PeerStateChange => ({ userId, iceConnectionState, connectionState });

describe('watchNetwork', () => {
  it('window offline/online and navigator.connection change', () => {
    const b = fakeBrowser();
    const out = collect<Trigger>(watchNetwork({ window: b.window, navigator: b.navigator }));
    b.fire(b.window, 'offline');
    b.fire(b.window, 'online');
    b.fire(b.connection, 'change');
    expect(out.values).toEqual([
      { reason: 'offline' },
      { reason: 'online' },
      { reason: 'connection-change' },
    ]);
    out.stop();
    b.fire(b.window, 'offline');
    expect(out.values).toHaveLength(3);
  });

  it('works without navigator.connection', () => {
    const window = new EventTarget();
    const out = collect<Trigger>(watchNetwork({ window, navigator: { onLine: true } }));
    window.dispatchEvent(new Event('offline'));
    expect(out.values).toEqual([{ reason: 'offline' }]);
  });

  it('peers: ICE disconnected/failed → peer-disconnected, connectionState failed → peer-failed, once per change', () => {
    const peers = new Subject<PeerStateChange>();
    const out = collect<Trigger>(watchNetwork({ peerStates$: peers }));
    peers.next(peer('a', 'connected', 'connected'));
    peers.next(peer('a', 'disconnected', 'connected'));
    peers.next(peer('a', 'disconnected', 'connected')); // repeat: nothing new
    peers.next(peer('b', 'failed', 'connecting'));
    peers.next(peer('a', 'disconnected', 'failed'));
    peers.next(peer('a', 'connected', 'connected'));
    peers.next(peer('a', 'disconnected', 'disconnected'));
    expect(out.values).toEqual([
      { reason: 'peer-disconnected' },
      { reason: 'peer-disconnected' },
      { reason: 'peer-failed' },
      { reason: 'peer-disconnected' },
    ]);
  });

  it("socket disconnects: 'ping timeout' → heartbeat-timeout, our own close → nothing", () => {
    const reasons = new Subject<string>();
    const out = collect<Trigger>(watchNetwork({ socketDisconnects$: reasons }));
    reasons.next('transport close');
    reasons.next('ping timeout');
    reasons.next('io client disconnect');
    reasons.next('io server disconnect');
    expect(out.values).toEqual([
      { reason: 'socket-disconnect' },
      { reason: 'heartbeat-timeout' },
      { reason: 'socket-disconnect' },
    ]);
  });

  it('local address: is_try_resume true → trigger with the address, false → nothing', () => {
    const addresses = new Subject<TSDK_S_LOCAL_ADDRESS>();
    const out = collect<Trigger>(watchNetwork({ localAddress$: addresses }));
    addresses.next({ ip_address: '10.0.0.2', is_try_resume: false });
    addresses.next({ ip_address: '10.0.0.3', is_try_resume: true });
    addresses.next({ ip_address: '0.0.0.0', is_try_resume: true });
    expect(out.values).toEqual([
      { reason: 'local-address', address: '10.0.0.3' },
      { reason: 'local-address', address: '0.0.0.0' },
    ]);
  });

  it('media outages that are ours, with what showed them', () => {
    const outages = new Subject<{ reason: MediaTriggerReason }>();
    const out = collect<Trigger>(watchNetwork({ mediaOutages$: outages }));
    outages.next({ reason: 'media-stall' });
    outages.next({ reason: 'peer-failed' });
    expect(out.values).toEqual([{ reason: 'media-stall' }, { reason: 'peer-failed' }]);
  });

  it('the address our media rode is gone (media/lost-address.ts): address-lost', () => {
    const losses = new Subject<void>();
    const out = collect<Trigger>(watchNetwork({ addressLosses$: losses }));
    losses.next();
    expect(out.values).toEqual([{ reason: 'address-lost' }]);
  });
});

describe('trigger kinds', () => {
  it('connection-change and online are suspect; offline is suspect until a deadline; the rest are broken', () => {
    const reasons: Trigger['reason'][] = [
      'offline',
      'online',
      'connection-change',
      'peer-disconnected',
      'peer-failed',
      'media-stall',
      'socket-disconnect',
      'heartbeat-timeout',
      'local-address',
      'address-lost',
    ];
    expect(reasons.filter((reason) => isSuspect({ reason }))).toEqual(['online', 'connection-change']);
    expect(reasons.filter((reason) => isSuspectUntilDeadline({ reason }))).toEqual(['offline']);
    expect(reasons.map((reason) => triggerClass({ reason }))).toEqual([
      'suspect-until-deadline',
      'suspect',
      'suspect',
      'broken',
      'broken',
      'broken',
      'broken',
      'broken',
      'broken',
      'broken',
    ]);
    // Inside an episode `offline` still aborts an attempt in flight.
    expect(reasons.filter((reason) => interruptsAttempt({ reason }))).toEqual([
      'offline',
      'socket-disconnect',
      'heartbeat-timeout',
      'local-address',
      'address-lost',
    ]);
  });
});

describe('watchOnline', () => {
  it('starts from navigator.onLine and follows offline/online', () => {
    const b = fakeBrowser(false);
    const out = collect<boolean>(watchOnline({ window: b.window, navigator: b.navigator }));
    b.fire(b.window, 'online');
    b.fire(b.window, 'online');
    b.fire(b.window, 'offline');
    expect(out.values).toEqual([false, true, false]);
  });

  it("'0.0.0.0' (even recorded only) means offline until a real address or an online event", () => {
    const b = fakeBrowser(true);
    const addresses = new Subject<TSDK_S_LOCAL_ADDRESS>();
    const out = collect<boolean>(
      watchOnline({ window: b.window, navigator: b.navigator, localAddress$: addresses }),
    );
    addresses.next({ ip_address: '0.0.0.0', is_try_resume: false });
    addresses.next({ ip_address: '10.0.0.9', is_try_resume: false });
    addresses.next({ ip_address: '0.0.0.0', is_try_resume: true });
    b.fire(b.window, 'offline');
    b.fire(b.window, 'online');
    expect(out.values).toEqual([true, false, true, false, true]);
  });

  it('navigator offline wins over a good address', () => {
    const b = fakeBrowser(true);
    const addresses = new Subject<TSDK_S_LOCAL_ADDRESS>();
    const out = collect<boolean>(
      watchOnline({ window: b.window, navigator: b.navigator, localAddress$: addresses }),
    );
    b.fire(b.window, 'offline');
    addresses.next({ ip_address: '10.0.0.9', is_try_resume: true });
    expect(out.values).toEqual([true, false]);
  });
});
