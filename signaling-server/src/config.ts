import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAccounts } from './config/accounts.ts';
import { absolute, boolVar, intVar } from './config/env-vars.ts';
import { type IceSettings, iceVars } from './config/ice.ts';
import { DEFAULT_MEMORY_LIMITS, type MemoryLimits, memoryVars } from './config/memory-limits.ts';
import { DEFAULT_RATE_LIMITS, quotaVars, type RateLimitConfig, rateLimitVars } from './config/rate-limits.ts';
import { type TlsSettings, tlsVars } from './config/tls.ts';
import { DEFAULT_ALLOWED_ORIGINS, type OriginSettings, parseAllowedOrigins } from './origin.ts';
import { DEFAULT_QUOTAS, type QuotaConfig } from './quotas.ts';

// Callers import every part of the configuration from here; each concern lives in `config/`.
export { parseAccounts } from './config/accounts.ts';
export type { IceSettings, TurnSettings } from './config/ice.ts';
export { DEFAULT_MEMORY_LIMITS, type MemoryLimits } from './config/memory-limits.ts';
export { DEFAULT_RATE_LIMITS, type RateLimitConfig } from './config/rate-limits.ts';
export type { TlsSettings } from './config/tls.ts';

/**
 * Server configuration, from environment variables:
 * - PORT (3000), HOST (0.0.0.0)
 * - STATIC_DIR: the built web app (default `dist/web` under the repo root; a relative value
 *   is taken from the working directory)
 * - ALLOW_GUESTS (true): guests log in with a display name only; `false`/`0`/`no` turns it off
 * - ACCOUNTS_FILE: optional JSON `[{ "name": "alice", "passwordHash": "scrypt$<salt>$<hash>" }]`;
 *   make an entry with `npx tsx signaling-server/src/hash-password.ts <name> <password>`
 * - LOG_LEVEL (info)
 * - SOURCE_MAPS (false): stack traces mapped back to the TypeScript sources (`npm run dev:server`
 *   turns it on); off, a resume storm costs a fifth less CPU (see `sourceMaps`)
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
 * - ICE (spec §10; see IceSettings): STUN_URLS, TURN_URLS (comma-separated), TURN_SECRET (coturn's
 *   static-auth-secret), TURN_TTL_S (3600), ICE_TRANSPORT_POLICY (`all` or `relay`)
 * - TLS_CERT_FILE + TLS_KEY_FILE (PEM): both or neither; with them the port serves HTTPS and WSS
 * - abuse (issue 12): ALLOWED_ORIGINS, REQUIRE_ORIGIN (see OriginSettings); QUOTA_* (QuotaConfig);
 *   METRICS_PORT (9464), METRICS_HOST (127.0.0.1); EVENT_LOG_MAX_EVENTS, EVENT_LOG_MAX_BYTES,
 *   OUTBOUND_BUFFER_MAX_BYTES, MAX_SESSIONS_PER_ADDRESS, MAX_CONFERENCES_PER_SESSION (MemoryLimits)
 */
export interface Config {
  port: number;
  host: string;
  staticDir: string;
  allowGuests: boolean;
  /** account name → `scrypt$…` password hash */
  accounts: ReadonlyMap<string, string>;
  logLevel: string;
  /**
   * tsx turns source maps on, and then every stack trace is mapped back to the sources. engine.io
   * reads the stack of each failed write to a connection that died, and a storm has thousands:
   * `npm run bench:storm`, N = 1,000, 3 runs each: 1.8 ms server CPU per resume with them, 1.45
   * without. Off, traces point into tsx's output, which keeps the names.
   */
  sourceMaps: boolean;
  /** null: one process, in-memory store. */
  redisUrl: string | null;
  redisPrefix: string;
  nodeDeadAfterMs: number;
  rateLimit: RateLimitConfig;
  ice: IceSettings;
  /** null: plain HTTP (and ws://). */
  tls: TlsSettings | null;
  origins: OriginSettings;
  quotas: QuotaConfig;
  /** `/metrics` listens here, never on the app's port: it tells anyone how busy the server is. */
  metrics: { port: number; host: string };
  memory: MemoryLimits;
}

export const DEFAULT_METRICS_PORT = 9464;

/** Configuration overrides; `rateLimit`, `ice`, `quotas`, `memory` may name only the parts they change. */
export type ConfigOverrides = Omit<Partial<Config>, 'rateLimit' | 'ice' | 'quotas' | 'memory' | 'origins'> & {
  rateLimit?: Partial<RateLimitConfig>;
  ice?: Partial<IceSettings>;
  quotas?: Partial<QuotaConfig>;
  memory?: Partial<MemoryLimits>;
  origins?: Partial<OriginSettings>;
};

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function defaultConfig({
  rateLimit,
  ice,
  quotas,
  memory,
  origins,
  ...overrides
}: ConfigOverrides = {}): Config {
  return {
    port: 3000,
    host: '0.0.0.0',
    staticDir: resolve(REPO_ROOT, 'dist/web'),
    allowGuests: true,
    accounts: new Map(),
    logLevel: 'info',
    sourceMaps: false,
    redisUrl: null,
    redisPrefix: 'meeting:',
    nodeDeadAfterMs: 5_000,
    tls: null,
    metrics: { port: DEFAULT_METRICS_PORT, host: '127.0.0.1' },
    ...overrides,
    rateLimit: { ...DEFAULT_RATE_LIMITS, ...rateLimit },
    ice: { stunUrls: [], turn: null, policy: 'all', ...ice },
    origins: { allowed: DEFAULT_ALLOWED_ORIGINS, requireOrigin: false, ...origins },
    quotas: { ...DEFAULT_QUOTAS, ...quotas },
    memory: { ...DEFAULT_MEMORY_LIMITS, ...memory },
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const base = defaultConfig();
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
    sourceMaps: boolVar(env, 'SOURCE_MAPS', base.sourceMaps),
    redisUrl: redisUrlVar(env),
    redisPrefix: env.REDIS_PREFIX?.trim() || base.redisPrefix,
    nodeDeadAfterMs: intVar(env, 'NODE_DEAD_AFTER_MS', base.nodeDeadAfterMs, 1_500, 60_000),
    rateLimit: rateLimitVars(env, base.rateLimit),
    ice: iceVars(env),
    tls: tlsVars(env),
    origins: {
      allowed: env.ALLOWED_ORIGINS?.trim() ? parseAllowedOrigins(env.ALLOWED_ORIGINS) : base.origins.allowed,
      requireOrigin: boolVar(env, 'REQUIRE_ORIGIN', base.origins.requireOrigin),
    },
    quotas: quotaVars(env, base.quotas),
    metrics: {
      port: intVar(env, 'METRICS_PORT', base.metrics.port, 0, 65_535),
      host: env.METRICS_HOST?.trim() || base.metrics.host,
    },
    memory: memoryVars(env, base.memory),
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
