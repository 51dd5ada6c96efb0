/**
 * The resume pipeline: composes the stages, nothing more.
 *
 *   triggers$ → coalesce → (one episode at a time) confirm the trigger (a probe for a suspect
 *   one; a grace, then a probe, for `offline`) → start episode → resume login → resume
 *   conference (if in one), the whole episode bounded by the resume window (abandon-after).
 *   Stages emit outputs and internal events; the events go through the pure reducer and come
 *   out as `state` outputs.
 *
 * Ordering inside one instant: `state`, then the facade's action (`login-resumed`,
 * `conference-resumed`, `failed`), then the TSDK notifications — so by the time an app sees a
 * RESULT, the facade has already applied it.
 */
import {
  asyncScheduler,
  BehaviorSubject,
  concat,
  defer,
  distinctUntilChanged,
  EMPTY,
  exhaustMap,
  filter,
  from,
  ignoreElements,
  map,
  merge,
  type Observable,
  type SchedulerLike,
  share,
  switchMap,
  tap,
} from 'rxjs';
import { RESUME_WINDOW_MS } from '../../../../shared/src/index.ts';
import { abandonAfter } from './abandon-after.ts';
import { resumeTimeout } from './classify-error.ts';
import { coalesceTriggers, DEFAULT_COALESCE_MS } from './coalesce-triggers.ts';
import {
  confirmTrigger,
  DEFAULT_PROBE_TIMEOUT_MS,
  type NetworkState,
  OFFLINE_GRACE_MS,
} from './confirm-trigger.ts';
import { failEpisode } from './fail-episode.ts';
import type { ResumeOutput, StageItem } from './outputs.ts';
import type { ResumePorts, Trigger } from './ports.ts';
import { resumeConference } from './resume-conference.ts';
import { resumeLogin } from './resume-login.ts';
import type { RetryLoop } from './retry-attempts.ts';
import { fullJitterPolicy, type RetryPolicy } from './retry-policy.ts';
import { startEpisode } from './start-episode.ts';
import { IDLE, type ResumeState, reduceResumeState } from './state.ts';
import { interruptsAttempt, isMediaTrigger } from './watch-network.ts';

export type { ResumeOutput } from './outputs.ts';

export interface ResumePipelineOptions {
  /** Every network trigger (see `watchNetwork`); hot. */
  triggers$: Observable<Trigger>;
  /** Whether the network is usable (see `watchOnline`); should emit its current value on subscription. Assumed true until it emits. */
  online$: Observable<boolean>;
  ports: ResumePorts;
  scheduler?: SchedulerLike;
  /** Default: full jitter, 250 ms base, 5 s cap, bounded by `windowMs`. */
  policy?: RetryPolicy;
  /** Default RESUME_WINDOW_MS (60 s). */
  windowMs?: number;
  /** Default 100 ms. */
  coalesceMs?: number;
  /** Default 3 s. */
  probeTimeoutMs?: number;
  /** How long `offline` may last, outside an episode, before it starts one. Default OFFLINE_GRACE_MS (1 s). */
  offlineGraceMs?: number;
}

export function createResumePipeline(options: ResumePipelineOptions): Observable<ResumeOutput> {
  const scheduler = options.scheduler ?? asyncScheduler;
  const windowMs = options.windowMs ?? RESUME_WINDOW_MS;
  const policy = options.policy ?? fullJitterPolicy({ windowMs });
  const { ports } = options;

  return defer(() => {
    let state: ResumeState = IDLE;
    // Since when, too: an `offline` is forgiven only if the network came back after it.
    const network = new BehaviorSubject<NetworkState>({ online: true, since: Number.NEGATIVE_INFINITY });
    const online$ = network.pipe(
      map((n) => n.online),
      distinctUntilChanged(),
    );
    const triggers$ = options.triggers$.pipe(
      map((trigger): Trigger => ({ ...trigger, at: trigger.at ?? scheduler.now() })),
      coalesceTriggers({ windowMs: options.coalesceMs ?? DEFAULT_COALESCE_MS, scheduler }),
      share(),
    );

    /** When the latest attempt began: triggers seen before it describe what it already handled. */
    let lastAttemptAt = Number.NEGATIVE_INFINITY;

    const toOutput = (item: StageItem): ResumeOutput => {
      if (item.type !== 'event') return item;
      if (item.event.type === 'attempt-started') lastAttemptAt = scheduler.now();
      state = reduceResumeState(state, item.event);
      return { type: 'state', state };
    };

    const runEpisode = (trigger: Trigger): Observable<StageItem> =>
      defer(() => {
        const at = scheduler.now();
        const conference = ports.conference();
        const loop: RetryLoop = {
          policy,
          scheduler,
          startedAt: at,
          online$,
          interrupt$: triggers$.pipe(filter(interruptsAttempt)),
        };
        return concat(
          from(startEpisode({ trigger, conference, at, windowMs })),
          resumeLogin({ ports, loop, conference, scheduler }),
          // The conference resume never starts before the login resume succeeded.
          defer(() =>
            state.kind === 'resuming-conference'
              ? resumeConference({
                  ports,
                  loop,
                  conference: state.conference,
                  scheduler,
                  awaitMedia: isMediaTrigger(trigger),
                })
              : EMPTY,
          ),
        ).pipe(
          abandonAfter({
            deadline: at + windowMs,
            scheduler,
            abandon: () =>
              failEpisode({
                loginResumed: state.kind === 'resuming-conference',
                conference,
                error: resumeTimeout(windowMs),
                at: scheduler.now(),
              }),
          }),
        );
      });

    const episodes$ = triggers$.pipe(
      // A coalesced trigger can be emitted after the episode it belonged to has ended; a change
      // seen before the last attempt began was already handled by it and starts nothing new.
      filter((trigger) => (trigger.at ?? scheduler.now()) > lastAttemptAt),
      // One confirmation or episode at a time: triggers meanwhile are seen by it (a broken one
      // cuts a probe or a grace short; interrupt$ inside an episode), not here.
      exhaustMap((trigger) =>
        confirmTrigger(trigger, {
          probe: () => ports.probe(),
          triggers$,
          scheduler,
          probeTimeoutMs: options.probeTimeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS,
          network$: network,
          offlineGraceMs: options.offlineGraceMs ?? OFFLINE_GRACE_MS,
        }).pipe(switchMap(runEpisode)),
      ),
      map(toOutput),
    );

    return merge(
      options.online$.pipe(
        tap((value) => {
          if (value !== network.value.online) network.next({ online: value, since: scheduler.now() });
        }),
        ignoreElements(),
      ),
      episodes$,
    );
  });
}
