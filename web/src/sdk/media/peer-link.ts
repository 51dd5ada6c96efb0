/**
 * One simple-peer connection to one remote participant. simple-peer is used here and nowhere
 * else, and so is its private `_pc` (it has no public accessor for the RTCPeerConnection).
 */
import './shims.ts';
import { BehaviorSubject, type Observable } from 'rxjs';
import SimplePeer from 'simple-peer';
import type { SignalData } from '../../../../shared/src/index.ts';
import { fromWireSignal, type RestartSignal, toWireSignal } from './wire.ts';

export interface LinkState {
  iceConnectionState: RTCIceConnectionState;
  connectionState: RTCPeerConnectionState;
  /** simple-peer destroyed itself (e.g. on connectionState `failed`) or was destroyed. */
  closed: boolean;
}

export interface PeerLinkOptions {
  initiator: boolean;
  stream: MediaStream | null;
  iceServers: RTCIceServer[];
  /** A message for the remote side, already in the wire shape. */
  onSignal: (data: SignalData) => void;
}

/** What the mesh needs from a link: lets tests use a fake instead of WebRTC. */
export interface PeerLinkLike {
  readonly initiator: boolean;
  readonly state$: Observable<LinkState>;
  readonly state: LinkState;
  readonly stream$: Observable<MediaStream | null>;
  readonly closed: boolean;
  signal(data: Exclude<SignalData, RestartSignal>): void;
  /** Bytes received on the selected candidate pair, or null when there is none. */
  inboundBytes(): Promise<number | null>;
  /** ICE restart + renegotiation, on the initiator only (see environment.md). */
  restartIce(): boolean;
  readonly peerConnection: RTCPeerConnection | null;
  destroy(): void;
}

export type PeerLinkFactory = (options: PeerLinkOptions) => PeerLinkLike;

/** The RTCPeerConnection behind a simple-peer instance: the one place that reads `_pc`. */
function peerConnectionOf(peer: SimplePeer.Instance): RTCPeerConnection | null {
  return (peer as unknown as { _pc?: RTCPeerConnection })._pc ?? null;
}

export class PeerLink implements PeerLinkLike {
  readonly initiator: boolean;
  readonly #peer: SimplePeer.Instance;
  readonly #pc: RTCPeerConnection | null;
  readonly #state: BehaviorSubject<LinkState>;
  readonly #stream = new BehaviorSubject<MediaStream | null>(null);
  readonly state$: Observable<LinkState>;
  readonly stream$: Observable<MediaStream | null> = this.#stream.asObservable();

  constructor(options: PeerLinkOptions) {
    this.initiator = options.initiator;
    this.#peer = new SimplePeer({
      initiator: options.initiator,
      streams: options.stream ? [options.stream] : [],
      config: { iceServers: options.iceServers },
      // Receive media even when we have nothing to send (no camera): recvonly m-lines.
      offerOptions: { offerToReceiveAudio: true, offerToReceiveVideo: true },
      trickle: true,
    });
    this.#pc = peerConnectionOf(this.#peer);
    this.#state = new BehaviorSubject<LinkState>({
      iceConnectionState: this.#pc?.iceConnectionState ?? 'new',
      connectionState: this.#pc?.connectionState ?? 'new',
      closed: false,
    });
    this.state$ = this.#state.asObservable();

    this.#peer.on('signal', (data) => {
      const wire = toWireSignal(data);
      if (wire) options.onSignal(wire);
    });
    this.#peer.on('stream', (stream: MediaStream) => this.#stream.next(stream));
    // simple-peer emits 'error' before 'close'; an unhandled 'error' would throw.
    this.#peer.on('error', () => {});
    this.#peer.on('close', () => this.#markClosed());
    // addEventListener, not the on* properties: simple-peer owns those.
    const onChange = (): void => this.#publish();
    this.#pc?.addEventListener('iceconnectionstatechange', onChange);
    this.#pc?.addEventListener('connectionstatechange', onChange);
  }

  get state(): LinkState {
    return this.#state.value;
  }

  get closed(): boolean {
    return this.#state.value.closed;
  }

  get peerConnection(): RTCPeerConnection | null {
    return this.closed ? null : this.#pc;
  }

  signal(data: Exclude<SignalData, RestartSignal>): void {
    if (this.closed || this.#peer.destroyed) return;
    this.#peer.signal(fromWireSignal(data));
  }

  async inboundBytes(): Promise<number | null> {
    const pc = this.peerConnection;
    if (!pc) return null;
    const report = await pc.getStats();
    let pairId: string | undefined;
    const pairs = new Map<string, { bytesReceived?: number; nominated?: boolean; state?: string }>();
    report.forEach((s: { type: string; id: string; selectedCandidatePairId?: string }) => {
      if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
      if (s.type === 'candidate-pair') pairs.set(s.id, s as never);
    });
    const pair =
      (pairId ? pairs.get(pairId) : undefined) ??
      [...pairs.values()].find((p) => p.nominated && p.state === 'succeeded');
    return pair?.bytesReceived ?? null;
  }

  restartIce(): boolean {
    if (!this.initiator || this.closed || !this.#pc) return false;
    this.#pc.restartIce();
    (this.#peer as unknown as { negotiate(): void }).negotiate();
    return true;
  }

  destroy(): void {
    if (this.closed) return;
    this.#peer.destroy();
    this.#markClosed();
  }

  #publish(): void {
    if (this.closed || !this.#pc) return;
    const { iceConnectionState, connectionState } = this.#pc;
    const prev = this.#state.value;
    if (prev.iceConnectionState === iceConnectionState && prev.connectionState === connectionState) return;
    this.#state.next({ iceConnectionState, connectionState, closed: false });
  }

  #markClosed(): void {
    if (this.#state.value.closed) return;
    const pc = this.#pc;
    this.#state.next({
      iceConnectionState: pc?.iceConnectionState ?? 'closed',
      connectionState: pc?.connectionState ?? 'closed',
      closed: true,
    });
    this.#stream.next(null);
    this.#state.complete();
    this.#stream.complete();
  }
}

export const createPeerLink: PeerLinkFactory = (options) => new PeerLink(options);
