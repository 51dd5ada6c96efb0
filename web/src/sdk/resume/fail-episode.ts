/**
 * The end of a failed episode: exactly one LOGIN_RESUME_RESULT (unless the login already
 * resumed and reported its own) and, in a conference, exactly one CONF_RESUME_RESULT carrying
 * the *original* handle.
 */
import { TsdkEvent } from '../../../../shared/src/index.ts';
import type { ClassifiedError } from './classify-error.ts';
import { failureData, notify, type StageItem } from './outputs.ts';
import type { ConferenceContext } from './ports.ts';

export interface EpisodeFailure {
  /** The login resume already reported its RESULT (success). */
  loginResumed: boolean;
  conference: ConferenceContext | null;
  error: ClassifiedError;
  at: number;
}

export function failEpisode({ loginResumed, conference, error, at }: EpisodeFailure): StageItem[] {
  const data = failureData(error);
  const items: StageItem[] = [
    { type: 'event', event: { type: 'failed', at, code: error.code } },
    { type: 'failed', code: error.code, originalHandle: conference?.handle ?? null },
  ];
  if (!loginResumed) items.push(notify(TsdkEvent.LOGIN_RESUME_RESULT, 0, error.code, data, at));
  if (conference) items.push(notify(TsdkEvent.CONF_RESUME_RESULT, conference.handle, error.code, data, at));
  return items;
}
