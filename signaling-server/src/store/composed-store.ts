import type { ChatMessage, ConfEvent, Participant, ParticipantStatus } from '../../../shared/src/payloads.ts';
import type {
  ConfEventInput,
  ConferenceRecord,
  ConferenceStore,
  EventLogStore,
  HandleRecord,
  HandleStore,
  LoginSession,
  NewSession,
  ReleaseReason,
  SessionStore,
  Store,
} from './store.ts';

export interface StoreParts {
  sessions: SessionStore;
  handles: HandleStore;
  conferences: ConferenceStore;
  events: EventLogStore;
}

/**
 * A `Store` put together from its concerns. `MemoryStore` and `RedisStore` are both one, so each
 * concern can live in a module of its own while every caller still sees the one interface. It
 * only forwards: each part's method is atomic on its own, as the contract asks.
 */
export class ComposedStore implements Store {
  readonly #sessions: SessionStore;
  readonly #handles: HandleStore;
  readonly #conferences: ConferenceStore;
  readonly #events: EventLogStore;

  constructor(parts: StoreParts) {
    this.#sessions = parts.sessions;
    this.#handles = parts.handles;
    this.#conferences = parts.conferences;
    this.#events = parts.events;
  }

  // ---- login sessions -------------------------------------------------------------------

  createSession(session: NewSession): Promise<void> {
    return this.#sessions.createSession(session);
  }
  getSession(userId: string): Promise<LoginSession | null> {
    return this.#sessions.getSession(userId);
  }
  setToken(userId: string, tokenHash: string): Promise<void> {
    return this.#sessions.setToken(userId, tokenHash);
  }
  takeToken(tokenHash: string): Promise<LoginSession | null> {
    return this.#sessions.takeToken(tokenHash);
  }
  attachSession(userId: string, socketId: string): Promise<void> {
    return this.#sessions.attachSession(userId, socketId);
  }
  detachSession(userId: string, expiresAt: number): Promise<void> {
    return this.#sessions.detachSession(userId, expiresAt);
  }
  deleteSession(userId: string): Promise<void> {
    return this.#sessions.deleteSession(userId);
  }
  usersOnNode(nodeId: string): Promise<string[]> {
    return this.#sessions.usersOnNode(nodeId);
  }

  // ---- conference handles ---------------------------------------------------------------

  allocateHandle(userId: string, room: string, socketId: string): Promise<number> {
    return this.#handles.allocateHandle(userId, room, socketId);
  }
  getHandle(handle: number): Promise<HandleRecord | null> {
    return this.#handles.getHandle(handle);
  }
  handlesOf(userId: string): Promise<HandleRecord[]> {
    return this.#handles.handlesOf(userId);
  }
  bindHandle(handle: number, socketId: string | null): Promise<void> {
    return this.#handles.bindHandle(handle, socketId);
  }
  linkHandle(newHandle: number, originalHandle: number): Promise<void> {
    return this.#handles.linkHandle(newHandle, originalHandle);
  }
  retireHandle(handle: number): Promise<void> {
    return this.#handles.retireHandle(handle);
  }
  releaseHandle(handle: number, reason: ReleaseReason): Promise<void> {
    return this.#handles.releaseHandle(handle, reason);
  }
  deleteHandle(handle: number): Promise<void> {
    return this.#handles.deleteHandle(handle);
  }

  // ---- conferences ----------------------------------------------------------------------

  openConference(room: string): Promise<ConferenceRecord> {
    return this.#conferences.openConference(room);
  }
  getConference(room: string): Promise<ConferenceRecord | null> {
    return this.#conferences.getConference(room);
  }
  deleteConference(room: string): Promise<void> {
    return this.#conferences.deleteConference(room);
  }
  members(room: string): Promise<Participant[]> {
    return this.#conferences.members(room);
  }
  addMember(room: string, participant: Participant): Promise<void> {
    return this.#conferences.addMember(room, participant);
  }
  removeMember(room: string, handle: number): Promise<void> {
    return this.#conferences.removeMember(room, handle);
  }
  replaceMember(room: string, oldHandle: number, participant: Participant): Promise<void> {
    return this.#conferences.replaceMember(room, oldHandle, participant);
  }
  setMemberStatus(room: string, handle: number, status: ParticipantStatus): Promise<void> {
    return this.#conferences.setMemberStatus(room, handle, status);
  }

  // ---- conference event log -------------------------------------------------------------

  appendEvent(room: string, event: ConfEventInput): Promise<ConfEvent> {
    return this.#events.appendEvent(room, event);
  }
  lastSeq(room: string): Promise<number> {
    return this.#events.lastSeq(room);
  }
  eventsSince(room: string, seq: number): Promise<ConfEvent[] | null> {
    return this.#events.eventsSince(room, seq);
  }
  recentChat(room: string, limit: number): Promise<ChatMessage[]> {
    return this.#events.recentChat(room, limit);
  }
  chatSeq(room: string, sender: string, id: string): Promise<number | null> {
    return this.#events.chatSeq(room, sender, id);
  }
  recordChat(room: string, sender: string, id: string, seq: number): Promise<void> {
    return this.#events.recordChat(room, sender, id, seq);
  }
}
