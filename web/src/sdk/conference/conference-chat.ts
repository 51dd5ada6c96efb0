/**
 * The conference's chat: the messages shown so far, and our own waiting in the outbox until the
 * server has sequenced them, sent in order, one at a time, whenever the conference is reachable.
 */
import { asyncScheduler, firstValueFrom, type Observable, type SchedulerLike, Subject, timer } from 'rxjs';
import { type ChatMessage, type Reply, ResultCode } from '../../../../shared/src/index.ts';
import { MeetingError } from '../errors.ts';
import type { SignalClient } from '../signal/signal-client.ts';
import { ChatOutbox, type OutboxEntry } from './chat-outbox.ts';

/** Chat refusals that mean "your handle is being replaced": the outbox waits for the resume. */
const SENDER_GONE: ReadonlySet<number> = new Set([
  ResultCode.HANDLE_SUPERSEDED,
  ResultCode.HANDLE_UNKNOWN,
  ResultCode.NOT_LOGGED_IN,
]);
/**
 * A chat refused with RATE_LIMITED waits the server's `retryAfterMs` (this when it names none,
 * at most the cap: a wrong value must not park the outbox for good), then goes again.
 */
const CHAT_RETRY_DEFAULT_MS = 1_000;
const CHAT_RETRY_CAP_MS = 60_000;

/** crypto.randomUUID exists only in secure contexts; a LAN http page still needs message ids. */
function messageId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export interface ConferenceChatDeps {
  signal: SignalClient;
  timeout: { timeoutMs?: number };
  scheduler?: SchedulerLike | undefined;
  /** The handle to send under, or null while none can be used (no conference, or a resume). */
  sendingHandle(): number | null;
}

export class ConferenceChat {
  readonly #deps: ConferenceChatDeps;
  readonly #messages: ChatMessage[] = [];
  readonly #chat = new Subject<ChatMessage>();
  readonly #outbox = new ChatOutbox();
  #flushing = false;
  readonly chat$: Observable<ChatMessage> = this.#chat.asObservable();
  readonly outbox$: Observable<readonly OutboxEntry[]> = this.#outbox.entries$;

  constructor(deps: ConferenceChatDeps) {
    this.#deps = deps;
  }

  get messages(): ChatMessage[] {
    return [...this.#messages];
  }

  /** Queues our message; resolves with its sequence number once the server has it. */
  send(text: string): { id: string; seq: Promise<number> } {
    const id = messageId();
    const seq = this.#outbox.add(id, text);
    void this.flush();
    return { id, seq };
  }

  /** A message the conference shows (ours leaves the outbox). */
  received(message: ChatMessage): void {
    this.#outbox.delivered(message.id);
    this.#messages.push(message);
    this.#chat.next(message);
  }

  /** Recent chat from a resync snapshot: the messages new to us are shown; returns how many. */
  recovered(chat: readonly ChatMessage[]): number {
    const known = new Set(this.#messages.map((m) => m.id));
    const fresh = chat.filter((m) => !known.has(m.id));
    for (const m of fresh) this.received(m);
    return fresh.length;
  }

  /** Sends pending messages in order, one at a time, while the conference is reachable. */
  async flush(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      for (;;) {
        const handle = this.#deps.sendingHandle();
        const next = this.#outbox.pending[0];
        if (!next || handle === null) return;
        let reply: Reply<{ seq: number }>;
        try {
          reply = await this.#deps.signal.request(
            'chat:send',
            { handle, id: next.id, text: next.text },
            this.#deps.timeout,
          );
        } catch {
          return; // Transport trouble: the message stays pending until the resume.
        }
        if (reply.code === 0) this.#outbox.markSent(next.id, reply.seq);
        else if (reply.code === ResultCode.RATE_LIMITED) {
          // The server's chat quota: this message and everything behind it wait, in order, then
          // the loop sends it again (the conference, a resume or a close are checked anew).
          const wait = Math.min(CHAT_RETRY_CAP_MS, Math.max(0, reply.retryAfterMs ?? CHAT_RETRY_DEFAULT_MS));
          await firstValueFrom(timer(wait, this.#deps.scheduler ?? asyncScheduler));
        } else if (SENDER_GONE.has(reply.code))
          return; // Our handle is being replaced: wait.
        else this.#outbox.markFailed(next.id, reply.code, new MeetingError(reply.code, reply.message));
      }
    } finally {
      this.#flushing = false;
    }
  }

  /** We left the conference: what waits fails with CONF_ENDED, and the history goes. */
  clear(): void {
    this.#outbox.failPending(
      ResultCode.CONF_ENDED,
      new MeetingError(ResultCode.CONF_ENDED, 'left the conference'),
    );
    this.#outbox.clear();
    this.#messages.length = 0;
  }

  complete(): void {
    this.#chat.complete();
  }
}
