import type { BucketConfig, QuotaConfig } from '../quotas.ts';
import { intVar, limitVar } from './env-vars.ts';

/**
 * Attempts allowed per fixed window (spec §7: login and resume, per user and per address).
 * Refusals are RATE_LIMITED with `retryAfterMs`. "Address" is the client IP; IPv6 counts per
 * /64 (one host owns a whole /64), IPv4-mapped IPv6 as IPv4. Behind a reverse proxy every
 * client shares the proxy's address: raise the per-address limits or terminate there.
 */
export interface RateLimitConfig {
  windowMs: number;
  /**
   * `login` attempts from one address (300). Logins of a NAT'd office are spread over the
   * morning; this bounds one host's scrypt work and password spraying across many accounts.
   */
  perAddress: number;
  /** `login` attempts against one account name, with a password (20): password guessing. */
  perAccount: number;
  /** Guest `login`s with one display name (60): no secret to guess, only a flood to stop. */
  perGuestName: number;
  /**
   * `resume` attempts from one address (6000). Resumes are synchronized: one Wi-Fi outage makes
   * a whole office behind one NAT address resume in the same minute, some of them more than
   * once, so this must stay far above "people behind one address" (1000 resumes/min must pass,
   * with 6x headroom). Tokens have 256 bits, so the limit is load shedding, not what stops
   * guessing; a guessed token fails and consumes nothing.
   */
  resumePerAddress: number;
  /**
   * Successful `resume`s of one login session (60): a network flapping every few seconds for
   * a minute passes; a client stuck in a resume loop is slowed. A refused resume keeps its token.
   */
  resumePerSession: number;
  /**
   * Failed `conf:resume`s of one login session (30): a real client fails at most a few times
   * per episode (each failure is definitive); probing other people's handles is cut short.
   */
  confResumeFailuresPerSession: number;
}

export const DEFAULT_RATE_LIMITS: Readonly<RateLimitConfig> = {
  windowMs: 60_000,
  perAddress: 300,
  perAccount: 20,
  perGuestName: 60,
  resumePerAddress: 6_000,
  resumePerSession: 60,
  confResumeFailuresPerSession: 30,
};

/** RATE_LIMIT_WINDOW_MS and the RATE_LIMIT_* attempts per window. */
export function rateLimitVars(env: NodeJS.ProcessEnv, base: RateLimitConfig): RateLimitConfig {
  return {
    windowMs: intVar(env, 'RATE_LIMIT_WINDOW_MS', base.windowMs, 1, 86_400_000),
    perAddress: limitVar(env, 'RATE_LIMIT_PER_ADDRESS', base.perAddress),
    perAccount: limitVar(env, 'RATE_LIMIT_PER_ACCOUNT', base.perAccount),
    perGuestName: limitVar(env, 'RATE_LIMIT_PER_GUEST_NAME', base.perGuestName),
    resumePerAddress: limitVar(env, 'RATE_LIMIT_RESUME_PER_ADDRESS', base.resumePerAddress),
    resumePerSession: limitVar(env, 'RATE_LIMIT_RESUME_PER_SESSION', base.resumePerSession),
    confResumeFailuresPerSession: limitVar(
      env,
      'RATE_LIMIT_CONF_RESUME_FAILURES',
      base.confResumeFailuresPerSession,
    ),
  };
}

/** The QUOTA_* variables: a bucket per kind of event, and when a socket is cut off. */
export function quotaVars(env: NodeJS.ProcessEnv, base: QuotaConfig): QuotaConfig {
  return {
    chat: bucketVars(env, 'CHAT', base.chat),
    signal: bucketVars(env, 'SIGNAL', base.signal),
    signalBytes: bucketVars(env, 'SIGNAL_BYTES', base.signalBytes),
    control: bucketVars(env, 'CONTROL', base.control),
    disconnectAfter: limitVar(env, 'QUOTA_DISCONNECT_AFTER', base.disconnectAfter),
    slowReadingAfter: limitVar(env, 'QUOTA_SLOW_READING_AFTER', base.slowReadingAfter),
  };
}

/** QUOTA_<NAME>_BURST and QUOTA_<NAME>_PER_MIN. */
function bucketVars(env: NodeJS.ProcessEnv, name: string, base: BucketConfig): BucketConfig {
  return {
    burst: intVar(env, `QUOTA_${name}_BURST`, base.burst, 1, 1_000_000_000),
    perMinute: intVar(env, `QUOTA_${name}_PER_MIN`, base.perMinute, 1, 10_000_000_000),
  };
}
