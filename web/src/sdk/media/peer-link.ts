/**
 * One simple-peer connection to one remote participant. simple-peer is used here and nowhere
 * else, and so are its privates: `_pc` (it has no public accessor for the RTCPeerConnection)
 * and, in restartIce, the negotiation flags that would hold a new offer behind a lost one.
 */
import './shims.ts';
import { BehaviorSubject, type Observable } from 'rxjs';
import SimplePeer from 'simple-peer';
import type { SignalData } from '../../../../shared/src/index.ts';
import { watchDecoder } from './decoder-watch.ts';
import type { IcePath } from './ice-path.ts';
import { icePath, selectedHostAddress, selectedPairBytes } from './link-stats.ts';
import type {
  LinkDiagnostics,
  LinkState,
  PeerLinkFactory,
  PeerLinkLike,
  PeerLinkOptions,
} from './link-types.ts';
import { OutgoingMedia } from './outgoing-media.ts';
import { ReceivedBytes } from './received-bytes.ts';
import { restartStep } from './restart-timing.ts';
import {
  acceptsAnswer,
  type ControlSignal,
  fromWireSignal,
  iceUfrag,
  OfferQueue,
  toWireSignal,
} from './wire.ts';

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
  readonly #onKeyframeNeeded: () => void;
  readonly #onDecoderStuck: () => void;
  readonly #outgoing = new OutgoingMedia({ peerConnection: () => this.peerConnection });
  #iceRestarts = 0;
  #lastRestartAt = Number.NEGATIVE_INFINITY;
  #offeredAt = Number.NEGATIVE_INFINITY;
  /** The ICE ufrag of our offer whose answer was handed to simple-peer. */
  #answered: string | null = null;
  readonly #offers = new OfferQueue<Exclude<SignalData, ControlSignal>>();
  /** Stops the decoder watch while one runs (decoder-watch.ts). */
  #endDecoderWatch: (() => void) | null = null;
  readonly #recovering = new BehaviorSubject(false);
  readonly #received = new ReceivedBytes();
  readonly recovering$: Observable<boolean> = this.#recovering.asObservable();
  readonly state$: Observable<LinkState>;
  readonly stream$: Observable<MediaStream | null> = this.#stream.asObservable();

  constructor(options: PeerLinkOptions) {
    this.initiator = options.initiator;
    const asks = options.keyframeOnRecovery ?? true;
    this.#onKeyframeNeeded = (asks && options.onKeyframeNeeded) || (() => {});
    this.#onDecoderStuck = (asks && options.onDecoderStuck) || (() => {});
    this.#peer = new SimplePeer({
      initiator: options.initiator,
      streams: options.stream ? [options.stream] : [],
      config: { iceServers: options.iceServers, iceTransportPolicy: options.iceTransportPolicy ?? 'all' },
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
      if (!wire) return;
      // simple-peer answers the offer it just applied: our remote description.
      const offerUfrag = iceUfrag(this.#pc?.remoteDescription?.sdp);
      const isAnswer = 'type' in wire && wire.type === 'answer';
      if ('type' in wire && wire.type === 'offer') this.#offeredAt = Date.now();
      options.onSignal(isAnswer && offerUfrag ? { ...wire, offerUfrag } : wire);
      if (isAnswer) for (const held of this.#offers.answered()) this.signal(held);
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

  get recovering(): boolean {
    return this.#recovering.value;
  }

  get peerConnection(): RTCPeerConnection | null {
    return this.closed ? null : this.#pc;
  }

  get awaitingAnswer(): boolean {
    return this.peerConnection?.signalingState === 'have-local-offer';
  }

  signal(data: Exclude<SignalData, ControlSignal>): void {
    if (this.closed || this.#peer.destroyed) return;
    if (!this.#offers.admit(data, 'type' in data && data.type === 'offer')) return;
    // The answer to an offer we replaced (see restartIce and acceptsAnswer): simple-peer would
    // destroy the peer on the failed setRemoteDescription. The answer to our current offer follows.
    if ('type' in data && data.type === 'answer') {
      const waitingOn = this.awaitingAnswer ? (iceUfrag(this.#pc?.localDescription?.sdp) ?? '') : null;
      if (!acceptsAnswer(data, waitingOn, this.#answered)) return;
      this.#answered = waitingOn;
    }
    // An offer with new ICE credentials is the initiator's ICE restart: our path is being
    // replaced, so our decoder is watched until frames flow on the new one.
    if ('type' in data && data.type === 'offer' && data.sdp) {
      const ufrag = iceUfrag(data.sdp);
      const current = iceUfrag(this.#pc?.remoteDescription?.sdp);
      if (ufrag && current && ufrag !== current) this.#markBroken();
    }
    this.#peer.signal(fromWireSignal(data));
  }

  /** See ReceivedBytes: grows while anything arrives on the selected pair or the RTP streams. */
  async inboundBytes(): Promise<number | null> {
    const pc = this.peerConnection;
    if (!pc) return null;
    const { pair, rtp } = await selectedPairBytes(pc);
    return this.#received.read(pair, rtp);
  }

  icePath(): Promise<IcePath> {
    const pc = this.peerConnection;
    return pc ? icePath(pc) : Promise.resolve('settled');
  }

  hostAddress(): Promise<string | null> {
    const pc = this.peerConnection;
    return pc ? selectedHostAddress(pc) : Promise.resolve(null);
  }

  restartIce({ replaceUnanswered = false }: { replaceUnanswered?: boolean } = {}): boolean {
    if (!this.initiator || this.closed || !this.#pc) return false;
    this.#markBroken();
    const now = Date.now();
    const step = restartStep({
      now,
      lastRestartAt: this.#lastRestartAt,
      offeredAt: this.#offeredAt,
      awaitingAnswer: this.awaitingAnswer,
      replaceUnanswered,
    });
    if (step === 'skip') return true;
    this.#lastRestartAt = now;
    this.#iceRestarts += 1;
    const peer = this.#peer as unknown as {
      negotiate(): void;
      _isNegotiating: boolean;
      _queuedNegotiation: boolean;
    };
    this.#pc.restartIce();
    // simple-peer queues a negotiation behind an unanswered offer until the answer comes, and the
    // browser keeps the restart for that next offer. An offer relayed to a socket that was
    // already dead is never answered: that one is replaced.
    if (step === 'replace') {
      peer._isNegotiating = false;
      peer._queuedNegotiation = false;
    }
    peer.negotiate();
    return true;
  }

  setIceConfig(iceServers: RTCIceServer[], iceTransportPolicy: RTCIceTransportPolicy): void {
    const pc = this.peerConnection;
    if (!pc) return;
    try {
      pc.setConfiguration({ ...pc.getConfiguration(), iceServers, iceTransportPolicy });
    } catch {
      // A configuration the browser refuses (a malformed URL) must not break the link in use.
    }
  }

  /** Every video encoder starts over with a keyframe (outgoing-media.ts). */
  forceKeyframe(): Promise<void> {
    return this.#outgoing.keyframe();
  }

  /** Our network went away, or theirs (`provisional`: maybe): nothing is sent until they are heard again (outgoing-media.ts). */
  holdSending(provisional = false): void {
    this.#outgoing.hold(provisional);
  }

  /** Their network was not gone after all: a provisional hold ends now. */
  liftHold(): void {
    this.#outgoing.lift();
  }

  /** The stall detector saw no inbound bytes. */
  markBroken(): void {
    this.#markBroken();
  }

  diagnostics(): LinkDiagnostics {
    const pc = this.peerConnection;
    const ufrag = iceUfrag(pc?.localDescription?.sdp);
    return {
      localUfrag: ufrag,
      remoteTrackIds: pc ? pc.getReceivers().flatMap((r) => (r.track ? [r.track.id] : [])) : [],
      iceRestarts: this.#iceRestarts,
      keyframesForced: this.#outgoing.keyframesForced,
      sendHolds: this.#outgoing.holds,
    };
  }

  destroy(): void {
    this.#stopDecoderWatch();
    if (this.closed) return;
    this.#peer.destroy();
    this.#markClosed();
  }

  #publish(): void {
    if (this.closed || !this.#pc) return;
    const { iceConnectionState, connectionState } = this.#pc;
    const prev = this.#state.value;
    if (prev.iceConnectionState === iceConnectionState && prev.connectionState === connectionState) return;
    if (iceConnectionState === 'disconnected' || iceConnectionState === 'failed') this.#markBroken();
    this.#state.next({ iceConnectionState, connectionState, closed: false });
  }

  /** The path was lost, or is being replaced (ICE restart): watch our decoder until it recovers. */
  #markBroken(): void {
    if (this.closed) return;
    if (!this.#recovering.value) this.#recovering.next(true);
    this.#watchDecoding();
  }

  #watchDecoding(): void {
    if (this.#endDecoderWatch || this.closed) return;
    this.#endDecoderWatch = watchDecoder(() => this.peerConnection, {
      onKeyframeNeeded: this.#onKeyframeNeeded,
      onStuck: this.#onDecoderStuck,
      onDecoding: () => {
        this.#endDecoderWatch = null;
        this.#recovering.next(false);
      },
    });
  }

  #stopDecoderWatch(): void {
    this.#endDecoderWatch?.();
    this.#endDecoderWatch = null;
  }

  #markClosed(): void {
    this.#stopDecoderWatch();
    this.#outgoing.stop();
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
    this.#recovering.complete();
  }
}

export const createPeerLink: PeerLinkFactory = (options) => new PeerLink(options);
