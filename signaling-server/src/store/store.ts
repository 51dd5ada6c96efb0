import type { ChatMessage, ConfEvent, Participant, ParticipantStatus } from '../../../shared/src/payloads.ts';

/**
 * Everything the signaling server remembers, behind an async interface so that a Redis
 * implementation can replace the in-memory one without touching the handlers. Both must pass
 * `tests/unit/server/store-suite.ts`.
 *
 * Each method is atomic on its own (in Redis: one command or one Lua script). Sequences of
 * calls that must be atomic together are serialized by the caller (conference lock).
 */
export interface Store {
  // ---- login sessions -------------------------------------------------------------------
  createSession(session: NewSession): Promise<void>;
  getSession(userId: string): Promise<LoginSession | null>;
  /** Replaces the session's resume token (the old one stops working at once). */
  setToken(userId: string, tokenHash: string): Promise<void>;
  /**
   * Atomically finds the session holding this token hash and deletes the token (single use).
   * Returns null when no live session holds it: unknown, already used, or the session expired.
   * The returned session shows the token hash it held; the stored one has none until `setToken`.
   */
  takeToken(tokenHash: string): Promise<LoginSession | null>;
  /** The session is served by this socket now; it no longer expires. */
  attachSession(userId: string, socketId: string): Promise<void>;
  /** The session lost its socket: it (and its token) expire at `expiresAt` unless resumed. */
  detachSession(userId: string, expiresAt: number): Promise<void>;
  /** Deletes the session and its token. */
  deleteSession(userId: string): Promise<void>;
  /**
   * Users whose session is attached to a socket of this process: socket ids are stored as
   * `<nodeId>/<socket id>` refs, so the sessions of a process that died can be found.
   */
  usersOnNode(nodeId: string): Promise<string[]>;

  // ---- conference handles ---------------------------------------------------------------
  /** A new uint32 handle: non-zero, never handed out before in this deployment. */
  allocateHandle(userId: string, room: string, socketId: string): Promise<number>;
  getHandle(handle: number): Promise<HandleRecord | null>;
  /** All handle records of a login session, any state. */
  handlesOf(userId: string): Promise<HandleRecord[]>;
  /** Which socket serves this handle now (null: none, the seat is held). */
  bindHandle(handle: number, socketId: string | null): Promise<void>;
  /** Records that `newHandle` replaced `originalHandle` (a conference resume). */
  linkHandle(newHandle: number, originalHandle: number): Promise<void>;
  /** The handle was replaced by a resume: every later use is refused. */
  retireHandle(handle: number): Promise<void>;
  /** The seat was given up (left, logged out, timed out). */
  releaseHandle(handle: number, reason: ReleaseReason): Promise<void>;
  /** Forgets the handle record entirely (its number is still never reused). */
  deleteHandle(handle: number): Promise<void>;

  // ---- conferences ----------------------------------------------------------------------
  /** Gets the conference, creating it (with a fresh call id) if it does not exist. */
  openConference(room: string): Promise<ConferenceRecord>;
  getConference(room: string): Promise<ConferenceRecord | null>;
  /** Deletes the conference with its members, event log and chat de-dup records. */
  deleteConference(room: string): Promise<void>;
  /** Members in join order (a replacement keeps its place). */
  members(room: string): Promise<Participant[]>;
  addMember(room: string, participant: Participant): Promise<void>;
  removeMember(room: string, handle: number): Promise<void>;
  /** Puts `participant` in the place of `oldHandle`. */
  replaceMember(room: string, oldHandle: number, participant: Participant): Promise<void>;
  setMemberStatus(room: string, handle: number, status: ParticipantStatus): Promise<void>;

  // ---- conference event log -------------------------------------------------------------
  /** Appends with the next sequence number (1, 2, 3, … no gaps) and returns the stored event. */
  appendEvent(room: string, event: ConfEventInput): Promise<ConfEvent>;
  /** The last sequence number given out (0 before any event). */
  lastSeq(room: string): Promise<number>;
  /**
   * Exactly the events with seq > `seq`, in order; null when some of them were trimmed, or
   * when `seq` is ahead of the log (the caller must resync from a snapshot).
   */
  eventsSince(room: string, seq: number): Promise<ConfEvent[] | null>;
  /** The last `limit` chat messages still in the log, oldest first. */
  recentChat(room: string, limit: number): Promise<ChatMessage[]>;
  /** The seq of a chat message this sender already posted with this client id, else null. */
  chatSeq(room: string, sender: string, id: string): Promise<number | null>;
  recordChat(room: string, sender: string, id: string, seq: number): Promise<void>;
}

export interface NewSession {
  userId: string;
  name: string;
  /** sha256 of the resume token; the token itself is never stored. */
  tokenHash: string;
  socketId: string;
}

export interface LoginSession {
  userId: string;
  name: string;
  tokenHash: string | null;
  /** The serving socket; null while detached. */
  socketId: string | null;
  /** When a detached session (and its token) stops being resumable; null while attached. */
  expiresAt: number | null;
}

export type HandleState = 'live' | 'retired' | 'released';
export type ReleaseReason = 'left' | 'logout' | 'timeout';

export interface HandleRecord {
  handle: number;
  userId: string;
  room: string;
  state: HandleState;
  socketId: string | null;
  /** Set when state is 'released'. */
  releaseReason: ReleaseReason | null;
  /** The handle this one replaced, if it came from a conference resume. */
  originalHandle: number | null;
}

export interface ConferenceRecord {
  room: string;
  /** uint32, non-zero, unique per conference (TSDK's call_id). */
  callId: number;
  createdAt: number;
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
/** A conference event before the store numbers it. */
export type ConfEventInput = DistributiveOmit<ConfEvent, 'seq'>;

/*
 * The store's concerns, each implemented by a module of its own (`memory/`, `redis/`) and put
 * together by `ComposedStore`. Picked from `Store` so that there stays one contract.
 */
export type SessionStore = Pick<
  Store,
  | 'createSession'
  | 'getSession'
  | 'setToken'
  | 'takeToken'
  | 'attachSession'
  | 'detachSession'
  | 'deleteSession'
  | 'usersOnNode'
>;
export type HandleStore = Pick<
  Store,
  | 'allocateHandle'
  | 'getHandle'
  | 'handlesOf'
  | 'bindHandle'
  | 'linkHandle'
  | 'retireHandle'
  | 'releaseHandle'
  | 'deleteHandle'
>;
export type ConferenceStore = Pick<
  Store,
  | 'openConference'
  | 'getConference'
  | 'deleteConference'
  | 'members'
  | 'addMember'
  | 'removeMember'
  | 'replaceMember'
  | 'setMemberStatus'
>;
export type EventLogStore = Pick<
  Store,
  'appendEvent' | 'lastSeq' | 'eventsSince' | 'recentChat' | 'chatSeq' | 'recordChat'
>;
