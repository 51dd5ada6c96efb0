import { LuaScript } from '../lua-script.ts';
import type { HandleRecord, HandleState, HandleStore, ReleaseReason } from '../store.ts';
import { type Keyspace, pairs, WRAP } from './keyspace.ts';

const scripts = {
  // KEYS: handle counter, user-handles. ARGV: prefix, userId, room, socketId
  allocateHandle: new LuaScript(`${WRAP}
for _ = 1, 1000 do
  local n = redis.call('INCR', KEYS[1])
  local h = wrap(n)
  local key = ARGV[1] .. 'handle:' .. h
  if redis.call('EXISTS', key) == 0 then
    redis.call('HSET', key, 'userId', ARGV[2], 'room', ARGV[3], 'state', 'live', 'socketId', ARGV[4])
    redis.call('ZADD', KEYS[2], n, h)
    return h
  end
end
return redis.error_reply('conference handles exhausted')
`),
  // KEYS: user-handles. ARGV: prefix. → [handle, HGETALL] pairs
  handlesOf: new LuaScript(`
local out = {}
for _, h in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local fields = redis.call('HGETALL', ARGV[1] .. 'handle:' .. h)
  if #fields > 0 then
    out[#out + 1] = h
    out[#out + 1] = fields
  end
end
return out
`),
  // KEYS: a hash. ARGV: n, n field/value pairs to set, then fields to delete. Only if the hash exists.
  updateIfExists: new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local n = tonumber(ARGV[1])
if n > 0 then redis.call('HSET', KEYS[1], unpack(ARGV, 2, 1 + 2 * n)) end
if #ARGV > 1 + 2 * n then redis.call('HDEL', KEYS[1], unpack(ARGV, 2 + 2 * n)) end
return 1
`),
  // KEYS: handle. ARGV: prefix, handle
  deleteHandle: new LuaScript(`
local uid = redis.call('HGET', KEYS[1], 'userId')
if not uid then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', ARGV[1] .. 'user-handles:' .. uid, ARGV[2])
return 1
`),
};

/** Conference handles: a deployment-wide counter, a hash per handle, a user's handles in order. */
export class RedisHandles implements HandleStore {
  constructor(private readonly ks: Keyspace) {}

  async allocateHandle(userId: string, room: string, socketId: string): Promise<number> {
    const handle = await this.ks.run(
      scripts.allocateHandle,
      [`${this.ks.prefix}counter:handle`, this.ks.key('user-handles', userId)],
      [this.ks.prefix, userId, room, socketId],
    );
    return Number(handle);
  }

  async getHandle(handle: number): Promise<HandleRecord | null> {
    const fields = await this.ks.redis.hgetall(this.ks.key('handle', handle));
    return Object.keys(fields).length > 0 ? toHandle(handle, fields) : null;
  }

  async handlesOf(userId: string): Promise<HandleRecord[]> {
    const reply = (await this.ks.run(
      scripts.handlesOf,
      [this.ks.key('user-handles', userId)],
      [this.ks.prefix],
    )) as unknown[];
    const records: HandleRecord[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) {
      records.push(toHandle(Number(reply[i]), pairs(reply[i + 1])));
    }
    return records;
  }

  async bindHandle(handle: number, socketId: string | null): Promise<void> {
    const key = this.ks.key('handle', handle);
    await (socketId === null ? this.#update(key, {}, ['socketId']) : this.#update(key, { socketId }));
  }

  async linkHandle(newHandle: number, originalHandle: number): Promise<void> {
    await this.#update(this.ks.key('handle', newHandle), { originalHandle: String(originalHandle) });
  }

  async retireHandle(handle: number): Promise<void> {
    await this.#update(this.ks.key('handle', handle), { state: 'retired' }, ['socketId']);
  }

  async releaseHandle(handle: number, reason: ReleaseReason): Promise<void> {
    await this.#update(this.ks.key('handle', handle), { state: 'released', releaseReason: reason }, [
      'socketId',
    ]);
  }

  async deleteHandle(handle: number): Promise<void> {
    await this.ks.run(scripts.deleteHandle, [this.ks.key('handle', handle)], [this.ks.prefix, handle]);
  }

  /** Sets and deletes fields of a hash, only if it exists (never creates a half record). */
  async #update(key: string, set: Record<string, string>, del: string[] = []): Promise<void> {
    const entries = Object.entries(set);
    await this.ks.run(scripts.updateIfExists, [key], [entries.length, ...entries.flat(), ...del]);
  }
}

function toHandle(handle: number, f: Record<string, string>): HandleRecord {
  return {
    handle,
    userId: f.userId ?? '',
    room: f.room ?? '',
    state: (f.state ?? 'live') as HandleState,
    socketId: f.socketId ?? null,
    releaseReason: (f.releaseReason ?? null) as ReleaseReason | null,
    originalHandle: f.originalHandle === undefined ? null : Number(f.originalHandle),
  };
}
