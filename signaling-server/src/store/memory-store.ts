import type { ChatMessage, ConfEvent, Participant, ParticipantStatus } from '../../../shared/src/payloads.ts';
import type { Clock } from '../clock.ts';
import type {
  ConfEventInput,
  ConferenceRecord,
  HandleRecord,
  LoginSession,
  NewSession,
  ReleaseReason,
  Store,
} from './store.ts';

export interface MemoryStoreOptions {
  clock: Clock;
  /** Events kept per conference; older ones are trimmed and can no longer be replayed. */
  maxEventsPerConference?: number;
  /**
   * Bytes of events (their JSON) kept per conference; older ones are trimmed likewise. The
   * newest event is always kept.
   */
  maxEventBytesPerConference?: number;
  /** Chat client ids remembered per conference for de-duplication. */
  maxChatIdsPerConference?: number;
}

const UINT32_MAX = 0xffff_ffff;

export interface MemoryStoreDump {
  sessions: LoginSession[];
  tokens: [string, string][];
  handles: HandleRecord[];
  handlesByUser: [string, number[]][];
  conferences: {
    record: ConferenceRecord;
    members: Participant[];
    events: ConfEvent[];
    seq: number;
    chatIds: [string, number][];
  }[];
  nextHandle: number;
  nextCallId: number;
}

interface Conference {
  record: ConferenceRecord;
  /** handle → participant, in join order. */
  members: Map<number, Participant>;
  events: ConfEvent[];
  /** JSON size of each kept event, parallel to `events`. */
  sizes: number[];
  /** Sum of `sizes`. */
  bytes: number;
  seq: number;
  /** `${sender}\n${id}` → seq, oldest first. */
  chatIds: Map<string, number>;
}

/** The single-process store: plain maps. Each method runs without awaiting, so it is atomic. */
export class MemoryStore implements Store {
  readonly #clock: Clock;
  readonly #maxEvents: number;
  readonly #maxEventBytes: number;
  readonly #maxChatIds: number;
  readonly #sessions = new Map<string, LoginSession>();
  /** token hash → userId */
  readonly #tokens = new Map<string, string>();
  readonly #handles = new Map<number, HandleRecord>();
  readonly #handlesByUser = new Map<string, Set<number>>();
  readonly #conferences = new Map<string, Conference>();
  #nextHandle = 1;
  #nextCallId = 1;

  constructor(options: MemoryStoreOptions) {
    this.#clock = options.clock;
    this.#maxEvents = options.maxEventsPerConference ?? 5_000;
    this.#maxEventBytes = options.maxEventBytesPerConference ?? 2 * 1024 * 1024;
    this.#maxChatIds = options.maxChatIdsPerConference ?? 5_000;
  }

  /**
   * Everything this store holds, as plain data (a copy): for tests that must show an
   * input changed nothing (compare a dump before and after) and for debugging. Not part of
   * `Store`; token hashes appear, tokens never do (the store never sees them).
   */
  dump(): MemoryStoreDump {
    // Copied by hand, not with structuredClone: a fuzz run dumps twice per input. Records are
    // flat; an event is never changed after it is appended, so a shallow copy of each is a copy.
    return {
      sessions: [...this.#sessions.values()].map((s) => ({ ...s })),
      tokens: [...this.#tokens],
      handles: [...this.#handles.values()].map((h) => ({ ...h })),
      handlesByUser: [...this.#handlesByUser].map(([userId, set]): [string, number[]] => [userId, [...set]]),
      conferences: [...this.#conferences.values()].map((c) => ({
        record: { ...c.record },
        members: [...c.members.values()].map((p) => ({ ...p })),
        events: c.events.map((e) => ({ ...e })),
        seq: c.seq,
        chatIds: [...c.chatIds],
      })),
      nextHandle: this.#nextHandle,
      nextCallId: this.#nextCallId,
    };
  }

  // ---- login sessions -------------------------------------------------------------------

  async createSession(session: NewSession): Promise<void> {
    this.#sessions.set(session.userId, {
      userId: session.userId,
      name: session.name,
      tokenHash: session.tokenHash,
      socketId: session.socketId,
      expiresAt: null,
    });
    this.#tokens.set(session.tokenHash, session.userId);
  }

  async getSession(userId: string): Promise<LoginSession | null> {
    const session = this.#liveSession(userId);
    return session ? { ...session } : null;
  }

