/**
 * A suspect trigger (a `connection` change with nothing visibly broken) gets a cheap probe
 * first: no user-visible episode for a change that broke nothing. A broken trigger, or one that
 * arrives while probing, passes at once.
 */
import {
  asyncScheduler,
  catchError,
  defaultIfEmpty,
  defer,
  EMPTY,
  merge,
  mergeMap,
  NEVER,
  type Observable,
  of,
  race,
  type SchedulerLike,
  take,
  timeout,
} from 'rxjs';
import type { Trigger } from './ports.ts';
import { isSuspect } from './watch-network.ts';

export const DEFAULT_PROBE_TIMEOUT_MS = 3_000;

export interface ConfirmOptions {
  probe: () => Observable<boolean>;
  /** Hot: later triggers (a broken one cuts the probe short). */
  triggers$: Observable<Trigger>;
  scheduler?: SchedulerLike;
  /** A probe that has not answered by then counts as unhealthy. */
  probeTimeoutMs?: number;
}

/** Emits the trigger that should start an episode, or completes empty. */
export function confirmTrigger(trigger: Trigger, options: ConfirmOptions): Observable<Trigger> {
  if (!isSuspect(trigger)) return of(trigger);
  const scheduler = options.scheduler ?? asyncScheduler;
  const probed$ = defer(() => options.probe()).pipe(
    take(1),
    timeout({ first: options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS, scheduler }),
    // Anything but a clear "healthy" is treated as broken: a needless resume is cheaper than a dead meeting.
    catchError(() => of(false)),
    defaultIfEmpty(false),
    mergeMap((healthy) => (healthy ? EMPTY : of(trigger))),
  );
  // NEVER: the end of the trigger stream must not end the race before the probe answers.
  const broken$ = merge(options.triggers$, NEVER).pipe(
    mergeMap((next) => (isSuspect(next) ? EMPTY : of(next))),
    take(1),
  );
  return race(probed$, broken$);
}
