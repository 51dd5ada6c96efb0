/**
 * The attempt loop shared by the login and the conference step. One attempt at a time; a
 * success or a definitive failure ends the loop; a transient failure waits what the policy says
 * (or `retryAfterMs`, if longer) and tries again. Never tries while offline: it waits for the
 * network and then tries at once. An interruption (a trigger saying the signaling path moved,
 * or the network going away) aborts the attempt in flight and starts over at once.
 * The loop never gives up by itself: the episode's deadline (`abandon-after`) ends it.
 */
import {
  catchError,
  concat,
  defer,
  filter,
  map,
  merge,
  mergeMap,
  NEVER,
  type Observable,
  of,
  race,
  type SchedulerLike,
  take,
  throwIfEmpty,
  timer,
} from 'rxjs';
import { type Reply, ResultCode } from '../../../../shared/src/index.ts';
import { type ClassifiedError, classifyError } from './classify-error.ts';
import { TransportError } from './ports.ts';
import type { RetryPolicy } from './retry-policy.ts';
import { networkLost, waitForNetwork } from './wait-for-network.ts';

export type AttemptOutcome<T> = { ok: true; value: T } | { ok: false; error: ClassifiedError };

/** Why this attempt is being made. */
export type AttemptCause =
  | { kind: 'first' }
  | { kind: 'retry'; error: ClassifiedError }
  /** The previous attempt was aborted, or the network came back: the old socket is suspect. */
  | { kind: 'interrupted' };

export type RetryItem<T> =
  | { type: 'attempt'; cause: AttemptCause }
  | { type: 'outcome'; outcome: AttemptOutcome<T> };

export interface RetryLoop {
  policy: RetryPolicy;
  scheduler: SchedulerLike;
  /** Episode start: `elapsedMs` for the policy counts from here. */
  startedAt: number;
  /** Current value at subscription, then changes. */
  online$: Observable<boolean>;
  /**
   * Hot: each emission aborts the attempt in flight (or cuts a backoff short), unless its `at`
   * (when the change was first seen) is not later than the attempt's start.
   */
  interrupt$: Observable<{ at?: number }>;
}

/** One port reply as an outcome; a port that errors or ends without replying is a transport failure. */
export function replyOutcome<T extends object>(
  reply$: Observable<Reply<T>>,
): Observable<AttemptOutcome<{ code: 0 } & T>> {
  return reply$.pipe(
    take(1),
    map(
      (reply): AttemptOutcome<{ code: 0 } & T> =>
        reply.code === ResultCode.TSDK_SUCCESS
          ? { ok: true, value: reply as { code: 0 } & T }
          : { ok: false, error: classifyError(reply) },
    ),
    // Lazily: an error built on every call (stack and all) cost a storm's clients more than
    // any other single function of the SDK (bench:storm --profile).
    throwIfEmpty(() => new TransportError('no reply')),
    catchError((err: unknown) =>
      of<AttemptOutcome<{ code: 0 } & T>>({ ok: false, error: classifyError(err) }),
    ),
  );
}

const INTERRUPTED = Symbol('interrupted');

/**
 * Emits once (never completes first) when the loop's signaling path is interrupted after `at`:
 * a trigger seen later than `at` (a coalesced trigger may be emitted late, its `at` stays early,
 * and one seen at or before `at` describes a change what started then already sees), or the
 * network going away.
 */
export function interruption(loop: RetryLoop, at: number): Observable<typeof INTERRUPTED> {
  const { scheduler, online$ } = loop;
  // NEVER keeps this from completing: a race must not be won by a completion.
  return merge(
    loop.interrupt$.pipe(filter((trigger) => (trigger.at ?? scheduler.now()) > at)),
    networkLost(online$),
    NEVER,
  ).pipe(
    take(1),
    map(() => INTERRUPTED),
  );
}

export function retryAttempts<T>(
  attempt: (cause: AttemptCause) => Observable<AttemptOutcome<T>>,
  loop: RetryLoop,
  first: AttemptCause = { kind: 'first' },
): Observable<RetryItem<T>> {
  const { policy, scheduler, startedAt, online$ } = loop;
  const interruptedAfter = (at: number) => interruption(loop, at);

  const backoff = (error: ClassifiedError, retryCount: number): Observable<RetryItem<T>> =>
    defer(() => {
      const elapsedMs = scheduler.now() - startedAt;
      const planned = policy.nextDelayMs({ retryCount, elapsedMs, reason: error.reason });
      // null: no timed retry left in the window; only an interruption may still try.
      const delay = planned === null ? null : Math.max(planned, error.retryAfterMs ?? 0);
      const timer$ = delay === null ? NEVER : timer(delay, scheduler);
      return race(timer$, interruptedAfter(-Infinity)).pipe(
        mergeMap((woke) =>
          woke === INTERRUPTED
            ? run({ kind: 'interrupted' }, 0)
            : run({ kind: 'retry', error }, retryCount + 1),
        ),
      );
    });

  const run = (cause: AttemptCause, retryCount: number): Observable<RetryItem<T>> =>
    concat(
      waitForNetwork(online$),
      defer(() =>
        concat(
          of<RetryItem<T>>({ type: 'attempt', cause }),
          race(
            interruptedAfter(scheduler.now()),
            defer(() => attempt(cause)),
          ).pipe(
            take(1),
            mergeMap((result): Observable<RetryItem<T>> => {
              if (result === INTERRUPTED) return run({ kind: 'interrupted' }, 0);
              if (result.ok || !result.error.retryable) return of({ type: 'outcome', outcome: result });
              return backoff(result.error, retryCount);
            }),
          ),
        ),
      ),
    );

  return run(first, 0);
}
