/**
 * The one place where a failure becomes retryable or definitive (conventions §8). The retry
 * loop reads only this classification.
 */
import { type Failure, isRetryable, ResultCode, resultCodeName } from '../../../../shared/src/index.ts';
import { TransportError } from './ports.ts';

export interface ClassifiedError {
  /** Worth another attempt inside the window. */
  retryable: boolean;
  /** The result code (never TSDK_SUCCESS). */
  code: number;
  /** The code's constant name, e.g. 'RESUME_TOKEN_REJECTED'. */
  reason: string;
  message: string;
  /** The socket can no longer be trusted: log in again (silently) before the next step. */
  needsLogin: boolean;
  /** From a RATE_LIMITED reply: the earliest moment worth trying again. */
  retryAfterMs?: number;
  cause?: unknown;
}

/** Codes that mean "this socket has no resumed login": fixed by logging in again. */
const NEEDS_LOGIN: ReadonlySet<number> = new Set([
  ResultCode.LOGIN_RESUME_REQUIRED,
  ResultCode.NOT_LOGGED_IN,
]);

function isFailure(value: unknown): value is Failure {
  if (typeof value !== 'object' || value === null) return false;
  const { code } = value as { code?: unknown };
  return typeof code === 'number' && code !== ResultCode.TSDK_SUCCESS;
}

function isTransportError(value: unknown): boolean {
  // `name` too: an error built by another copy of the class (another bundle) still counts.
  return value instanceof TransportError || (value instanceof Error && value.name === 'TransportError');
}

export function classifyError(failure: unknown): ClassifiedError {
  if (isFailure(failure)) {
    const needsLogin = NEEDS_LOGIN.has(failure.code);
    const classified: ClassifiedError = {
      // A "log in first" refusal is not retryable as such, but a silent re-login fixes it.
      retryable: isRetryable(failure.code) || needsLogin,
      code: failure.code,
      reason: resultCodeName(failure.code),
      message: typeof failure.message === 'string' ? failure.message : '',
      needsLogin,
    };
    if (typeof failure.retryAfterMs === 'number' && failure.retryAfterMs > 0) {
      classified.retryAfterMs = failure.retryAfterMs;
    }
    return classified;
  }
  if (isTransportError(failure)) {
    return {
      retryable: true,
      code: ResultCode.SERVER_UNAVAILABLE,
      reason: resultCodeName(ResultCode.SERVER_UNAVAILABLE),
      message: (failure as Error).message,
      needsLogin: true,
      cause: failure,
    };
  }
  // Anything else is a bug in a port, not the network: retrying it would only burn the window.
  return {
    retryable: false,
    code: ResultCode.INVALID_STATE,
    reason: resultCodeName(ResultCode.INVALID_STATE),
    message: failure instanceof Error ? failure.message : String(failure),
    needsLogin: false,
    cause: failure,
  };
}

/** The failure that ends an episode whose window is spent. */
export function resumeTimeout(windowMs: number): ClassifiedError {
  return {
    retryable: false,
    code: ResultCode.RESUME_TIMEOUT,
    reason: resultCodeName(ResultCode.RESUME_TIMEOUT),
    message: `not resumed within ${windowMs} ms`,
    needsLogin: false,
  };
}
