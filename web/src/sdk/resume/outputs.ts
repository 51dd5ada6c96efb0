/**
 * What the pipeline hands the facade, and what its stages emit on the way (internal events
 * that the pipeline folds into state, plus the outputs themselves).
 */
import type {
  ConfResumeInfo,
  SessionInfo,
  TsdkEventName,
  TsdkFailureData,
  TsdkNotification,
} from '../../../../shared/src/index.ts';
import type { ClassifiedError } from './classify-error.ts';
import type { ResumeEvent, ResumeState } from './state.ts';

export type ResumeOutput =
  /** A TSDK notification to deliver, in order, to every subscriber of `notify$`. */
  | { type: 'notify'; notification: TsdkNotification }
  /** The new state after every internal event. */
  | { type: 'state'; state: ResumeState }
  /** The login session is back (once per episode; the port already stored the new token). */
  | { type: 'login-resumed'; session: SessionInfo }
  /** The conference is back: keep `info.handle`, rebind media, apply `info.replay`. */
  | { type: 'conference-resumed'; info: ConfResumeInfo }
  /** The episode failed: leave the meeting view and clear the conference records (if any). */
  | { type: 'failed'; code: number; originalHandle: number | null };

/** What stages emit: outputs, plus internal events the pipeline turns into `state` outputs. */
export type StageItem = Exclude<ResumeOutput, { type: 'state' }> | { type: 'event'; event: ResumeEvent };

export function notify<D>(
  event: TsdkEventName,
  param1: number,
  param2: number,
  data: D,
  at: number,
): StageItem {
  return { type: 'notify', notification: { event, param1, param2, data, at } };
}

export function failureData(error: ClassifiedError): TsdkFailureData {
  return { reason: error.reason, message: error.message };
}
