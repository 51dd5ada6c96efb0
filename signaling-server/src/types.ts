import type { Server, Socket } from 'socket.io';
import type {
  ClientEventName,
  ClientToServerEvents,
  Failure,
  FailureCode,
  ServerToClientEvents,
} from '../../shared/src/protocol.ts';
import type { AddressSessions } from './address-sessions.ts';
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { Deadlines } from './deadlines.ts';
import type { Locks } from './locks.ts';
import type { LogThrottle } from './log-throttle.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import type { Limiter } from './rate-limit.ts';
import type { Store } from './store/store.ts';

/** Server-to-server events: none (the Redis adapter carries the emits themselves). */
export type InterServerEvents = Record<string, never>;

/** What the server remembers about one socket. */
export interface SocketData {
  /** Set once a login or a login resume succeeded on this socket. */
  userId?: string;
  name?: string;
  /**
   * Set by a successful login resume (`resume`) on this socket, cleared by logout: only such a
   * socket may `conf:resume` (spec §7), and only handles of that same login session.
   */
  loginResumed?: boolean;
  /**
   * `<nodeId>/<socket id>`: what the store records as "the socket serving" a session or handle,
   * so that the process holding it is known. Also the name of a room this socket is in, so any
   * process can reach it (`io.in(ref)`).
   */
  ref?: string;
  /** Its page closed the WebSocket with 1001, going away (going-away.ts): a leave, not a drop. */
  goneAway?: boolean;
}

export type AppServer = Server<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;
export type AppSocket = Socket<ClientToServerEvents, ServerToClientEvents, InterServerEvents, SocketData>;

export type RequestOf<E extends ClientEventName> = Parameters<ClientToServerEvents[E]>[0];
export type ReplyOf<E extends ClientEventName> = Parameters<Parameters<ClientToServerEvents[E]>[1]>[0];
/** A handler sees a payload that already passed its schema, and returns the ack's reply. */
export type Handler<E extends ClientEventName> = (
  socket: AppSocket,
  req: RequestOf<E>,
) => Promise<ReplyOf<E>>;
export type Handlers = { [E in ClientEventName]: Handler<E> };

/** What every part of the server may use. */
export interface CoreDeps {
  config: Config;
  store: Store;
  clock: Clock;
  logger: Logger;
  io: AppServer;
  /** This process, in socket refs and the node registry. */
  nodeId: string;
  /** Seat-release and session-expiry deadlines (`seatTimerKey`, `sessionTimerKey`). */
  deadlines: Deadlines;
  /** One critical section per conference (see keyed-mutex.ts). */
  locks: Locks;
  /** Resolves once the emits made so far reached the other processes (Coordination). */
  broadcastsSent: () => Promise<void>;
  limiter: Limiter;
  /** Keeps floods (wrong tokens, refused attempts) to one log line per key per minute. */
  logThrottle: LogThrottle;
  metrics: Metrics;
  /** Logged-in sockets per address on this process (MemoryLimits.sessionsPerAddress). */
  addressSessions: AddressSessions;
}

export function fail(code: FailureCode, message: string, retryAfterMs?: number): Failure {
  return retryAfterMs === undefined ? { code, message } : { code, message, retryAfterMs };
}

/** socket.io room of everyone in a conference. */
export const confRoom = (room: string): string => `conf:${room}`;
/** socket.io room of the socket serving one handle (relay target). */
export const handleRoom = (handle: number): string => `handle:${handle}`;
export const socketRef = (nodeId: string, socketId: string): string => `${nodeId}/${socketId}`;
/** The ref set when the socket connected (server.ts). */
export const refOf = (socket: AppSocket): string => socket.data.ref ?? socket.id;
export const SEAT_PREFIX = 'seat:';
export const SESSION_PREFIX = 'session:';
export const seatTimerKey = (handle: number): string => `${SEAT_PREFIX}${handle}`;
export const sessionTimerKey = (userId: string): string => `${SESSION_PREFIX}${userId}`;
