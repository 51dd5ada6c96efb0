import type { Clock } from '../../clock.ts';
import { LuaScript } from '../lua-script.ts';
import type { LoginSession, NewSession, SessionStore } from '../store.ts';
import { type Keyspace, pairs } from './keyspace.ts';

/** Deletes an expired session (and its token) and says whether it is live. */
const LIVE_SESSION = `
local function live(key, prefix, now)
  if redis.call('EXISTS', key) == 0 then return false end
  local exp = redis.call('HGET', key, 'expiresAt')
  if exp and tonumber(exp) <= now then
    local tok = redis.call('HGET', key, 'tokenHash')
    if tok then
      local tkey = prefix .. 'token:' .. tok
      if redis.call('GET', tkey) == redis.call('HGET', key, 'userId') then redis.call('DEL', tkey) end
    end
    redis.call('DEL', key)
    return false
  end
  return true
end
`;

/** Keeps `node-sessions:<node>` in step with a session's socket ref (`<node>/<socket id>`). */
const NODE_INDEX = `
local function node_of(ref)
  if not ref then return nil end
  return string.match(ref, '^([^/]+)/')
end
local function unindex(prefix, key)
  local node = node_of(redis.call('HGET', key, 'socketId'))
  if node then redis.call('SREM', prefix .. 'node-sessions:' .. node, redis.call('HGET', key, 'userId')) end
end
local function index(prefix, ref, userId)
  local node = node_of(ref)
  if node then redis.call('SADD', prefix .. 'node-sessions:' .. node, userId) end
end
`;

