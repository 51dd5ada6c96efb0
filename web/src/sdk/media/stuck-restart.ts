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

export interface StuckRestartsDeps {
  /** The last state seen of the participant's link. */
  current(userId: string): PeerSnapshot | undefined;
  onStuck(userId: string): void;
}

export class StuckRestarts {
  readonly #bounds = new Map<string, Subscription>();
  readonly #boundMs: number;
  readonly #scheduler: SchedulerLike;
  readonly #deps: StuckRestartsDeps;

  constructor(boundMs: number, scheduler: SchedulerLike, deps: StuckRestartsDeps) {
    this.#boundMs = boundMs;
    this.#scheduler = scheduler;
    this.#deps = deps;
  }

  /** A state change of a link, with the one before it; a new link (generation) starts clean. */
  observe(p: PeerSnapshot, before: PeerSnapshot | undefined): void {
    if (!checking(p) || before?.generation !== p.generation || checking(before)) return;
    this.forget(p.userId);
    this.#bounds.set(
      p.userId,
      timer(this.#boundMs, this.#scheduler).subscribe(() => {
        this.#bounds.delete(p.userId);
        const now = this.#deps.current(p.userId);
        if (now && !now.closed && now.generation === p.generation && checking(now))
          this.#deps.onStuck(p.userId);
      }),
    );
  }

  forget(userId: string): void {
    this.#bounds.get(userId)?.unsubscribe();
    this.#bounds.delete(userId);
  }

  stop(): void {
    for (const userId of [...this.#bounds.keys()]) this.forget(userId);
  }
}
