/**
 * Every way a browser can notice a network change (spec §4), turned into `Trigger`s. All inputs
 * are injected (window, navigator, the SDK's own streams) so tests drive them with fakes.
 */
import {
  distinctUntilChanged,
  EMPTY,
  filter,
  fromEvent,
  groupBy,
  map,
  merge,
  mergeMap,
  type Observable,
  of,
  scan,
  startWith,
} from 'rxjs';
import { NO_NETWORK_ADDRESS, type TSDK_S_LOCAL_ADDRESS } from '../../../../shared/src/index.ts';
import type { Trigger, TriggerReason } from './ports.ts';

type EventSource = Pick<EventTarget, 'addEventListener' | 'removeEventListener'>;

export interface PeerStateChange {
  userId: string;
  iceConnectionState: RTCIceConnectionState;
  connectionState: RTCPeerConnectionState;
}

export interface NetworkInputs {
  /** `window`: `offline` / `online` events. */
  window?: EventSource;
  /** `navigator`: `onLine` seeds `watchOnline`; `connection` (when it exists) fires `change`. */
  navigator?: { readonly onLine: boolean; readonly connection?: EventSource | null };
  /** Every state change of every peer connection. */
  peerStates$?: Observable<PeerStateChange>;
  /** The signaling socket's disconnect reasons (socket.io's `disconnect` event). */
  socketDisconnects$?: Observable<string>;
  /** Every `tsdk_set_config_param(TSDK_E_CONFIG_LOCAL_ADDRESS, …)` the app made. */
  localAddress$?: Observable<TSDK_S_LOCAL_ADDRESS>;
  /**
   * Media outages that are ours to resume (a stall or a peer's broken state that the outage
   * arbiter, media/outage-arbiter.ts, gave to this side), with what showed it.
   */
  mediaOutages$?: Observable<{ reason: MediaTriggerReason }>;
  /**
   * The address our media rode is gone while another is up (media/lost-address.ts): the socket
   * rode it too, and socket.io would take seconds to see that.
   */
  addressLosses$?: Observable<unknown>;
}

/** Signals that something *may* have changed; nothing is known to be broken. */
const SUSPECT: ReadonlySet<TriggerReason> = new Set(['connection-change', 'online']);
/**
 * Signals that the network *may* be gone for good, or only for a blink: Chromium fires `offline`
 * for a Wi-Fi blip (or `setOffline`) while open WebSockets and peer connections keep working.
 */
const SUSPECT_UNTIL_DEADLINE: ReadonlySet<TriggerReason> = new Set(['offline']);
/** Signals that say the signaling path (the thing an attempt uses) is gone or moved. */
const INTERRUPTING: ReadonlySet<TriggerReason> = new Set([
  'offline',
  'socket-disconnect',
  'heartbeat-timeout',
  'local-address',
  'address-lost',
]);

/**
 * Suspect triggers (a `connection` change, `online` while nothing is broken) are confirmed with a
 * cheap probe before an episode starts; suspect-until-deadline ones (`offline`) too, but only
 * if the network comes back within a grace period; every other trigger is *broken* and starts
 * one at once.
 */
export function isSuspect(trigger: Trigger): boolean {
  return SUSPECT.has(trigger.reason);
}

/**
 * `offline`: not an episode yet. It becomes one if the network is still gone when a grace period
 * runs out (or at once if a broken trigger arrives meanwhile); if the network comes back first,
 * it is confirmed with a probe like a suspect trigger. Inside an episode it still interrupts an
 * attempt in flight (`interruptsAttempt`).
 */
export function isSuspectUntilDeadline(trigger: Trigger): boolean {
  return SUSPECT_UNTIL_DEADLINE.has(trigger.reason);
}

/** How much a trigger says is broken: folding keeps the strongest, confirming depends on it. */
export type TriggerClass = 'suspect' | 'suspect-until-deadline' | 'broken';

export function triggerClass(trigger: Trigger): TriggerClass {
  if (isSuspect(trigger)) return 'suspect';
  if (isSuspectUntilDeadline(trigger)) return 'suspect-until-deadline';
  return 'broken';
}

export type MediaTriggerReason = 'peer-disconnected' | 'peer-failed' | 'media-stall';

/** Signals that a media path died: peers' ICE / connection state, and media inactivity. */
const MEDIA: ReadonlySet<TriggerReason> = new Set<MediaTriggerReason>([
  'peer-disconnected',
  'peer-failed',
  'media-stall',
]);

/** An episode a media trigger started reports success only once media flows again (spec §5). */
export function isMediaTrigger(trigger: Trigger): boolean {
  return MEDIA.has(trigger.reason);
}

/**
 * Broken triggers that abort an in-flight attempt and retry at once. Peer and media triggers are
 * broken too (they start an episode) but say nothing about a signaling attempt in flight.
 */
export function interruptsAttempt(trigger: Trigger): boolean {
  return INTERRUPTING.has(trigger.reason);
}

