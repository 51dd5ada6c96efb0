/**
 * Retry is a policy object (conventions §7): one method, given where the episode stands, returns
 * the delay before the next try or `null` to stop retrying on a timer.
 */
import { RESUME_WINDOW_MS } from '../../../../shared/src/index.ts';

export interface RetryContext {
  /** Retries already made since the last fresh start (0 → this is the first retry). */
  retryCount: number;
  /** Time since the episode started. */
  elapsedMs: number;
  /** Why the last attempt failed (a result code name). */
  reason: string;
}

export interface RetryPolicy {
  nextDelayMs(ctx: RetryContext): number | null;
}

export interface FullJitterOptions {
  /** Backoff base: the ceiling of the second retry. */
  baseMs?: number;
  /** Ceiling of the exponential backoff, applied before the jitter. */
  capMs?: number;
  /** The window the episode must stay inside. */
  windowMs?: number;
  /** [0, 1) source; injectable for tests. */
  random?: () => number;
}

/** Meeting-friendly defaults: retries stay frequent (≤ 5 s apart) because users are waiting. */
export const DEFAULT_RETRY_BASE_MS = 250;
export const DEFAULT_RETRY_CAP_MS = 5_000;

/**
 * Exponential backoff with full jitter applied *after* the cap, so that after a shared outage
 * clients spread over [0, cap] instead of retrying in lock-step at the cap (environment.md).
 * The first retry is immediate.
 */
export function fullJitterPolicy(options: FullJitterOptions = {}): RetryPolicy {
  const baseMs = options.baseMs ?? DEFAULT_RETRY_BASE_MS;
  const capMs = options.capMs ?? DEFAULT_RETRY_CAP_MS;
  const windowMs = options.windowMs ?? RESUME_WINDOW_MS;
  const random = options.random ?? Math.random;
  return {
    nextDelayMs({ retryCount, elapsedMs }) {
      const ceiling = retryCount <= 0 ? 0 : Math.min(capMs, baseMs * 2 ** (retryCount - 1));
      const delay = Math.floor(random() * ceiling);
      return elapsedMs + delay >= windowMs ? null : delay;
    },
  };
}
