import type { ConfEvent, Participant, ParticipantStatus } from '../../../../shared/src/payloads.ts';
import type { Clock } from '../../clock.ts';
import type { ConferenceRecord, ConferenceStore } from '../store.ts';
import { type ConferenceLog, emptyLog } from './event-log.ts';

const UINT32_MAX = 0xffff_ffff;

interface Conference {
  record: ConferenceRecord;
  /** handle → participant, in join order. */
  members: Map<number, Participant>;
  log: ConferenceLog;
}

export interface ConferenceDump {
  record: ConferenceRecord;
  members: Participant[];
  events: ConfEvent[];
  seq: number;
  chatIds: [string, number][];
}

/** Conferences (call ids) and their members in join order; each owns its event log. */
export class MemoryConferences implements ConferenceStore {
  readonly #conferences = new Map<string, Conference>();
  #nextCallId = 1;

  constructor(private readonly clock: Clock) {}

  /** The log of a conference that exists, for `MemoryEventLog`. */
  logOf(room: string): ConferenceLog | undefined {
    return this.#conferences.get(room)?.log;
  }

  /** A copy, for `MemoryStore.dump()`. */
  dump(): { conferences: ConferenceDump[]; nextCallId: number } {
    return {
      // An event is never changed after it is appended, so a shallow copy of each is a copy.
      conferences: [...this.#conferences.values()].map((c) => ({
        record: { ...c.record },
        members: [...c.members.values()].map((p) => ({ ...p })),
        events: c.log.events.map((e) => ({ ...e })),
        seq: c.log.seq,
        chatIds: [...c.log.chatIds],
      })),
      nextCallId: this.#nextCallId,
    };
  }

  async openConference(room: string): Promise<ConferenceRecord> {
    let conf = this.#conferences.get(room);
    if (!conf) {
      if (this.#nextCallId > UINT32_MAX) throw new Error('call ids exhausted');
      conf = {
        record: { room, callId: this.#nextCallId++, createdAt: this.clock.now() },
        members: new Map(),
        log: emptyLog(),
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

  #conf(room: string): Conference {
    const conf = this.#conferences.get(room);
    if (!conf) throw new Error(`no conference ${room}`);
    return conf;
  }
}
