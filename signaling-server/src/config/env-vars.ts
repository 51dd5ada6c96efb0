import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

/*
 * Reading one environment variable. Each helper throws with the variable's name, so a wrong value
 * stops the start with a message that says which one to fix.
 */

export function intVar(
  env: NodeJS.ProcessEnv,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const value = env[name]?.trim();
  if (!value) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new Error(`${name} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

export function boolVar(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const value = env[name]?.trim().toLowerCase();
  if (!value) return fallback;
  if (['1', 'true', 'yes', 'on'].includes(value)) return true;
  if (['0', 'false', 'no', 'off'].includes(value)) return false;
  throw new Error(`${name} must be true or false, got "${value}"`);
}

/** A path from a variable: a relative one is taken from the working directory. */
export function absolute(path: string): string {
  return isAbsolute(path) ? path : resolve(process.cwd(), path);
}

export function readVarFile(name: string, path: string): Buffer {
  try {
    return readFileSync(absolute(path));
  } catch (err) {
    throw new Error(`${name} ${path}: cannot read it (${(err as NodeJS.ErrnoException).code ?? err})`, {
      cause: err,
    });
  }
}

/** A count of attempts or items: at least 1, at most a million. */
export function limitVar(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  return intVar(env, name, fallback, 1, 1_000_000);
}
