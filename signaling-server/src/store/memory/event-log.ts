import type { ChatMessage, ConfEvent } from '../../../../shared/src/payloads.ts';
import { chatKey, type EventLogLimits } from '../event-log-rules.ts';
import type { ConfEventInput, EventLogStore } from '../store.ts';

/** One conference's event log and the chat client ids it has seen. */
export interface ConferenceLog {
  events: ConfEvent[];
  /** JSON size of each kept event, parallel to `events`. */
  sizes: number[];
  /** Sum of `sizes`. */
  bytes: number;
  seq: number;
  /** `${sender}\n${id}` → seq, oldest first. */
  chatIds: Map<string, number>;
}

export function emptyLog(): ConferenceLog {
  return { events: [], sizes: [], bytes: 0, seq: 0, chatIds: new Map() };
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * The bounded event log of every conference: numbered 1, 2, 3…, the oldest trimmed past a count
 * or a byte size. The logs live with their conferences (deleting one deletes its log), so this
 * finds them through `logOf`.
 */
export class MemoryEventLog implements EventLogStore {
  constructor(
    private readonly logOf: (room: string) => ConferenceLog | undefined,
    private readonly limits: EventLogLimits,
  ) {}

  async appendEvent(room: string, input: ConfEventInput): Promise<ConfEvent> {
    const log = this.#log(room);
    log.seq += 1;
    // The JSON the Redis store would keep: its size is what the limits count, and parsed back it
    // is the one copy kept, frozen, so what is handed out (here and by eventsSince) can never be
    // changed by a caller and a replay needs no copy of its own.
    const json = JSON.stringify(input);
    const event = deepFreeze({ ...JSON.parse(json), seq: log.seq } as ConfEvent);
    const size = Buffer.byteLength(json);
    log.events.push(event);
    log.sizes.push(size);
    log.bytes += size;
    let drop = Math.max(0, log.events.length - this.limits.maxEvents);
    let bytes = log.bytes;
    for (let i = 0; i < drop; i++) bytes -= log.sizes[i] ?? 0;
    while (bytes > this.limits.maxEventBytes && drop < log.events.length - 1) {
      bytes -= log.sizes[drop] ?? 0;
      drop += 1;
    }
    if (drop > 0) {
      log.events.splice(0, drop);
      log.sizes.splice(0, drop);
      log.bytes = bytes;
    }
    return event;
  }

  async lastSeq(room: string): Promise<number> {
    return this.logOf(room)?.seq ?? 0;
  }

  async eventsSince(room: string, seq: number): Promise<ConfEvent[] | null> {
    const log = this.logOf(room);
    if (!log) return null;
    if (seq > log.seq) return null;
    if (seq === log.seq) return [];
    const first = log.events[0];
    // Events seq+1 … are all kept only if the oldest kept one is seq+1 or earlier.
    if (!first || first.seq > seq + 1) return null;
    return log.events.slice(seq + 1 - first.seq);
  }

  async recentChat(room: string, limit: number): Promise<ChatMessage[]> {
    const log = this.logOf(room);
    if (!log || limit <= 0) return [];
    const chat: ChatMessage[] = [];
    for (let i = log.events.length - 1; i >= 0 && chat.length < limit; i--) {
      const event = log.events[i];
      if (event?.kind === 'chat') chat.push({ ...event.message });
    }
    return chat.reverse();
  }

  async chatSeq(room: string, sender: string, id: string): Promise<number | null> {
    return this.logOf(room)?.chatIds.get(chatKey(sender, id)) ?? null;
  }

  async recordChat(room: string, sender: string, id: string, seq: number): Promise<void> {
    const ids = this.#log(room).chatIds;
    ids.set(chatKey(sender, id), seq);
    if (ids.size > this.limits.maxChatIds) {
      const oldest = ids.keys().next();
      if (!oldest.done) ids.delete(oldest.value);
    }
  }

  #log(room: string): ConferenceLog {
    const log = this.logOf(room);
    if (!log) throw new Error(`no conference ${room}`);
    return log;
  }
}
