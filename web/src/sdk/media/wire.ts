/**
 * Pure translation between simple-peer's signal messages and the wire shapes the server
 * validates (shared `signalSchema`, strict objects: no extra fields).
 */
import type SimplePeer from 'simple-peer';
import type { SignalData } from '../../../../shared/src/index.ts';

/** Our own message: ask the pair's initiator to restart ICE, or reset the pair for a rebuild. */
export type RestartSignal = Extract<SignalData, { type: 'restart' }>;

export function isRestartSignal(data: SignalData): data is RestartSignal {
  return 'type' in data && data.type === 'restart';
}

/** Our own message: the other side's decoder is starved, restart our encoders with a keyframe. */
export type KeyframeRequest = Extract<SignalData, { type: 'keyframe' }>;

export function isKeyframeRequest(data: SignalData): data is KeyframeRequest {
  return 'type' in data && data.type === 'keyframe';
}

/** Our own messages deciding whose a media outage is, and whether media flows again (outage-arbiter.ts). */
export type OutageSignal = Extract<
  SignalData,
  { type: 'probe' | 'probe-ack' | 'media-outage' | 'media-check' | 'media-check-ack' }
>;

const OUTAGE_TYPES: ReadonlySet<string> = new Set([
  'probe',
  'probe-ack',
  'media-outage',
  'media-check',
  'media-check-ack',
]);

export function isOutageSignal(data: SignalData): data is OutageSignal {
  return 'type' in data && OUTAGE_TYPES.has(data.type);
}

/** Messages of ours, handled by the mesh and the arbiter; the rest is simple-peer's. */
export type ControlSignal = RestartSignal | KeyframeRequest | OutageSignal;

/**
 * The deterministic initiator rule: the side with the smaller userId offers. userIds are stable
 * across a resume (handles are not), so the rule never flips, and both sides agree: no glare.
 */
export function isInitiator(localUserId: string, remoteUserId: string): boolean {
  return localUserId < remoteUserId;
}

/** simple-peer's message in the server's shape, or null for something the server would refuse. */
export function toWireSignal(data: SimplePeer.SignalData): SignalData | null {
  if ('renegotiate' in data && data.renegotiate) return { renegotiate: true };
  if ('transceiverRequest' in data && data.transceiverRequest) {
    const { kind, init } = data.transceiverRequest;
    if (kind !== 'audio' && kind !== 'video') return null;
    return init ? { transceiverRequest: { kind, init: { ...init } } } : { transceiverRequest: { kind } };
  }
  if ('candidate' in data && data.type === 'candidate') {
    const c = data.candidate;
    return {
      type: 'candidate',
      candidate: {
        candidate: c.candidate,
        sdpMLineIndex: c.sdpMLineIndex ?? null,
        sdpMid: c.sdpMid ?? null,
      },
    };
  }
  const { type, sdp } = data as RTCSessionDescriptionInit;
  if (type === 'offer' || type === 'answer' || type === 'pranswer' || type === 'rollback') {
    return sdp === undefined ? { type } : { type, sdp };
  }
  return null;
}

/** The ICE username fragment of a session description (it changes with every ICE restart). */
export function iceUfrag(sdp: string | undefined): string | null {
  return /a=ice-ufrag:(\S+)/.exec(sdp ?? '')?.[1] ?? null;
}

/**
 * Whether an answer may be applied to the offer we wait on (`waitingOn`: its ICE ufrag; null
 * when we wait on none). Two answers can cross our newest offer (the first for an offer it
 * replaced: an ICE restart sent again after a lost socket) and arrive before either is applied:
 * the stale one would be taken as this offer's, with the wrong ICE credentials, and the right
 * one would then fail and destroy the peer. So only the answer to the current offer goes through,
 * once (`answered`: the ufrag of the offer whose answer was already applied). An answer without
 * `offerUfrag` (an older client) is applied whenever an offer waits, as before.
 */
export function acceptsAnswer(
  answer: { offerUfrag?: string | undefined },
  waitingOn: string | null,
  answered: string | null,
): boolean {
  if (waitingOn === null) return false;
  if (answer.offerUfrag === undefined) return true;
  return answer.offerUfrag === waitingOn && answered !== waitingOn;
}

/** A wire message in simple-peer's shape (control messages never get here). */
export function fromWireSignal(data: Exclude<SignalData, ControlSignal>): SimplePeer.SignalData {
  if ('renegotiate' in data) return { type: 'renegotiate', renegotiate: true };
  if ('transceiverRequest' in data) {
    return {
      type: 'transceiverRequest',
      transceiverRequest: data.transceiverRequest as { kind: string; init?: RTCRtpTransceiverInit },
    };
  }
  if (data.type === 'candidate') {
    return { type: 'candidate', candidate: data.candidate as RTCIceCandidate };
  }
  return data.sdp === undefined ? { type: data.type } : { type: data.type, sdp: data.sdp };
}

/**
 * The answering side takes offers one at a time. A second offer that arrives while simple-peer is
 * still answering the first (an ICE restart sent again after a socket changed, or replaced after
 * OFFER_LOST_MS) would make it destroy the peer: the answer it is creating no longer fits. Such
 * an offer waits, with the candidates that follow it, until our answer is out; a newer one
 * replaces it (only the newest offer is worth answering).
 */
export class OfferQueue<T> {
  #answering = false;
  #held: T[] = [];

  /** Whether `signal` may go to simple-peer now; when not, it is held. */
  admit(signal: T, isOffer: boolean): boolean {
    if (!this.#answering) {
      this.#answering = isOffer;
      return true;
    }
    if (isOffer) {
      this.#held = [signal];
      return false;
    }
    // A candidate of the offer being answered goes through; one of a held offer waits with it.
    if (this.#held.length === 0) return true;
    this.#held.push(signal);
    return false;
  }

  /** Our answer went out: what was held behind it, in order. */
  answered(): T[] {
    this.#answering = false;
    return this.#held.splice(0);
  }
}
