/** Shared by the pipeline suites (pipeline-*.test.ts): triggers, the timeout code, a fixed retry policy. */
import { ResultCode } from '../../../shared/src/index.ts';
import type { Trigger } from '../../../web/src/sdk/resume/ports.ts';
import type { RetryPolicy } from '../../../web/src/sdk/resume/retry-policy.ts';

export const T = (reason: Trigger['reason']): Trigger => ({ reason });
export const TIMEOUT = ResultCode.RESUME_TIMEOUT;

/** A policy with fixed delays, to make retry timing exact. */
export const fixedPolicy = (...delays: number[]): RetryPolicy & { calls: unknown[] } => {
  const calls: unknown[] = [];
  return {
    calls,
    nextDelayMs(ctx) {
      calls.push(ctx);
      return delays[Math.min(ctx.retryCount, delays.length - 1)] ?? null;
    },
  };
};