  async setToken(userId: string, tokenHash: string): Promise<void> {
    const session = this.#sessions.get(userId);
    if (!session) return;
    if (session.tokenHash) this.#tokens.delete(session.tokenHash);
    session.tokenHash = tokenHash;
    this.#tokens.set(tokenHash, userId);
  }

  async takeToken(tokenHash: string): Promise<LoginSession | null> {
    const userId = this.#tokens.get(tokenHash);
    if (userId === undefined) return null;
    this.#tokens.delete(tokenHash);
    const session = this.#liveSession(userId);
    if (!session || session.tokenHash !== tokenHash) return null;
    const taken = { ...session };
    session.tokenHash = null;
    return taken;
  }

  async attachSession(userId: string, socketId: string): Promise<void> {
    const session = this.#sessions.get(userId);
    if (!session) return;
    session.socketId = socketId;
    session.expiresAt = null;
  }

  async detachSession(userId: string, expiresAt: number): Promise<void> {
    const session = this.#sessions.get(userId);
    if (!session) return;
    session.socketId = null;
    session.expiresAt = expiresAt;
  }

  async deleteSession(userId: string): Promise<void> {
    const session = this.#sessions.get(userId);
    if (!session) return;
    if (session.tokenHash) this.#tokens.delete(session.tokenHash);
    this.#sessions.delete(userId);
  }

  async usersOnNode(nodeId: string): Promise<string[]> {
    const prefix = `${nodeId}/`;
    return [...this.#sessions.values()]
      .filter((s) => s.socketId?.startsWith(prefix) && this.#liveSession(s.userId))
      .map((s) => s.userId);
  }

  /** A session past its expiry is gone, whether or not its expiry timer has run yet. */
  #liveSession(userId: string): LoginSession | undefined {
    const session = this.#sessions.get(userId);
    if (!session) return undefined;
    if (session.expiresAt !== null && session.expiresAt <= this.#clock.now()) {
      if (session.tokenHash) this.#tokens.delete(session.tokenHash);
      this.#sessions.delete(userId);
      return undefined;
    }
    return session;
  }

  // ---- conference handles ---------------------------------------------------------------

  async allocateHandle(userId: string, room: string, socketId: string): Promise<number> {
    if (this.#nextHandle > UINT32_MAX) throw new Error('conference handles exhausted');
    const handle = this.#nextHandle++;
    this.#handles.set(handle, {
      handle,
      userId,
      room,
      state: 'live',
      socketId,
      releaseReason: null,
      originalHandle: null,
    });
    let set = this.#handlesByUser.get(userId);
    if (!set) {
      set = new Set();
      this.#handlesByUser.set(userId, set);
    }
    set.add(handle);
    return handle;
  }

  async getHandle(handle: number): Promise<HandleRecord | null> {
    const record = this.#handles.get(handle);
    return record ? { ...record } : null;
  }

  async handlesOf(userId: string): Promise<HandleRecord[]> {
    const set = this.#handlesByUser.get(userId);
    if (!set) return [];
    return [...set].flatMap((h) => {
      const record = this.#handles.get(h);
      return record ? [{ ...record }] : [];
    });
  }

  async bindHandle(handle: number, socketId: string | null): Promise<void> {
    const record = this.#handles.get(handle);
    if (record) record.socketId = socketId;
  }

  async linkHandle(newHandle: number, originalHandle: number): Promise<void> {
    const record = this.#handles.get(newHandle);
    if (record) record.originalHandle = originalHandle;
  }

  async retireHandle(handle: number): Promise<void> {
    const record = this.#handles.get(handle);
    if (!record) return;
    record.state = 'retired';
    record.socketId = null;
  }

  async releaseHandle(handle: number, reason: ReleaseReason): Promise<void> {
    const record = this.#handles.get(handle);
    if (!record) return;
    record.state = 'released';
    record.releaseReason = reason;
    record.socketId = null;
  }

  async deleteHandle(handle: number): Promise<void> {
    const record = this.#handles.get(handle);
    if (!record) return;
    this.#handles.delete(handle);
    const set = this.#handlesByUser.get(record.userId);
    set?.delete(handle);
    if (set?.size === 0) this.#handlesByUser.delete(record.userId);
  }

  // ---- conferences ----------------------------------------------------------------------