const scripts = {
  // KEYS: session, token. ARGV: prefix, userId, name, tokenHash, socketId
  createSession: new LuaScript(`${NODE_INDEX}
local old = redis.call('HGET', KEYS[1], 'tokenHash')
if old and old ~= ARGV[4] then redis.call('DEL', ARGV[1] .. 'token:' .. old) end
unindex(ARGV[1], KEYS[1])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'userId', ARGV[2], 'name', ARGV[3], 'tokenHash', ARGV[4], 'socketId', ARGV[5])
index(ARGV[1], ARGV[5], ARGV[2])
redis.call('SET', KEYS[2], ARGV[2])
return 1
`),
  // KEYS: session. ARGV: prefix, now
  getSession: new LuaScript(`${LIVE_SESSION}
if not live(KEYS[1], ARGV[1], tonumber(ARGV[2])) then return false end
return redis.call('HGETALL', KEYS[1])
`),
  // KEYS: session, new token. ARGV: prefix, userId, tokenHash
  setToken: new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local old = redis.call('HGET', KEYS[1], 'tokenHash')
if old then redis.call('DEL', ARGV[1] .. 'token:' .. old) end
redis.call('HSET', KEYS[1], 'tokenHash', ARGV[3])
redis.call('SET', KEYS[2], ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl > 0 then redis.call('PEXPIRE', KEYS[2], ttl) end
return 1
`),
  // KEYS: token. ARGV: prefix, tokenHash, now. Take-and-delete: the token key is gone whatever happens.
  takeToken: new LuaScript(`${LIVE_SESSION}
local uid = redis.call('GET', KEYS[1])
if not uid then return false end
redis.call('DEL', KEYS[1])
local key = ARGV[1] .. 'session:' .. uid
if not live(key, ARGV[1], tonumber(ARGV[3])) then return false end
if redis.call('HGET', key, 'tokenHash') ~= ARGV[2] then return false end
local session = redis.call('HGETALL', key)
redis.call('HDEL', key, 'tokenHash')
return session
`),
  // KEYS: session. ARGV: prefix, socketId
  attachSession: new LuaScript(`${NODE_INDEX}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
unindex(ARGV[1], KEYS[1])
redis.call('HSET', KEYS[1], 'socketId', ARGV[2])
index(ARGV[1], ARGV[2], redis.call('HGET', KEYS[1], 'userId'))
redis.call('HDEL', KEYS[1], 'expiresAt')
redis.call('PERSIST', KEYS[1])
local tok = redis.call('HGET', KEYS[1], 'tokenHash')
if tok then redis.call('PERSIST', ARGV[1] .. 'token:' .. tok) end
return 1
`),
  // KEYS: session. ARGV: prefix, expiresAt, gc ttl ms
  detachSession: new LuaScript(`${NODE_INDEX}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
unindex(ARGV[1], KEYS[1])
redis.call('HDEL', KEYS[1], 'socketId')
redis.call('HSET', KEYS[1], 'expiresAt', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
local tok = redis.call('HGET', KEYS[1], 'tokenHash')
if tok then redis.call('PEXPIRE', ARGV[1] .. 'token:' .. tok, ARGV[3]) end
return 1
`),
  // KEYS: session. ARGV: prefix
  deleteSession: new LuaScript(`${NODE_INDEX}
unindex(ARGV[1], KEYS[1])
local tok = redis.call('HGET', KEYS[1], 'tokenHash')
if tok then redis.call('DEL', ARGV[1] .. 'token:' .. tok) end
return redis.call('DEL', KEYS[1])
`),
};

/**
 * Login sessions, their resume tokens and the index of sessions by process. Expiry is checked
 * against the injected clock on every read; the Redis TTLs set on detach are only garbage
 * collection for sessions nobody reads again.
 */
export class RedisSessions implements SessionStore {
  constructor(
    private readonly ks: Keyspace,
    private readonly clock: Clock,
    private readonly gcGraceMs: number,
  ) {}

  async createSession(session: NewSession): Promise<void> {
    await this.ks.run(
      scripts.createSession,
      [this.ks.key('session', session.userId), this.ks.key('token', session.tokenHash)],
      [this.ks.prefix, session.userId, session.name, session.tokenHash, session.socketId],
    );
  }

  async getSession(userId: string): Promise<LoginSession | null> {
    const reply = await this.ks.run(
      scripts.getSession,
      [this.ks.key('session', userId)],
      [this.ks.prefix, this.clock.now()],
    );
    return reply ? toSession(pairs(reply)) : null;
  }

  async setToken(userId: string, tokenHash: string): Promise<void> {
    await this.ks.run(
      scripts.setToken,
      [this.ks.key('session', userId), this.ks.key('token', tokenHash)],
      [this.ks.prefix, userId, tokenHash],
    );
  }

  async takeToken(tokenHash: string): Promise<LoginSession | null> {
    const reply = await this.ks.run(
      scripts.takeToken,
      [this.ks.key('token', tokenHash)],
      [this.ks.prefix, tokenHash, this.clock.now()],
    );
    return reply ? toSession(pairs(reply)) : null;
  }

  async attachSession(userId: string, socketId: string): Promise<void> {
    await this.ks.run(scripts.attachSession, [this.ks.key('session', userId)], [this.ks.prefix, socketId]);
  }

  async detachSession(userId: string, expiresAt: number): Promise<void> {
    const gcTtl = Math.max(1, Math.ceil(expiresAt - this.clock.now())) + this.gcGraceMs;
    await this.ks.run(
      scripts.detachSession,
      [this.ks.key('session', userId)],
      [this.ks.prefix, expiresAt, gcTtl],
    );
  }

  async deleteSession(userId: string): Promise<void> {
    await this.ks.run(scripts.deleteSession, [this.ks.key('session', userId)], [this.ks.prefix]);
  }

  async usersOnNode(nodeId: string): Promise<string[]> {
    return this.ks.redis.smembers(this.ks.key('node-sessions', nodeId));
  }
}

function toSession(f: Record<string, string>): LoginSession {
  return {
    userId: f.userId ?? '',
    name: f.name ?? '',
    tokenHash: f.tokenHash ?? null,
    socketId: f.socketId ?? null,
    expiresAt: f.expiresAt === undefined ? null : Number(f.expiresAt),
  };
}
