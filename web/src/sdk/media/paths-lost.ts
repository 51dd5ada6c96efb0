/**
 * What a lost address (lost-address.ts) sets off: the links that rode it are rebuilt, and if our
 * signaling socket rode it too, an episode resumes the session on a new socket while the
 * rebuilds' signals wait for that episode's new handle.
 *
 * The new socket is the longer way to media flowing again (it opens, the server resumes, the
 * other side learns of it and offers), so it goes first and the rebuilds wait until the page has
 * nothing more urgent to run. Building links (a peer connection made, the old one closed) holds
 * the main thread: rebuilt in the trigger's task, they delayed the WebSocket; in the next task,
 * its `open` event. In bench:peers' dual-homed trace (8 runs of each, interleaved),
 * CONF_RESUMING_IND → socket open took 23–66 ms (median 37) against 65–123 (82). In that lab the
 * resume's reply came no sooner (median 131 against 128 ms): the rebuild then shares its two
 * cores with the server and both browsers. On a machine with cores to spare it need not.
 */
import { type SchedulerLike, Subscription } from 'rxjs';

/** The longest a rebuild waits for the page to be idle. */
export const REBUILD_IDLE_MAX_MS = 50;

export interface PathsLostDeps {
  inConference(): boolean;
  /** When (the clock of `seenAt`) our signaling socket last connected. */
  socketConnectedAt(): number;
  /** Outgoing signals wait for the episode's new handle. */
  holdSignals(): void;
  /** The `address-lost` resume trigger. */
  trigger(): void;
  rebuild(userIds: readonly string[]): void;
  /** Runs the work once nothing more urgent waits (idleTask). */
  whenIdle(work: () => void): Subscription;
}

export interface PathsLostHandler {
  /** lost-address.ts's `onLost`. */
  onLost(loss: { userIds: string[]; seenAt: number }): void;
  /** The rebuilds still to come: unsubscribe to drop them (the client stopped). */
  readonly pending: Subscription;
}

export function handlePathsLost(deps: PathsLostDeps): PathsLostHandler {
  const pending = new Subscription();
  const rebuild = (userIds: readonly string[]) => {
    if (deps.inConference()) deps.rebuild(userIds);
  };
  return {
    pending,
    onLost({ userIds, seenAt }) {
      if (!deps.inConference()) return;
      // A socket that connected while the address was still there may ride it.
      if (!(deps.socketConnectedAt() < seenAt)) {
        rebuild(userIds);
        return;
      }
      deps.holdSignals();
      deps.trigger();
      pending.add(deps.whenIdle(() => rebuild(userIds)));
    },
  };
}

interface IdleHost {
  requestIdleCallback?: (run: () => void, options: { timeout: number }) => number;
  cancelIdleCallback?: (id: number) => void;
}

/**
 * `requestIdleCallback` where the browser has it (tasks such as a WebSocket's events run first;
 * `maxWaitMs` bounds the wait on a page that is never idle), else the scheduler's next task.
 */
export function idleTask(
  work: () => void,
  {
    maxWaitMs,
    scheduler,
    host = globalThis as IdleHost,
  }: { maxWaitMs: number; scheduler: SchedulerLike; host?: IdleHost },
): Subscription {
  const { requestIdleCallback: request, cancelIdleCallback: cancel } = host;
  if (typeof request !== 'function' || typeof cancel !== 'function') return scheduler.schedule(work);
  const id = request.call(host, work, { timeout: maxWaitMs });
  return new Subscription(() => cancel.call(host, id));
}
