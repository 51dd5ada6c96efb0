/**
 * Step 2 of an episode (only after the login resumed): ask for the conference back with the
 * original handle. If the socket died again meanwhile, log in again first, silently: the
 * episode has already reported its one LOGIN_RESUME_RESULT.
 *
 * An episode a media trigger started ends when media flows again, not when signaling is back
 * (spec §5): the facade takes the new handle at once (renegotiation needs it), and the RESULT
 * waits for `mediaRecovered`. If the signaling path breaks during that wait, the conference is
 * resumed again from the handle just taken; the RESULT still names the episode's original.
 */
import { concat, defer, map, mergeMap, type Observable, of, race, type SchedulerLike, take } from 'rxjs';
import {
  type ConfResumeInfo,
  type TSDK_S_RESUME_CONF_IND_INFO,
  TSDK_SUCCESS,
  TsdkEvent,
} from '../../../../shared/src/index.ts';
import { failEpisode } from './fail-episode.ts';
import { notify, type StageItem } from './outputs.ts';
import type { ConferenceContext, ResumePorts } from './ports.ts';
import {
  type AttemptCause,
  type AttemptOutcome,
  interruption,
  type RetryLoop,
  replyOutcome,
  retryAttempts,
} from './retry-attempts.ts';

export interface ResumeConferenceOptions {
  ports: Pick<ResumePorts, 'resumeLogin' | 'resumeConference' | 'mediaRecovered'>;
  loop: RetryLoop;
  conference: ConferenceContext;
  scheduler: SchedulerLike;
  /** The episode began with a media trigger: its RESULT waits for media to flow again. */
  awaitMedia?: boolean;
}

function needsLogin(cause: AttemptCause): boolean {
  return cause.kind === 'interrupted' || (cause.kind === 'retry' && cause.error.needsLogin);
}

export function resumeConference({
  ports,
  loop,
  conference,
  scheduler,
  awaitMedia = false,
}: ResumeConferenceOptions): Observable<StageItem> {
  type Outcome = AttemptOutcome<{ code: 0 } & ConfResumeInfo>;
  const run = (context: ConferenceContext, first: AttemptCause): Observable<StageItem> => {
    const resume = () => replyOutcome(ports.resumeConference(context));
    const attempt = (cause: AttemptCause): Observable<Outcome> =>
      needsLogin(cause)
        ? replyOutcome(ports.resumeLogin(context)).pipe(
            mergeMap((login) =>
              login.ok
                ? resume()
                : // Still no login: the next attempt must log in again too.
                  of<Outcome>({ ok: false, error: { ...login.error, needsLogin: true } }),
            ),
          )
        : resume();

    return retryAttempts(attempt, loop, first).pipe(
      mergeMap((item): Observable<StageItem> => {
        if (item.type === 'attempt') return of({ type: 'event', event: { type: 'attempt-started' } });
        const { outcome } = item;
        if (!outcome.ok)
          return of(
            ...failEpisode({ loginResumed: true, conference, error: outcome.error, at: scheduler.now() }),
          );
        const info: ConfResumeInfo = outcome.value;
        if (!awaitMedia) return of(...result(info));
        const since = scheduler.now();
        return concat(
          of<StageItem>({ type: 'conference-resumed', info }),
          race(
            ports.mediaRecovered().pipe(
              take(1),
              map(() => 'media' as const),
            ),
            interruption(loop, since),
          ).pipe(
            mergeMap((woke) =>
              woke === 'media'
                ? defer(() => of(...result(info).filter((i) => i.type !== 'conference-resumed')))
                : run({ ...context, handle: info.handle }, { kind: 'interrupted' }),
            ),
          ),
        );
      }),
    );
  };

  const result = (info: ConfResumeInfo): StageItem[] => {
    const at = scheduler.now();
    const data: TSDK_S_RESUME_CONF_IND_INFO = {
      original_handle: conference.handle,
      join_conf_ind_info: info.info,
    };
    return [
      { type: 'event', event: { type: 'conference-resumed', at, info } },
      { type: 'conference-resumed', info },
      notify(TsdkEvent.CONF_RESUME_RESULT, info.handle, TSDK_SUCCESS, data, at),
    ];
  };

  return run(conference, { kind: 'first' });
}
