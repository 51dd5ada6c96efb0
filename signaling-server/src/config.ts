import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { isPasswordHash } from './passwords.ts';

/**
 * Server configuration, from environment variables:
 * - PORT (3000), HOST (0.0.0.0)
 * - STATIC_DIR: the built web app (default `dist/web` under the repo root; a relative value
 *   is taken from the working directory)
 * - ALLOW_GUESTS (true): guests log in with a display name only; `false`/`0`/`no` turns it off
 * - ACCOUNTS_FILE: optional JSON `[{ "name": "alice", "passwordHash": "scrypt$<salt>$<hash>" }]`;
 *   make an entry with `npx tsx signaling-server/src/hash-password.ts <name> <password>`
 * - LOG_LEVEL (info)
 * - REDIS_URL: unset (default) keeps everything in this process; `redis://host:port/db` makes
 *   this process one of several sharing that Redis (store, deadlines, locks, socket.io adapter)
 * - REDIS_PREFIX (`meeting:`): prepended to every Redis key; deployments sharing a Redis differ
 * - NODE_DEAD_AFTER_MS (5000): with Redis, a process silent this long is taken for dead and
 *   another holds the seats it served (each process beats every second, or every third of this
 *   if that is shorter)
 * - rate limits, each "attempts per RATE_LIMIT_WINDOW_MS (60000)"; see RateLimitConfig for why
 *   each default is what it is: RATE_LIMIT_PER_ADDRESS (300), RATE_LIMIT_PER_ACCOUNT (20),
 *   RATE_LIMIT_PER_GUEST_NAME (60), RATE_LIMIT_RESUME_PER_ADDRESS (6000),
 *   RATE_LIMIT_RESUME_PER_SESSION (60), RATE_LIMIT_CONF_RESUME_FAILURES (30)
 */
export interface Config {
  port: number;
  host: string;
  staticDir: string;
  allowGuests: boolean;
  /** account name → `scrypt$…` password hash */
  accounts: ReadonlyMap<string, string>;
  logLevel: string;
  /** null: one process, in-memory store. */
  redisUrl: string | null;
  redisPrefix: string;
  nodeDeadAfterMs: number;
  rateLimit: RateLimitConfig;
}

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

/** Configuration overrides; `rateLimit` may name only the limits it changes. */
export type ConfigOverrides = Omit<Partial<Config>, 'rateLimit'> & { rateLimit?: Partial<RateLimitConfig> };

export const DEFAULT_RATE_LIMITS: Readonly<RateLimitConfig> = {
  windowMs: 60_000,
  perAddress: 300,
  perAccount: 20,
  perGuestName: 60,
  resumePerAddress: 6_000,
  resumePerSession: 60,
  confResumeFailuresPerSession: 30,
};

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function defaultConfig({ rateLimit, ...overrides }: ConfigOverrides = {}): Config {
  return {
    port: 3000,
    host: '0.0.0.0',
    staticDir: resolve(REPO_ROOT, 'dist/web'),
    allowGuests: true,
    accounts: new Map(),
    logLevel: 'info',
    redisUrl: null,
    redisPrefix: 'meeting:',
    nodeDeadAfterMs: 5_000,
    ...overrides,
    rateLimit: { ...DEFAULT_RATE_LIMITS, ...rateLimit },
  };
}

const accountsSchema = z.array(
  z.strictObject({
    name: z.string().trim().min(1).max(64),
    passwordHash: z.string().refine(isPasswordHash, 'expected scrypt$<salt base64>$<hash base64>'),
  }),
);

export function parseAccounts(json: string, source = 'accounts'): Map<string, string> {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new Error(`${source}: not valid JSON`, { cause: err });
  }
  const parsed = accountsSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${source}: ${z.prettifyError(parsed.error)}`);
  return new Map(parsed.data.map((a) => [a.name, a.passwordHash]));
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const base = defaultConfig();
  const limit = (name: string, fallback: number) => intVar(env, name, fallback, 1, 1_000_000);
  const accountsFile = env.ACCOUNTS_FILE?.trim();
  return {
    port: intVar(env, 'PORT', base.port, 0, 65_535),
    host: env.HOST?.trim() || base.host,
    staticDir: env.STATIC_DIR ? absolute(env.STATIC_DIR) : base.staticDir,
    allowGuests: boolVar(env, 'ALLOW_GUESTS', base.allowGuests),
    accounts: accountsFile
      ? parseAccounts(readFileSync(absolute(accountsFile), 'utf8'), accountsFile)
      : base.accounts,
    logLevel: env.LOG_LEVEL?.trim() || base.logLevel,
    redisUrl: redisUrlVar(env),
    redisPrefix: env.REDIS_PREFIX?.trim() || base.redisPrefix,
    nodeDeadAfterMs: intVar(env, 'NODE_DEAD_AFTER_MS', base.nodeDeadAfterMs, 1_500, 60_000),
    rateLimit: {
      windowMs: intVar(env, 'RATE_LIMIT_WINDOW_MS', base.rateLimit.windowMs, 1, 86_400_000),
      perAddress: limit('RATE_LIMIT_PER_ADDRESS', base.rateLimit.perAddress),
      perAccount: limit('RATE_LIMIT_PER_ACCOUNT', base.rateLimit.perAccount),
      perGuestName: limit('RATE_LIMIT_PER_GUEST_NAME', base.rateLimit.perGuestName),
      resumePerAddress: limit('RATE_LIMIT_RESUME_PER_ADDRESS', base.rateLimit.resumePerAddress),
      resumePerSession: limit('RATE_LIMIT_RESUME_PER_SESSION', base.rateLimit.resumePerSession),
      confResumeFailuresPerSession: limit(
        'RATE_LIMIT_CONF_RESUME_FAILURES',
        base.rateLimit.confResumeFailuresPerSession,
      ),
    },
  };
}

function redisUrlVar(env: NodeJS.ProcessEnv): string | null {
  const value = env.REDIS_URL?.trim();
  if (!value) return null;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new Error(`REDIS_URL must be a URL like redis://127.0.0.1:6379, got "${value}"`);
  }
  if (url.protocol !== 'redis:' && url.protocol !== 'rediss:') {
    throw new Error(`REDIS_URL must start with redis:// or rediss://, got "${url.protocol}"`);
  }
  return value;
}

function absolute(path: string): string {
  return isAbsolute(path) ? path : resolve(process.cwd(), path);
}

function intVar(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const value = env[name]?.trim();
  if (!value) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

function boolVar(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const value = env[name]?.trim().toLowerCase();
  if (!value) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  throw new Error(`${name} must be true or false, got "${value}"`);
}
