/**
 * Signals the mesh cannot hand over yet: outgoing ones while we have no valid own handle (mid
 * resume: the server would refuse them), and incoming ones from a handle no roster update has
 * named yet. Both are kept in order; the incoming ones within bounds, since any page can send.
 */
import type { SignalData } from '../../../../shared/src/index.ts';

/** Bound on signals kept for a handle we do not know yet. */
const MAX_PENDING_PER_HANDLE = 256;
const MAX_PENDING_HANDLES = 32;

export class SignalMailbox {
  /** Outgoing signals held while we have no valid own handle. */
  readonly #outgoing: { userId: string; data: SignalData }[] = [];
  /** Signals from a handle not mapped yet (e.g. before the roster update that names it). */
  readonly #unknown = new Map<number, SignalData[]>();

  holdOutgoing(userId: string, data: SignalData): void {
    this.#outgoing.push({ userId, data });
  }

  /** Everything held for sending, in order; the mailbox forgets it. */
  takeOutgoing(): { userId: string; data: SignalData }[] {
    return this.#outgoing.splice(0);
  }

  /** The participant left: what we meant to send them goes nowhere. */
  dropOutgoing(userId: string): void {
    for (let i = this.#outgoing.length - 1; i >= 0; i--)
      if (this.#outgoing[i]?.userId === userId) this.#outgoing.splice(i, 1);
  }

  holdIncoming(handle: number, data: SignalData): void {
    let list = this.#unknown.get(handle);
    if (!list) {
      if (this.#unknown.size >= MAX_PENDING_HANDLES) return;
      list = [];
      this.#unknown.set(handle, list);
    }
    if (list.length < MAX_PENDING_PER_HANDLE) list.push(data);
  }

  /** What arrived from `handle` before we knew whose it is, in order; the mailbox forgets it. */
  takeIncoming(handle: number): SignalData[] {
    const held = this.#unknown.get(handle) ?? [];
    this.#unknown.delete(handle);
    return held;
  }

  clear(): void {
    this.#outgoing.length = 0;
    this.#unknown.clear();
  }
}
