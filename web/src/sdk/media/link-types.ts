/** What the mesh sees of one peer link (peer-link.ts), so tests can use a fake instead of WebRTC. */
import type { Observable } from 'rxjs';
import type { SignalData } from '../../../../shared/src/index.ts';
import type { IcePath } from './ice-path.ts';
import type { ControlSignal } from './wire.ts';

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
  /** `relay`: TURN only (the server says so); default `all`. */
  iceTransportPolicy?: RTCIceTransportPolicy;
  /** A message for the remote side, already in the wire shape. */
  onSignal: (data: SignalData) => void;
  /**
   * After a broken path, ask the other side for a keyframe when our decoder gets bytes but
   * decodes nothing (default true): without one the video stays frozen 1.3–2.3 s
   * (environment.md). `onKeyframeNeeded` carries the request; `onDecoderStuck` says the decoder
   * stayed starved through it (starved-decoder.ts), which only a new link mends.
   */
  keyframeOnRecovery?: boolean;
  onKeyframeNeeded?: () => void;
  onDecoderStuck?: () => void;
}

/** What a test or a support page can see of one link. */
export interface LinkDiagnostics {
  /** Local ICE username fragment: it changes with every ICE restart. */
  localUfrag: string | null;
  remoteTrackIds: string[];
  iceRestarts: number;
  keyframesForced: number;
  /** Times our sending was held for a broken path (outgoing-media.ts). */
  sendHolds: number;
}

/** What the mesh needs from a link: lets tests use a fake instead of WebRTC. */
export interface PeerLinkLike {
  readonly initiator: boolean;
  readonly state$: Observable<LinkState>;
  readonly state: LinkState;
  readonly stream$: Observable<MediaStream | null>;
  readonly closed: boolean;
  /** Our offer is out and unanswered (it may have gone to a socket that was already dead). */
  readonly awaitingAnswer: boolean;
  signal(data: Exclude<SignalData, ControlSignal>): void;
  /** A counter of bytes received from this peer that only grows (null before any path or stream). */
  inboundBytes(): Promise<number | null>;
  /** Still making its first ICE checks, stranded by Chrome on an old dead pair, or neither (ice-path.ts). */
  icePath(): Promise<IcePath>;
  /** The local address of the selected pair if it starts at a host candidate (lost-address.ts). */
  hostAddress(): Promise<string | null>;
  /**
   * ICE restart + renegotiation, on the initiator only (see environment.md). Behind an
   * unanswered offer the restart waits for its answer, unless `replaceUnanswered` (the offer was
   * sent to a socket that has died since) or the offer is older than OFFER_LOST_MS.
   */
  restartIce(options?: { replaceUnanswered?: boolean }): boolean;
  /** New STUN/TURN servers (fresh credentials): used from the next gathering (ICE restart) on. */
  setIceConfig(iceServers: RTCIceServer[], iceTransportPolicy: RTCIceTransportPolicy): void;
  /** The path is known to be broken: our decoder is watched until frames flow again. */
  markBroken(): void;
  /**
   * From a broken path (or a rebuilt link) until its media decodes steadily again: what the
   * tile shows as "reconnecting", and what "media flows again" means for an episode's RESULT.
   */
  readonly recovering: boolean;
  readonly recovering$: Observable<boolean>;
  /** The other side's decoder is starved: restart our video encoders with a keyframe. */
  forceKeyframe(): Promise<void>;
  /** Our network went away, or theirs (`provisional`: maybe): send nothing until they are heard again (outgoing-media.ts). */
  holdSending(provisional?: boolean): void;
  /** Their network was not gone after all: a provisional hold ends now. */
  liftHold(): void;
  diagnostics(): LinkDiagnostics;
  readonly peerConnection: RTCPeerConnection | null;
  destroy(): void;
}

export type PeerLinkFactory = (options: PeerLinkOptions) => PeerLinkLike;
