/**
 * Chat messages the participant sent that the conference has not shown yet. A message stays
 * here, `pending`, across a dropped connection and is sent again after the resume under the
 * same id (the server de-duplicates by id: a retry never posts twice); `sent` once the server
 * sequenced it; `failed` when it cannot be (the meeting ended, the server refused it).
 * It leaves the outbox when the conference's own chat event with its id arrives.
 */
import { BehaviorSubject, type Observable } from 'rxjs';

export type OutboxState = 'pending' | 'sent' | 'failed';

export interface OutboxEntry {
  readonly id: string;
  readonly text: string;
  readonly state: OutboxState;
  /** With `failed`: the result code. */
  readonly code?: number;
}

interface Waiter {
  resolve: (seq: number) => void;
  reject: (err: Error) => void;
}

export class ChatOutbox {
  readonly #entries = new BehaviorSubject<readonly OutboxEntry[]>([]);
  readonly #waiters = new Map<string, Waiter>();
  readonly entries$: Observable<readonly OutboxEntry[]> = this.#entries.asObservable();

  get entries(): readonly OutboxEntry[] {
    return this.#entries.value;
  }

  /** Oldest first: the order they must reach the conference in. */
  get pending(): OutboxEntry[] {
    return this.#entries.value.filter((e) => e.state === 'pending');
  }

  /** Queues a message; the promise settles when it is sequenced (seq) or has failed. */
  add(id: string, text: string): Promise<number> {
    this.#entries.next([...this.#entries.value, { id, text, state: 'pending' }]);
    return new Promise<number>((resolve, reject) => this.#waiters.set(id, { resolve, reject }));
  }

  markSent(id: string, seq: number): void {
    this.#set(id, { state: 'sent' });
    this.#waiters.get(id)?.resolve(seq);
    this.#waiters.delete(id);
  }

  markFailed(id: string, code: number, error: Error): void {
    this.#set(id, { state: 'failed', code });
    this.#waiters.get(id)?.reject(error);
    this.#waiters.delete(id);
  }

  /** Every message still pending fails (the conference is over for us). */
  failPending(code: number, error: Error): void {
    for (const e of this.pending) this.markFailed(e.id, code, error);
  }

  /** The conference showed the message: it is part of the chat now. */
  delivered(id: string): void {
    if (!this.#entries.value.some((e) => e.id === id)) return;
    this.#entries.next(this.#entries.value.filter((e) => e.id !== id));
  }

  /** Forgets failed entries (a new conference starts clean). */
  clear(): void {
    this.#entries.next(this.#entries.value.filter((e) => e.state === 'pending'));
  }

  #set(id: string, change: Partial<OutboxEntry>): void {
    this.#entries.next(this.#entries.value.map((e) => (e.id === id ? { ...e, ...change } : e)));
  }
}
