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
 * - RATE_LIMIT_WINDOW_MS (60000), RATE_LIMIT_PER_ADDRESS (300), RATE_LIMIT_PER_ACCOUNT (20):
 *   login/resume attempts allowed per window from one address / against one account name
 */
export interface Config {
  port: number;
  host: string;
  staticDir: string;
  allowGuests: boolean;
  /** account name → `scrypt$…` password hash */
  accounts: ReadonlyMap<string, string>;
  logLevel: string;
  rateLimit: RateLimitConfig;
}

export interface RateLimitConfig {
  windowMs: number;
  perAddress: number;
  perAccount: number;
}

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

export function defaultConfig(overrides: Partial<Config> = {}): Config {
  return {
    port: 3000,
    host: '0.0.0.0',
    staticDir: resolve(REPO_ROOT, 'dist/web'),
    allowGuests: true,
    accounts: new Map(),
    logLevel: 'info',
    rateLimit: { windowMs: 60_000, perAddress: 300, perAccount: 20 },
    ...overrides,
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
    rateLimit: {
      windowMs: intVar(env, 'RATE_LIMIT_WINDOW_MS', base.rateLimit.windowMs, 1, 86_400_000),
      perAddress: intVar(env, 'RATE_LIMIT_PER_ADDRESS', base.rateLimit.perAddress, 1, 1_000_000),
      perAccount: intVar(env, 'RATE_LIMIT_PER_ACCOUNT', base.rateLimit.perAccount, 1, 1_000_000),
    },
  };
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
