import { describe, expect, it } from 'vitest';
import { ResultCode } from '../../../shared/src/index.ts';
import { classifyError, resumeTimeout } from '../../../web/src/sdk/resume/classify-error.ts';
import { TransportError } from '../../../web/src/sdk/resume/ports.ts';

describe('classifyError', () => {
  it('definitive reply codes are not retryable', () => {
    for (const code of [
      ResultCode.RESUME_TOKEN_REJECTED,
      ResultCode.CONF_ENDED,
      ResultCode.HANDLE_SUPERSEDED,
      ResultCode.HANDLE_UNKNOWN,
    ]) {
      expect(classifyError({ code, message: 'no' })).toMatchObject({
        retryable: false,
        code,
        message: 'no',
        needsLogin: false,
      });
    }
    expect(classifyError({ code: ResultCode.CONF_ENDED, message: 'gone' }).reason).toBe('CONF_ENDED');
  });

  it('SERVER_UNAVAILABLE and RATE_LIMITED are retryable; retryAfterMs is kept', () => {
    expect(classifyError({ code: ResultCode.SERVER_UNAVAILABLE, message: '' })).toMatchObject({
      retryable: true,
    });
    const limited = classifyError({
      code: ResultCode.RATE_LIMITED,
      message: 'slow down',
      retryAfterMs: 1500,
    });
    expect(limited).toEqual({
      retryable: true,
      code: ResultCode.RATE_LIMITED,
      reason: 'RATE_LIMITED',
      message: 'slow down',
      needsLogin: false,
      retryAfterMs: 1500,
    });
  });

  it('a TransportError is retryable as SERVER_UNAVAILABLE and distrusts the socket', () => {
    const error = new TransportError('refused');
    expect(classifyError(error)).toEqual({
      retryable: true,
      code: ResultCode.SERVER_UNAVAILABLE,
      reason: 'SERVER_UNAVAILABLE',
      message: 'refused',
      needsLogin: true,
      cause: error,
    });
  });

  it('"log in first" refusals are fixed by a re-login', () => {
    expect(classifyError({ code: ResultCode.LOGIN_RESUME_REQUIRED, message: '' })).toMatchObject({
      retryable: true,
      needsLogin: true,
    });
  });

  it('any other error is a definitive INVALID_STATE', () => {
    expect(classifyError(new TypeError('bug'))).toMatchObject({
      retryable: false,
      code: ResultCode.INVALID_STATE,
      reason: 'INVALID_STATE',
      message: 'bug',
    });
    expect(classifyError('weird')).toMatchObject({ retryable: false, message: 'weird' });
  });

  it('resumeTimeout is RESUME_TIMEOUT, definitive', () => {
    expect(resumeTimeout(60_000)).toMatchObject({
      retryable: false,
      code: ResultCode.RESUME_TIMEOUT,
      reason: 'RESUME_TIMEOUT',
    });
  });
});