  async openConference(room: string): Promise<ConferenceRecord> {
    let conf = this.#conferences.get(room);
    if (!conf) {
      if (this.#nextCallId > UINT32_MAX) throw new Error('call ids exhausted');
      conf = {
        record: { room, callId: this.#nextCallId++, createdAt: this.#clock.now() },
        members: new Map(),
        events: [],
        sizes: [],
        bytes: 0,
        seq: 0,
        chatIds: new Map(),
      };
      this.#conferences.set(room, conf);
    }
    return { ...conf.record };
  }

  async getConference(room: string): Promise<ConferenceRecord | null> {
    const conf = this.#conferences.get(room);
    return conf ? { ...conf.record } : null;
  }

  async deleteConference(room: string): Promise<void> {
    this.#conferences.delete(room);
  }

  async members(room: string): Promise<Participant[]> {
    const conf = this.#conferences.get(room);
    return conf ? [...conf.members.values()].map((p) => ({ ...p })) : [];
  }

  async addMember(room: string, participant: Participant): Promise<void> {
    this.#conf(room).members.set(participant.handle, { ...participant });
  }

  async removeMember(room: string, handle: number): Promise<void> {
    this.#conferences.get(room)?.members.delete(handle);
  }

  async replaceMember(room: string, oldHandle: number, participant: Participant): Promise<void> {
    const conf = this.#conf(room);
    const next = new Map<number, Participant>();
    let placed = false;
    for (const [handle, member] of conf.members) {
      if (handle === oldHandle) {
        next.set(participant.handle, { ...participant });
        placed = true;
      } else {
        next.set(handle, member);
      }
    }
    if (!placed) next.set(participant.handle, { ...participant });
    conf.members = next;
  }

  async setMemberStatus(room: string, handle: number, status: ParticipantStatus): Promise<void> {
    const member = this.#conferences.get(room)?.members.get(handle);
    if (member) member.status = status;
  }

  // ---- conference event log -------------------------------------------------------------

  async appendEvent(room: string, input: ConfEventInput): Promise<ConfEvent> {
    const conf = this.#conf(room);
    conf.seq += 1;
    const event = { ...input, seq: conf.seq } as ConfEvent;
    // Measured as the Redis store measures it: the JSON it would store.
    const size = Buffer.byteLength(JSON.stringify(input));
    conf.events.push(event);
    conf.sizes.push(size);
    conf.bytes += size;
    let drop = Math.max(0, conf.events.length - this.#maxEvents);
    let bytes = conf.bytes;
    for (let i = 0; i < drop; i++) bytes -= conf.sizes[i] ?? 0;
    while (bytes > this.#maxEventBytes && drop < conf.events.length - 1) {
      bytes -= conf.sizes[drop] ?? 0;
      drop += 1;
    }
    if (drop > 0) {
      conf.events.splice(0, drop);
      conf.sizes.splice(0, drop);
      conf.bytes = bytes;
    }
    return structuredClone(event);
  }

  async lastSeq(room: string): Promise<number> {
    return this.#conferences.get(room)?.seq ?? 0;
  }

  async eventsSince(room: string, seq: number): Promise<ConfEvent[] | null> {
    const conf = this.#conferences.get(room);
    if (!conf) return null;
    if (seq > conf.seq) return null;
    if (seq === conf.seq) return [];
    const first = conf.events[0];
    // Events seq+1 … are all kept only if the oldest kept one is seq+1 or earlier.
    if (!first || first.seq > seq + 1) return null;
    return structuredClone(conf.events.slice(seq + 1 - first.seq));
  }

  async recentChat(room: string, limit: number): Promise<ChatMessage[]> {
    const conf = this.#conferences.get(room);
    if (!conf || limit <= 0) return [];
    const chat: ChatMessage[] = [];
    for (let i = conf.events.length - 1; i >= 0 && chat.length < limit; i--) {
      const event = conf.events[i];
      if (event?.kind === 'chat') chat.push({ ...event.message });
    }
    return chat.reverse();
  }

  async chatSeq(room: string, sender: string, id: string): Promise<number | null> {
    return this.#conferences.get(room)?.chatIds.get(chatKey(sender, id)) ?? null;
  }

  async recordChat(room: string, sender: string, id: string, seq: number): Promise<void> {
    const ids = this.#conf(room).chatIds;
    ids.set(chatKey(sender, id), seq);
    if (ids.size > this.#maxChatIds) {
      const oldest = ids.keys().next();
      if (!oldest.done) ids.delete(oldest.value);
    }
  }

  #conf(room: string): Conference {
    const conf = this.#conferences.get(room);
    if (!conf) throw new Error(`no conference ${room}`);
    return conf;
  }
}

function chatKey(sender: string, id: string): string {
  return `${sender}\n${id}`;
}
