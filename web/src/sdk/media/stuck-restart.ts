/**
 * Firefox (not Chrome) checks again when it answers an ICE restart, and checks for good when it
 * gathered nothing on an interface that was just coming back, while bytes still arrive on the old
 * pair: the recovery, which ends on bytes, ends, and nothing rebuilds the link (CI: Firefox stuck
 * `connecting` 30 s after a 4 s link outage). A link that went back to checking and still is after
 * the bound is reported stuck.
 */
import { type SchedulerLike, type Subscription, timer } from 'rxjs';
import type { PeerSnapshot } from './mesh-types.ts';

const checking = (p: PeerSnapshot | undefined) =>
  p?.connectionState === 'new' || p?.connectionState === 'connecting';

export class StuckRestarts {
  readonly #last = new Map<string, PeerSnapshot>();
  readonly #bounds = new Map<string, Subscription>();
  readonly #boundMs: number;
  readonly #scheduler: SchedulerLike;
  readonly #onStuck: (userId: string) => void;

  constructor(boundMs: number, scheduler: SchedulerLike, onStuck: (userId: string) => void) {
    this.#boundMs = boundMs;
    this.#scheduler = scheduler;
    this.#onStuck = onStuck;
  }

  /** Every state change of every link; a new link (generation) starts clean. */
  observe(p: PeerSnapshot): void {
    const before = this.#last.get(p.userId);
    this.#last.set(p.userId, p);
    if (!checking(p) || before?.generation !== p.generation || checking(before)) return;
    this.#bounds.get(p.userId)?.unsubscribe();
    this.#bounds.set(
      p.userId,
      timer(this.#boundMs, this.#scheduler).subscribe(() => {
        this.#bounds.delete(p.userId);
        const now = this.#last.get(p.userId);
        if (now && !now.closed && now.generation === p.generation && checking(now)) this.#onStuck(p.userId);
      }),
    );
  }

  forget(userId: string): void {
    this.#last.delete(userId);
    this.#bounds.get(userId)?.unsubscribe();
    this.#bounds.delete(userId);
  }

  stop(): void {
    for (const userId of [...this.#last.keys()]) this.forget(userId);
  }
}
