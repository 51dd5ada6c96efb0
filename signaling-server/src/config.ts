import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { DEFAULT_ALLOWED_ORIGINS, type OriginSettings, parseAllowedOrigins } from './origin.ts';
import { isPasswordHash } from './passwords.ts';
import { type BucketConfig, DEFAULT_QUOTAS, type QuotaConfig } from './quotas.ts';

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

/**
 * What bounds the server's memory under a flood (issue 12), beyond the per-event quotas.
 */
export interface MemoryLimits {
  /**
   * Events kept per conference for replay (5 000): far more than a 60 s resume window of a
   * 16-person meeting holds (the chat quota lets 16 people post ~1 000 in a minute at most).
   */
  eventLogMaxEvents: number;
  /**
   * Bytes of events (their JSON) kept per conference (2 MiB): a flood of 4 000-character
   * messages is trimmed by size long before 5 000 of them (20 MB) pile up. A resume that needs
   * trimmed history gets REPLAY_UNAVAILABLE and resyncs from the roster and recent chat.
   */
  eventLogMaxBytes: number;
  /**
   * Bytes queued for one socket that it has not read (8 MiB). Above the largest legitimate burst
   * to one socket (a `conf:resume` reply replaying a full 2 MiB event log, plus relays); a
   * receiver that stops reading is disconnected here instead of the server buffering for it
   * until its heartbeat times out.
   */
  outboundBufferMaxBytes: number;
  /**
   * Logged-in sockets from one address on this process at once (1 000): an office behind one
   * NAT address fits; one host opening sessions by the thousand does not. Per process (sockets
   * live on one process; a Redis count would outlive a crashed one).
   */
  sessionsPerAddress: number;
  /**
   * Conferences one login session sits in at once (4): the app joins one; a script joining
   * room after room to create conferences is stopped at the fourth.
   */
  conferencesPerSession: number;
}

export const DEFAULT_MEMORY_LIMITS: Readonly<MemoryLimits> = {
  eventLogMaxEvents: 5_000,
  eventLogMaxBytes: 2 * 1024 * 1024,
  outboundBufferMaxBytes: 8 * 1024 * 1024,
  sessionsPerAddress: 1_000,
  conferencesPerSession: 4,
};

export const DEFAULT_METRICS_PORT = 9464;

/**
 * What the server hands every login and resume so that peers find a path to each other behind
 * NATs and UDP-blocking firewalls (spec §10; ice-servers.ts issues it).
 */
export interface IceSettings {
  /** `stun:`/`stuns:` URLs; they need no credentials. */
  stunUrls: string[];
  /** null: no TURN relay. */
  turn: TurnSettings | null;
  /** `relay`: peers may only use TURN relays (hides their addresses from each other). */
  policy: 'all' | 'relay';
}

/** A coturn (or compatible) server with `use-auth-secret`: TURN REST credentials. */
export interface TurnSettings {
  /** `turn:`/`turns:` URLs, `?transport=udp|tcp` allowed. */
  urls: string[];
  /** coturn's `static-auth-secret`. Never leaves this process, never logged. */
  secret: string;
  /** Lifetime of each credential, seconds. */
  ttlS: number;
}

export interface TlsSettings {
  /** PEM certificate (chain). */
  cert: Buffer;
  /** PEM private key, unencrypted. */
  key: Buffer;
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

/** Configuration overrides; `rateLimit`, `ice`, `quotas`, `memory` may name only the parts they change. */
export type ConfigOverrides = Omit<Partial<Config>, 'rateLimit' | 'ice' | 'quotas' | 'memory' | 'origins'> & {
  rateLimit?: Partial<RateLimitConfig>;
  ice?: Partial<IceSettings>;
  quotas?: Partial<QuotaConfig>;
  memory?: Partial<MemoryLimits>;
  origins?: Partial<OriginSettings>;
};

export const DEFAULT_TURN_TTL_S = 3_600;
/**
 * Bounds of TURN_TTL_S. A credential is a bearer ticket to the relay for its whole lifetime, so it
 * is kept short (a day at most, the TURN REST draft's suggestion); it need not outlast a meeting,
 * since every login and resume hands out a new one for the ICE restart that follows (and the SDK
 * renews it at 80 % of its lifetime). Seconds are legitimate at the low end: a short-lived
 * deployment (a demo, a kiosk) may want a leaked credential to be worthless almost at once, and
 * the e2e suite lets credentials expire mid-meeting without waiting a minute. Below 5 s a
 * credential could expire between the reply and the browser's first Allocate.
 */
export const TURN_TTL_BOUNDS_S = { min: 5, max: 86_400 } as const;
/**
 * The shared secret signs every credential, and each participant holds a username and its HMAC:
 * a short secret could be guessed offline from one of them.
 */
export const TURN_SECRET_MIN_LENGTH = 16;

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
    ice: iceVars(env),
    tls: tlsVars(env),
    origins: {
      allowed: env.ALLOWED_ORIGINS?.trim() ? parseAllowedOrigins(env.ALLOWED_ORIGINS) : base.origins.allowed,
      requireOrigin: boolVar(env, 'REQUIRE_ORIGIN', base.origins.requireOrigin),
    },
    quotas: {
      chat: bucketVars(env, 'CHAT', base.quotas.chat),
      signal: bucketVars(env, 'SIGNAL', base.quotas.signal),
      signalBytes: bucketVars(env, 'SIGNAL_BYTES', base.quotas.signalBytes),
      control: bucketVars(env, 'CONTROL', base.quotas.control),
      disconnectAfter: limit('QUOTA_DISCONNECT_AFTER', base.quotas.disconnectAfter),
      slowReadingAfter: limit('QUOTA_SLOW_READING_AFTER', base.quotas.slowReadingAfter),
    },
    metrics: {
      port: intVar(env, 'METRICS_PORT', base.metrics.port, 0, 65_535),
      host: env.METRICS_HOST?.trim() || base.metrics.host,
    },
    memory: {
      eventLogMaxEvents: limit('EVENT_LOG_MAX_EVENTS', base.memory.eventLogMaxEvents),
      eventLogMaxBytes: intVar(env, 'EVENT_LOG_MAX_BYTES', base.memory.eventLogMaxBytes, 65_536, 1 << 30),
      outboundBufferMaxBytes: intVar(
        env,
        'OUTBOUND_BUFFER_MAX_BYTES',
        base.memory.outboundBufferMaxBytes,
        65_536,
        1 << 30,
      ),
      sessionsPerAddress: limit('MAX_SESSIONS_PER_ADDRESS', base.memory.sessionsPerAddress),
      conferencesPerSession: intVar(
        env,
        'MAX_CONFERENCES_PER_SESSION',
        base.memory.conferencesPerSession,
        1,
        100,
      ),
    },
  };
}

