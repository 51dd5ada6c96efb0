/**
 * Step 2 of an episode (only after the login resumed): ask for the conference back with the
 * original handle. If the socket died again meanwhile, log in again first, silently: the
 * episode has already reported its one LOGIN_RESUME_RESULT.
 */
import { mergeMap, type Observable, of, type SchedulerLike } from 'rxjs';
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
  type RetryLoop,
  replyOutcome,
  retryAttempts,
} from './retry-attempts.ts';

export interface ResumeConferenceOptions {
  ports: Pick<ResumePorts, 'resumeLogin' | 'resumeConference'>;
  loop: RetryLoop;
  conference: ConferenceContext;
  scheduler: SchedulerLike;
}

function needsLogin(cause: AttemptCause): boolean {
  return cause.kind === 'interrupted' || (cause.kind === 'retry' && cause.error.needsLogin);
}

export function resumeConference({
  ports,
  loop,
  conference,
  scheduler,
}: ResumeConferenceOptions): Observable<StageItem> {
  const resume = () => replyOutcome(ports.resumeConference(conference));
  const attempt = (cause: AttemptCause): Observable<AttemptOutcome<{ code: 0 } & ConfResumeInfo>> =>
    needsLogin(cause)
      ? replyOutcome(ports.resumeLogin()).pipe(
          mergeMap((login) =>
            login.ok
              ? resume()
              : // Still no login: the next attempt must log in again too.
                of<AttemptOutcome<{ code: 0 } & ConfResumeInfo>>({
                  ok: false,
                  error: { ...login.error, needsLogin: true },
                }),
          ),
        )
      : resume();

  return retryAttempts(attempt, loop).pipe(
    mergeMap((item): Observable<StageItem> => {
      if (item.type === 'attempt') return of({ type: 'event', event: { type: 'attempt-started' } });
      const at = scheduler.now();
      const { outcome } = item;
      if (!outcome.ok)
        return of(...failEpisode({ loginResumed: true, conference, error: outcome.error, at }));
      const info: ConfResumeInfo = outcome.value;
      const data: TSDK_S_RESUME_CONF_IND_INFO = {
        original_handle: conference.handle,
        join_conf_ind_info: info.info,
      };
      return of<StageItem[]>(
        { type: 'event', event: { type: 'conference-resumed', at, info } },
        { type: 'conference-resumed', info },
        notify(TsdkEvent.CONF_RESUME_RESULT, info.handle, TSDK_SUCCESS, data, at),
      );
    }),
  );
}
