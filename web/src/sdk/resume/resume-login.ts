/**
 * Step 1 of an episode: a new socket presents the resume token (retried inside the window).
 * Reports the same progress events as a normal login, then LOGIN_RESUME_RESULT.
 */
import { mergeMap, type Observable, of, type SchedulerLike } from 'rxjs';
import { ResultCode, type SessionInfo, TSDK_SUCCESS, TsdkEvent } from '../../../../shared/src/index.ts';
import { failEpisode } from './fail-episode.ts';
import { failureData, notify, type StageItem } from './outputs.ts';
import type { ConferenceContext, ResumePorts } from './ports.ts';
import { type RetryLoop, replyOutcome, retryAttempts } from './retry-attempts.ts';

/** Refusals a normal login reports as AUTH_FAILED (anything else definitive: LOGIN_FAILED). */
const AUTH_REFUSALS: ReadonlySet<number> = new Set([
  ResultCode.RESUME_TOKEN_REJECTED,
  ResultCode.AUTH_REJECTED,
  ResultCode.GUEST_NOT_ALLOWED,
]);

export interface ResumeLoginOptions {
  ports: Pick<ResumePorts, 'resumeLogin'>;
  loop: RetryLoop;
  /** The episode's conference: a failure here also ends the conference resume. */
  conference: ConferenceContext | null;
  scheduler: SchedulerLike;
}

export function resumeLogin({
  ports,
  loop,
  conference,
  scheduler,
}: ResumeLoginOptions): Observable<StageItem> {
  return retryAttempts(() => replyOutcome(ports.resumeLogin(conference)), loop).pipe(
    mergeMap((item): Observable<StageItem> => {
      if (item.type === 'attempt') return of({ type: 'event', event: { type: 'attempt-started' } });
      const at = scheduler.now();
      const { outcome } = item;
      if (outcome.ok) {
        const session: SessionInfo = outcome.value;
        return of<StageItem[]>(
          { type: 'event', event: { type: 'login-resumed', at, session } },
          { type: 'login-resumed', session },
          notify(TsdkEvent.AUTH_SUCCESS, 0, 0, {}, at),
          notify(TsdkEvent.LOGIN_SUCCESS, 0, 0, {}, at),
          notify(TsdkEvent.LOGIN_RESUME_RESULT, 0, TSDK_SUCCESS, {}, at),
        );
      }
      const { error } = outcome;
      const progress = AUTH_REFUSALS.has(error.code) ? TsdkEvent.AUTH_FAILED : TsdkEvent.LOGIN_FAILED;
      return of<StageItem[]>(
        notify(progress, 0, error.code, failureData(error), at),
        ...failEpisode({ loginResumed: false, conference, error, at }),
      );
    }),
  );
}
