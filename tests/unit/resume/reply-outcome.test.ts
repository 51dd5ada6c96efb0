/**
 * One port reply as an attempt's outcome (retry-attempts.ts `replyOutcome`): a success, a
 * refusal classified, and a port that ends without replying or errors counted as a retryable
 * transport failure.
 */
import { EMPTY, firstValueFrom, of, throwError } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ResultCode } from '../../../shared/src/index.ts';
import { TransportError } from '../../../web/src/sdk/resume/ports.ts';
import { replyOutcome } from '../../../web/src/sdk/resume/retry-attempts.ts';

describe('replyOutcome', () => {
  it('a success reply is the value', async () => {
    const outcome = await firstValueFrom(replyOutcome(of({ code: 0 as const, handle: 7 })));
    expect(outcome).toEqual({ ok: true, value: { code: 0, handle: 7 } });
  });

  it('a refusal is classified by its code', async () => {
    const reply = { code: ResultCode.RESUME_TOKEN_REJECTED, message: 'no' };
    const outcome = await firstValueFrom(replyOutcome(of(reply)));
    expect(outcome).toMatchObject({
      ok: false,
      error: { reason: 'RESUME_TOKEN_REJECTED', retryable: false },
    });
  });

  it('a port that completes without a reply is a retryable transport failure', async () => {
    const outcome = await firstValueFrom(replyOutcome(EMPTY));
    expect(outcome).toMatchObject({ ok: false, error: { retryable: true, message: 'no reply' } });
  });

  it('a port that errors is classified from its error', async () => {
    const outcome = await firstValueFrom(replyOutcome(throwError(() => new TransportError('socket gone'))));
    expect(outcome).toMatchObject({ ok: false, error: { retryable: true, message: 'socket gone' } });
  });
});