/** `offline`, `online` and `navigator.connection` `change`. */
export function watchBrowserEvents(inputs: Pick<NetworkInputs, 'window' | 'navigator'>): Observable<Trigger> {
  const sources: Observable<Trigger>[] = [];
  if (inputs.window) {
    sources.push(fromEvent(inputs.window, 'offline').pipe(map((): Trigger => ({ reason: 'offline' }))));
    sources.push(fromEvent(inputs.window, 'online').pipe(map((): Trigger => ({ reason: 'online' }))));
  }
  const connection = inputs.navigator?.connection;
  if (connection) {
    sources.push(fromEvent(connection, 'change').pipe(map((): Trigger => ({ reason: 'connection-change' }))));
  }
  return merge(...sources);
}

/** What a peer's state says is broken, if anything. */
export function peerTrouble(state: PeerStateChange): Exclude<MediaTriggerReason, 'media-stall'> | null {
  // connectionState first: Chrome may sit in ICE `disconnected` for good (environment.md).
  if (state.connectionState === 'failed') return 'peer-failed';
  if (state.iceConnectionState === 'disconnected' || state.iceConnectionState === 'failed') {
    return 'peer-disconnected';
  }
  return null;
}

/** Each time a peer *becomes* disconnected/failed, which peer and how (repeats are dropped). */
export function watchPeerTroubles(
  peerStates$: Observable<PeerStateChange>,
): Observable<{ userId: string; reason: Exclude<MediaTriggerReason, 'media-stall'> }> {
  return peerStates$.pipe(
    groupBy((state) => state.userId),
    mergeMap((perPeer) =>
      perPeer.pipe(
        map(peerTrouble),
        distinctUntilChanged(),
        filter((reason) => reason !== null),
        map((reason) => ({ userId: perPeer.key, reason })),
      ),
    ),
  );
}

/** One trigger per peer each time it *becomes* disconnected/failed (repeats are dropped). */
export function watchPeerStates(peerStates$: Observable<PeerStateChange>): Observable<Trigger> {
  return watchPeerTroubles(peerStates$).pipe(map(({ reason }): Trigger => ({ reason })));
}

/**
 * socket.io disconnect reasons. 'io client disconnect' is the SDK closing its own socket (logout,
 * or a resume replacing it): not a network change.
 */
export function watchSocketDisconnects(reasons$: Observable<string>): Observable<Trigger> {
  return reasons$.pipe(
    filter((reason) => reason !== 'io client disconnect'),
    map(
      (reason): Trigger => ({
        reason: reason === 'ping timeout' ? 'heartbeat-timeout' : 'socket-disconnect',
      }),
    ),
  );
}

/**
 * The app's `TSDK_E_CONFIG_LOCAL_ADDRESS`: `is_try_resume: true` triggers a resume at once
 * (with '0.0.0.0' the episode then waits for the network); `false` is only recorded, which
 * `watchOnline` does.
 */
export function watchLocalAddress(localAddress$: Observable<TSDK_S_LOCAL_ADDRESS>): Observable<Trigger> {
  return localAddress$.pipe(
    mergeMap((value) =>
      value.is_try_resume ? of<Trigger>({ reason: 'local-address', address: value.ip_address }) : EMPTY,
    ),
  );
}

/** Every trigger of spec §4, merged (coalescing happens in the pipeline). */
export function watchNetwork(inputs: NetworkInputs): Observable<Trigger> {
  return merge(
    watchBrowserEvents(inputs),
    inputs.peerStates$ ? watchPeerStates(inputs.peerStates$) : EMPTY,
    inputs.socketDisconnects$ ? watchSocketDisconnects(inputs.socketDisconnects$) : EMPTY,
    inputs.localAddress$ ? watchLocalAddress(inputs.localAddress$) : EMPTY,
    inputs.mediaOutages$ ? inputs.mediaOutages$.pipe(map(({ reason }): Trigger => ({ reason }))) : EMPTY,
    inputs.addressLosses$
      ? inputs.addressLosses$.pipe(map((): Trigger => ({ reason: 'address-lost' })))
      : EMPTY,
  );
}

/**
 * Whether it is worth trying to reach the server: `navigator.onLine` (kept current by the
 * `offline`/`online` events) AND the app's last local address is not '0.0.0.0'. A later `online`
 * event clears an old '0.0.0.0' (the browser has a network again). Emits its current value at
 * once, then changes only.
 */
export function watchOnline(
  inputs: Pick<NetworkInputs, 'window' | 'navigator' | 'localAddress$'>,
): Observable<boolean> {
  const browser$: Observable<boolean> = inputs.window
    ? merge(
        fromEvent(inputs.window, 'offline').pipe(map(() => false)),
        fromEvent(inputs.window, 'online').pipe(map(() => true)),
      )
    : EMPTY;
  type Fact = { browser: boolean } | { address: boolean };
  const facts$: Observable<Fact> = merge(
    browser$.pipe(map((browser) => ({ browser }))),
    (inputs.localAddress$ ?? EMPTY).pipe(map((a) => ({ address: a.ip_address !== NO_NETWORK_ADDRESS }))),
  );
  const initial = { browser: inputs.navigator?.onLine ?? true, address: true };
  return facts$.pipe(
    scan(
      (acc, fact) =>
        'browser' in fact
          ? { browser: fact.browser, address: fact.browser ? true : acc.address }
          : { ...acc, address: fact.address },
      initial,
    ),
    startWith(initial),
    map((acc) => acc.browser && acc.address),
    distinctUntilChanged(),
  );
}
