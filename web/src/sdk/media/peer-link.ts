/**
 * One simple-peer connection to one remote participant. simple-peer is used here and nowhere
 * else, and so is its private `_pc` (it has no public accessor for the RTCPeerConnection).
 */
import './shims.ts';
import { BehaviorSubject, type Observable } from 'rxjs';
import SimplePeer from 'simple-peer';
import type { SignalData } from '../../../../shared/src/index.ts';
import { ReceivedBytes } from './received-bytes.ts';
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
  /**
   * Force a keyframe when the path comes back (default true): without one the receiver shows
   * frozen video until the encoder's next periodic keyframe, 1.3–2.3 s (environment.md).
   */
  keyframeOnRecovery?: boolean;
}

/** What a test or a support page can see of one link. */
export interface LinkDiagnostics {
  /** Local ICE username fragment: it changes with every ICE restart. */
  localUfrag: string | null;
  remoteTrackIds: string[];
  iceRestarts: number;
  keyframesForced: number;
}

/** What the mesh needs from a link: lets tests use a fake instead of WebRTC. */
export interface PeerLinkLike {
  readonly initiator: boolean;
  readonly state$: Observable<LinkState>;
  readonly state: LinkState;
  readonly stream$: Observable<MediaStream | null>;
  readonly closed: boolean;
  signal(data: Exclude<SignalData, RestartSignal>): void;
  /** A counter of bytes received from this peer that only grows (null before any path or stream). */
  inboundBytes(): Promise<number | null>;
  /** ICE restart + renegotiation, on the initiator only (see environment.md). */
  restartIce(): boolean;
  /** The path is known to be broken: the next working path gets a keyframe. */
  markBroken(): void;
  forceKeyframe(): Promise<void>;
  diagnostics(): LinkDiagnostics;
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
  readonly #keyframeOnRecovery: boolean;
  /** The path was lost (ICE disconnected/failed) or restarted since it last worked. */
  #broken = false;
  #iceRestarts = 0;
  #keyframesForced = 0;
  #pairWatched = false;
  readonly #received = new ReceivedBytes();
  readonly state$: Observable<LinkState>;
  readonly stream$: Observable<MediaStream | null> = this.#stream.asObservable();

  constructor(options: PeerLinkOptions) {
    this.initiator = options.initiator;
    this.#keyframeOnRecovery = options.keyframeOnRecovery ?? true;
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
    // An offer with new ICE credentials is the initiator's ICE restart: our path is being
    // replaced, and our encoders must restart when the new one works.
    if ('type' in data && data.type === 'offer' && data.sdp) {
      const ufrag = /a=ice-ufrag:(\S+)/.exec(data.sdp)?.[1];
      const current = this.#pc?.remoteDescription?.sdp.match(/a=ice-ufrag:(\S+)/)?.[1];
      if (ufrag && current && ufrag !== current) this.#broken = true;
    }
    this.#peer.signal(fromWireSignal(data));
  }

  /** See ReceivedBytes: grows while anything arrives on the selected pair or the RTP streams. */
  async inboundBytes(): Promise<number | null> {
    const pc = this.peerConnection;
    if (!pc) return null;
    const report = await pc.getStats();
    let pairId: string | undefined;
    let rtp: number | null = null;
    const pairs = new Map<
      string,
      { id: string; bytesReceived?: number; nominated?: boolean; state?: string }
    >();
    report.forEach(
      (s: { type: string; id: string; selectedCandidatePairId?: string; bytesReceived?: number }) => {
        if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
        if (s.type === 'candidate-pair') pairs.set(s.id, s as never);
        if (s.type === 'inbound-rtp' && typeof s.bytesReceived === 'number')
          rtp = (rtp ?? 0) + s.bytesReceived;
      },
    );
    const pair =
      (pairId ? pairs.get(pairId) : undefined) ??
      [...pairs.values()].find((p) => p.nominated && p.state === 'succeeded');
    const bytes = pair?.bytesReceived;
    return this.#received.read(
      bytes === undefined || !pair ? null : { id: pair.id, bytesReceived: bytes },
      rtp,
    );
  }

  restartIce(): boolean {
    if (!this.initiator || this.closed || !this.#pc) return false;
    this.#broken = true;
    this.#iceRestarts += 1;
    this.#pc.restartIce();
    (this.#peer as unknown as { negotiate(): void }).negotiate();
    return true;
  }

  /**
   * Makes every video encoder start over with a keyframe: `active` false then true on each
   * encoding (environment.md: frames back in ~65–340 ms instead of 1.3–2.3 s).
   */
  async forceKeyframe(): Promise<void> {
    const pc = this.peerConnection;
    if (!pc) return;
    const toggle = async (sender: RTCRtpSender, active: boolean) => {
      const params = sender.getParameters();
      if (!params.encodings?.length) return;
      for (const e of params.encodings) e.active = active;
      await sender.setParameters(params);
    };
    const video = pc.getSenders().filter((sender) => sender.track?.kind === 'video');
    await Promise.all(
      video.map(async (sender) => {
        try {
          await toggle(sender, false);
          await toggle(sender, true);
        } catch {
          // A sender mid-negotiation refuses setParameters; the next keyframe comes anyway.
        }
      }),
    );
    this.#keyframesForced += 1;
  }

  /** The stall detector saw no inbound bytes: the next working path gets a keyframe. */
  markBroken(): void {
    this.#broken = true;
  }

  diagnostics(): LinkDiagnostics {
    const pc = this.peerConnection;
    const ufrag = pc?.localDescription?.sdp.match(/a=ice-ufrag:(\S+)/)?.[1] ?? null;
    return {
      localUfrag: ufrag,
      remoteTrackIds: pc ? pc.getReceivers().flatMap((r) => (r.track ? [r.track.id] : [])) : [],
      iceRestarts: this.#iceRestarts,
      keyframesForced: this.#keyframesForced,
    };
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
    if (iceConnectionState === 'disconnected' || iceConnectionState === 'failed') this.#broken = true;
    const works = iceConnectionState === 'connected' || iceConnectionState === 'completed';
    if (works) {
      this.#watchSelectedPair();
      this.#pathBack();
    }
    this.#state.next({ iceConnectionState, connectionState, closed: false });
  }

  /**
   * After an ICE restart Chrome may stay `connected` the whole time: the new path shows only as
   * a new selected candidate pair. Either way each end restarts its own encoders, so the other
   * end decodes again without waiting for a periodic keyframe.
   */
  #pathBack(): void {
    if (!this.#broken) return;
    this.#broken = false;
    if (this.#keyframeOnRecovery) void this.forceKeyframe();
  }

  #watchSelectedPair(): void {
    if (this.#pairWatched || !this.#pc) return;
    const ice = this.#pc.getSenders().find((sender) => sender.transport)?.transport?.iceTransport;
    if (!ice) return;
    this.#pairWatched = true;
    ice.addEventListener('selectedcandidatepairchange', () => this.#pathBack());
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
