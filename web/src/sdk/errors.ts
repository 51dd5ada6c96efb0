import { ResultCode, resultCodeName } from '../../../shared/src/index.ts';

/**
 * What every failed SDK call rejects with: a TSDK result code, its name as `reason`, and the
 * underlying `cause` (a transport error, a server message) when there is one.
 */
export class MeetingError extends Error {
  override readonly name = 'MeetingError';
  readonly reason: string;
  constructor(
    readonly code: number,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.reason = resultCodeName(code);
  }
}

export function invalidState(message: string): MeetingError {
  return new MeetingError(ResultCode.INVALID_STATE, message);
}