/** QUOTA_<NAME>_BURST and QUOTA_<NAME>_PER_MIN. */
function bucketVars(env: NodeJS.ProcessEnv, name: string, base: BucketConfig): BucketConfig {
  return {
    burst: intVar(env, `QUOTA_${name}_BURST`, base.burst, 1, 1_000_000_000),
    perMinute: intVar(env, `QUOTA_${name}_PER_MIN`, base.perMinute, 1, 10_000_000_000),
  };
}

/** `host`, an IPv4 address or a bracketed IPv6 address, then an optional port. */
const HOST_PORT = String.raw`(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?`;
/** RFC 7064: no query. */
const STUN_URL = new RegExp(`^stuns?:${HOST_PORT}$`);
/** RFC 7065: `transport` is the only parameter. */
const TURN_URL = new RegExp(`^turns?:${HOST_PORT}(?:\\?transport=(?:udp|tcp))?$`);

function urlListVar(env: NodeJS.ProcessEnv, name: string, pattern: RegExp, form: string): string[] {
  const urls = (env[name] ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter((u) => u !== '');
  for (const url of urls) {
    const match = pattern.exec(url);
    const port = match?.[1];
    if (!match || (port !== undefined && (Number(port) < 1 || Number(port) > 65_535))) {
      throw new Error(`${name} must be comma-separated URLs like ${form}, got "${url}"`);
    }
  }
  return urls;
}

function iceVars(env: NodeJS.ProcessEnv): IceSettings {
  const stunUrls = urlListVar(env, 'STUN_URLS', STUN_URL, 'stun:stun.example.com:3478');
  const turnUrls = urlListVar(
    env,
    'TURN_URLS',
    TURN_URL,
    'turn:turn.example.com:3478?transport=udp or turns:turn.example.com:443?transport=tcp',
  );
  const secret = env.TURN_SECRET?.trim() ?? '';
  const ttlS = intVar(env, 'TURN_TTL_S', DEFAULT_TURN_TTL_S, TURN_TTL_BOUNDS_S.min, TURN_TTL_BOUNDS_S.max);
  const policy = env.ICE_TRANSPORT_POLICY?.trim().toLowerCase() || 'all';
  if (policy !== 'all' && policy !== 'relay') {
    throw new Error(`ICE_TRANSPORT_POLICY must be all or relay, got "${env.ICE_TRANSPORT_POLICY}"`);
  }
  if (turnUrls.length > 0 && secret === '') {
    throw new Error('TURN_URLS needs TURN_SECRET (the static-auth-secret of the TURN server)');
  }
  // The message never repeats the value: it is a secret.
  if (secret !== '' && (secret.length < TURN_SECRET_MIN_LENGTH || /\s/.test(secret))) {
    throw new Error(`TURN_SECRET must be at least ${TURN_SECRET_MIN_LENGTH} characters without spaces`);
  }
  if (secret !== '' && turnUrls.length === 0) {
    throw new Error('TURN_SECRET is set but TURN_URLS is empty: name the TURN server it belongs to');
  }
  if (policy === 'relay' && turnUrls.length === 0) {
    throw new Error('ICE_TRANSPORT_POLICY=relay needs TURN_URLS: without a relay no call would connect');
  }
  return {
    stunUrls,
    turn: turnUrls.length > 0 ? { urls: turnUrls, secret, ttlS } : null,
    policy,
  };
}

function tlsVars(env: NodeJS.ProcessEnv): TlsSettings | null {
  const certFile = env.TLS_CERT_FILE?.trim();
  const keyFile = env.TLS_KEY_FILE?.trim();
  if (!certFile && !keyFile) return null;
  if (!certFile || !keyFile) {
    throw new Error('TLS_CERT_FILE and TLS_KEY_FILE go together: set both (HTTPS) or neither (HTTP)');
  }
  const cert = readVarFile('TLS_CERT_FILE', certFile);
  const key = readVarFile('TLS_KEY_FILE', keyFile);
  // Checked here so a wrong file stops the start with its variable's name, not a TLS error later.
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new Error(`TLS_CERT_FILE ${certFile}: not a PEM certificate`, { cause: err });
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new Error(`TLS_KEY_FILE ${keyFile}: not an unencrypted PEM private key`, { cause: err });
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new Error(`TLS_KEY_FILE ${keyFile} is not the key of the certificate in TLS_CERT_FILE ${certFile}`);
  }
  return { cert, key };
}

function readVarFile(name: string, path: string): Buffer {
  try {
    return readFileSync(absolute(path));
  } catch (err) {
    throw new Error(`${name} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? err})`, {
      cause: err,
    });
  }
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
