import type { Clock } from '../clock.ts';
import { ComposedStore } from './composed-store.ts';
import { type EventLogOptions, eventLogLimits } from './event-log-rules.ts';
import { type ConferenceDump, MemoryConferences } from './memory/conferences.ts';
import { MemoryEventLog } from './memory/event-log.ts';
import { MemoryHandles } from './memory/handles.ts';
import { MemorySessions } from './memory/sessions.ts';
import type { HandleRecord, LoginSession } from './store.ts';

export interface MemoryStoreOptions extends EventLogOptions {
  clock: Clock;
}

export interface MemoryStoreDump {
  sessions: LoginSession[];
  tokens: [string, string][];
  handles: HandleRecord[];
  handlesByUser: [string, number[]][];
  conferences: ConferenceDump[];
  nextHandle: number;
  nextCallId: number;
}

/**
 * The single-process store: plain maps, one module per concern (`memory/`). Each method runs
 * without awaiting, so it is atomic.
 */
export class MemoryStore extends ComposedStore {
  readonly #sessions: MemorySessions;
  readonly #handles: MemoryHandles;
  readonly #conferences: MemoryConferences;

  constructor(options: MemoryStoreOptions) {
    const sessions = new MemorySessions(options.clock);
    const handles = new MemoryHandles();
    const conferences = new MemoryConferences(options.clock);
    const events = new MemoryEventLog((room) => conferences.logOf(room), eventLogLimits(options));
    super({ sessions, handles, conferences, events });
    this.#sessions = sessions;
    this.#handles = handles;
    this.#conferences = conferences;
  }

  /**
   * Everything this store holds, as plain data (a copy): for tests that must show an
   * input changed nothing (compare a dump before and after) and for debugging. Not part of
   * `Store`; token hashes appear, tokens never do (the store never sees them).
   */
  dump(): MemoryStoreDump {
    // Copied by hand, not with structuredClone: a fuzz run dumps twice per input. Records are flat.
    const { handles, handlesByUser, nextHandle } = this.#handles.dump();
    const { conferences, nextCallId } = this.#conferences.dump();
    return { ...this.#sessions.dump(), handles, handlesByUser, conferences, nextHandle, nextCallId };
  }
}
