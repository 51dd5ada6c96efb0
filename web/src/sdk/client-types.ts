/** The facade's public types: its options, and what its getters and observables carry. */
import type { SchedulerLike } from 'rxjs';
import type { ConfEvent, Participant } from '../../../shared/src/index.ts';
import type { Logger } from './logger.ts';
import type { PeerLinkFactory } from './media/link-types.ts';
import type { RecoveryMode } from './media/recover-media.ts';
import type { RetryPolicy } from './resume/retry-policy.ts';
import type { NetworkInputs } from './resume/watch-network.ts';
import type { SignalClientOptions } from './signal/signal-client.ts';

export interface MeetingClientOptions {
  /** Signaling server origin; defaults to the page's origin. */
  url?: string;
  /**
   * ICE servers for the peer connections. By default the server's (STUN, and TURN with
   * short-lived credentials, from the `login` and `resume` replies); an app that passes its own
   * keeps them for good.
   */
  iceServers?: RTCIceServer[];
  /** How long to wait for a server reply. */
  requestTimeoutMs?: number;
  /** Replaces `getUserMedia({ video: true, audio: true })`. */
  getUserMedia?: () => Promise<MediaStream>;
  /** Timestamps of notifications (`at`). */
  now?: () => number;
  logger?: Logger;
  /** For tests: how the socket is made, and how a peer link is made. */
  createSocket?: SignalClientOptions['createSocket'];
  createLink?: PeerLinkFactory;
  /**
   * How broken media paths come back: `fast` (ICE restart at the first sign, forced keyframe,
   * rebuild fallback; the default) or `naive` (restart on ICE `disconnected` only, no keyframe:
   * the benchmark baseline).
   */
  mediaRecovery?: RecoveryMode;
  /** The resume pipeline's clock, retry policy and window (tests use virtual time). */
  resume?: { scheduler?: SchedulerLike; policy?: RetryPolicy; windowMs?: number };
  /**
   * Where network signals come from: the page's `window` and `navigator` by default; null turns
   * browser signals off (Node tests drive the pipeline through sockets and peers only).
   */
  environment?: Pick<NetworkInputs, 'window' | 'navigator'> | null;
}

export interface Credentials {
  name: string;
  password?: string;
}

export interface Session {
  userId: string;
  name: string;
}

/** The conference this client is in. */
export interface ConferenceView {
  handle: number;
  room: string;
  roster: readonly Participant[];
  /** Last conference sequence number applied. */
  lastSeq: number;
}

/** Data of `TSDK_E_CONF_EVT_INFO_AND_STATUS_UPDATE`. */
export type ConfUpdateData =
  | { change: Exclude<ConfEvent['kind'], 'chat'>; event: ConfEvent; roster: Participant[] }
  /** After a resume whose replay was no longer available: the roster is the server's snapshot. */
  | { change: 'resync'; roster: Participant[] };

/** A resume whose missed events could not be replayed: the client took the server's snapshot. */
export interface Resync {
  room: string;
  /** The last sequence number this client had seen. */
  fromSeq: number;
  /** Recent chat messages the snapshot brought that were new to this client. */
  recoveredChat: number;
}

export interface SentChat {
  id: string;
  seq: number;
}
