/**
 * The socket.io contract, typed once and used by both ends (socket.io's own habit).
 * Every client→server event carries one payload (validated by `schemas.ts`) and an ack.
 */

import type { ChatMessage, ConfEvent, Participant, TSDK_S_JOIN_CONF_IND_INFO } from './payloads.ts';
import type { ResultCodeValue } from './result-codes.ts';
import type {
  ChatSendRequest,
  ConfJoinRequest,
  ConfLeaveRequest,
  ConfResumeRequest,
  IceRefreshRequest,
  LoginRequest,
  LogoutRequest,
  PingRequest,
  ResumeRequest,
  SignalRequest,
} from './schemas.ts';

export type FailureCode = Exclude<ResultCodeValue, 0>;

export interface Failure {
  code: FailureCode;
  message: string;
  /** With RATE_LIMITED: when to try again. */
  retryAfterMs?: number;
}

export type Reply<T extends object = object> = ({ code: 0 } & T) | Failure;

/** One STUN or TURN server, as `RTCIceServer` takes it. */
export interface IceServer {
  urls: string | string[];
  /** TURN only: `<unix expiry seconds>:<userId>`. */
  username?: string;
  /** TURN only: a short-lived credential for `username`. */
  credential?: string;
}

/**
 * How peers find a path to each other (spec §10), part of every `login` and `resume` reply: apply
 * it before any ICE restart or rebuild, since TURN credentials expire and each reply has fresh ones.
 */
export interface IceConfig {
  /** Empty when the server names no STUN or TURN server (host candidates only). */
  iceServers: IceServer[];
  /** Present only when peers must use TURN relays; absent means `all`. */
  iceTransportPolicy?: 'relay';
}

export interface SessionInfo extends IceConfig {
  userId: string;
  name: string;
  /** Single use: present it once to `resume`; every success returns a new one. */
  resumeToken: string;
}

/** A `resume` reply: with `conference` when the request named one (absent if the login failed). */
export interface ResumeInfo extends SessionInfo {
  conference?: Reply<ConfResumeInfo>;
}

export interface JoinInfo {
  handle: number;
  room: string;
  info: TSDK_S_JOIN_CONF_IND_INFO;
  roster: Participant[];
  /** The last conference sequence number included in `roster`. */
  seq: number;
}

/** What a conference resume returns beyond a join: the replay of what was missed. */
export type Replay =
  | { code: 0; events: ConfEvent[] }
  /** History aged out: the roster in the reply is the truth; here is recent chat. */
  | { code: FailureCode; chat: ChatMessage[] };

export interface ConfResumeInfo extends JoinInfo {
  originalHandle: number;
  replay: Replay;
}

export type Ack<T extends object = object> = (reply: Reply<T>) => void;

export interface ClientToServerEvents {
  login: (req: LoginRequest, ack: Ack<SessionInfo>) => void;
  resume: (req: ResumeRequest, ack: Ack<ResumeInfo>) => void;
  logout: (req: LogoutRequest, ack: Ack) => void;
  'conf:join': (req: ConfJoinRequest, ack: Ack<JoinInfo>) => void;
  'conf:leave': (req: ConfLeaveRequest, ack: Ack) => void;
  'conf:resume': (req: ConfResumeRequest, ack: Ack<ConfResumeInfo>) => void;
  signal: (req: SignalRequest, ack: Ack) => void;
  'chat:send': (req: ChatSendRequest, ack: Ack<{ seq: number }>) => void;
  /** Application-level ping: proves the whole path, not just that the socket is open. */
  ping: (req: PingRequest, ack: Ack<{ at: number }>) => void;
  /**
   * Fresh ICE configuration for a meeting that outlives its TURN credentials (the SDK asks
   * before they expire); the same shape as in the `login` and `resume` replies.
   */
  'ice:refresh': (req: IceRefreshRequest, ack: Ack<IceConfig>) => void;
}

export interface SignalDelivery {
  from: number;
  to: number;
  data: SignalRequest['data'];
}

export interface ServerToClientEvents {
  'conf:event': (event: ConfEvent) => void;
  signal: (delivery: SignalDelivery) => void;
  /** The server ended this participant's presence (seat released, conference closed). */
  'conf:ended': (payload: { handle: number; code: ResultCodeValue; message: string }) => void;
  /** The reply to a `resume` the handshake carried (`ResumeAuth`): the socket's first message. */
  'resume:result': (reply: Reply<ResumeInfo>) => void;
}

/**
 * A socket's handshake (socket.io's `auth`) may carry a `resume`: the server runs it as that
 * socket's first request and answers with `resume:result`. A resume then costs the round trips of
 * the connection alone, one less than connecting and then asking.
 */
export interface ResumeAuth {
  resume: ResumeRequest;
}

export type ClientEventName = keyof ClientToServerEvents;
