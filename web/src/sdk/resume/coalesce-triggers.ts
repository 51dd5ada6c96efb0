/**
 * Triggers that arrive together (an address change fires `offline`, `online`, a socket close and
 * a `connection` change within milliseconds) become one. The first passes at once (no added
 * latency); later ones inside the window are folded into one that is emitted when the window
 * closes, so a broken signal arriving just after a suspect one is not lost.
 */
import {
  asyncScheduler,
  type MonoTypeOperatorFunction,
  Observable,
  type SchedulerLike,
  type Subscription,
} from 'rxjs';
import type { Trigger } from './ports.ts';
import { type TriggerClass, triggerClass } from './watch-network.ts';

export const DEFAULT_COALESCE_MS = 100;

export interface CoalesceOptions<T> {
  windowMs?: number;
  scheduler?: SchedulerLike;
  /** Folds a newer value into the pending one. Default: the newer one. */
  fold?: (pending: T, next: T) => T;
}

/** Leading edge at once, then at most one folded value per window. */
export function coalesce<T>(options: CoalesceOptions<T> = {}): MonoTypeOperatorFunction<T> {
  const windowMs = options.windowMs ?? DEFAULT_COALESCE_MS;
  const scheduler = options.scheduler ?? asyncScheduler;
  const fold = options.fold ?? ((_pending: T, next: T) => next);
  return (source) =>
    new Observable<T>((subscriber) => {
      let pending: { value: T } | null = null;
      let window: Subscription | null = null;
      let sourceDone = false;

      const open = (): void => {
        window = scheduler.schedule(() => {
          window = null;
          if (pending) {
            const { value } = pending;
            pending = null;
            subscriber.next(value);
            if (sourceDone) subscriber.complete();
            else open();
          } else if (sourceDone) {
            subscriber.complete();
          }
        }, windowMs);
      };

      const sub = source.subscribe({
        next: (value) => {
          if (window === null) {
            subscriber.next(value);
            open();
          } else {
            pending = { value: pending ? fold(pending.value, value) : value };
          }
        },
        error: (err) => subscriber.error(err),
        complete: () => {
          sourceDone = true;
          if (window === null) subscriber.complete();
        },
      });
      return () => {
        sub.unsubscribe();
        window?.unsubscribe();
      };
    });
}

const RANK: Record<TriggerClass, number> = { suspect: 0, 'suspect-until-deadline': 1, broken: 2 };

/**
 * A broken trigger outranks `offline`, which outranks a suspect one; between equals, the newer
 * wins. (A folded `offline` keeps its own `at`, so an `online` seen after it still counts.)
 */
export function foldTriggers(pending: Trigger, next: Trigger): Trigger {
  return RANK[triggerClass(next)] < RANK[triggerClass(pending)] ? pending : next;
}

export function coalesceTriggers(
  options: { windowMs?: number; scheduler?: SchedulerLike } = {},
): MonoTypeOperatorFunction<Trigger> {
  return coalesce<Trigger>({ ...options, fold: foldTriggers });
}
