import type { Redis } from 'ioredis';
import type { LuaScript } from '../lua-script.ts';

/**
 * What every part of the Redis store shares: the connection, the key prefix (P in the layout
 * `redis-store.ts` describes) and how a script is run.
 */
export class Keyspace {
  constructor(
    readonly redis: Redis,
    readonly prefix: string,
  ) {}

  key(kind: string, id: string | number): string {
    return `${this.prefix}${kind}:${id}`;
  }

  run(script: LuaScript, keys: string[], args: (string | number)[] = []): Promise<unknown> {
    return script.run(this.redis, keys, args);
  }
}

/** Lua: a uint32 counter that never gives 0 (handles and call ids). */
export const WRAP = `
local function wrap(n) return ((n - 1) % 4294967295) + 1 end
`;

/** A flat [field, value, …] reply as an object. */
export function pairs(reply: unknown): Record<string, string> {
  const flat = reply as unknown[];
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = String(flat[i + 1]);
  return out;
}
