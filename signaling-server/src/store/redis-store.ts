/**
 * The shared store: everything in one Redis, so several signaling processes serve one deployment
 * (spec §9). Same observable behaviour as `MemoryStore`; both pass `tests/unit/server/store-suite.ts`.
 *
 * Atomicity: every method is one Redis command or one Lua script (scripts run without any other
 * client's command in between), so two processes never see half an update. Scripts derive some
 * keys at run time (e.g. the session of the user a token names), which is fine on a standalone
 * Redis (or Sentinel) but NOT on Redis Cluster.
 *
 * Keys (P = keyPrefix; each kind has its own leading word, so user-chosen names cannot collide):
 *   P session:<userId>        hash  userId name [tokenHash] [socketId] [expiresAt]  (absent field = null)
 *   P token:<tokenHash>       str   userId
 *   P node-sessions:<node>    set   userIds whose session's socketId is `<node>/…` (a dead process's sessions)
 *   P counter:handle          int   INCR; handle = ((n - 1) mod (2^32 - 1)) + 1, skipping live records
 *   P handle:<handle>         hash  userId room state [socketId] [releaseReason] [originalHandle]
 *   P user-handles:<userId>   zset  handle, scored by allocation counter (so listed in allocation order)
 *   P counter:call-id         int   INCR, same wrap rule
 *   P conf:<room>             hash  room callId createdAt seq memberOrder logBytes (JSON bytes in the log)
 *   P members:<room>          zset  handle, scored by join order (a replacement takes the old score)
 *   P member-data:<room>      hash  handle → Participant JSON
 *   P events:<room>           stream, entry id `<seq>-0`, fields k=<kind> e=<event JSON without seq>
 *   P chat-ids:<room>         hash  `${sender}\n${id}` → seq
 *   P chat-order:<room>       list  chat-ids fields, oldest first (for the cap)
 *
 * Event log: a Stream, not a list, because the entry id can BE the sequence number: XADD with the
 * explicit id `<seq>-0` (seq from HINCRBY in the same script, so 1, 2, 3… with no gaps even with
 * several processes), exact trimming of the oldest on every XADD (by count and by bytes: the
 * script keeps `logBytes`, the sum of the stored JSON, and XDELs from the front), and `eventsSince(s)` is
 * `XRANGE events <s+1>-0 +`, O(log n + answer). Because ids are consecutive and trimming only
 * drops the oldest, "history was trimmed" is exactly "the first entry returned is not s+1"; no
 * separate low-water mark is needed.
 *
 * Expiry: session deadlines are stored (`expiresAt`, from the caller, who reads the injected Clock)
 * and checked against `clock.now()` on every read, exactly like the memory store. Redis TTLs
 * (deadline + `gcGraceMs`) are only garbage collection for sessions nobody reads again.
 *
 * Limits: handle and call-id counters live in Redis; a Redis without persistence that restarts
 * starts them again at 1 (handles could then repeat). After 2^32 - 1 allocations handles wrap,
 * skipping numbers whose record still exists.
 */
import type { Redis } from 'ioredis';
import type { ChatMessage, ConfEvent, Participant, ParticipantStatus } from '../../../shared/src/payloads.ts';
import type { Clock } from '../clock.ts';
import { LuaScript } from './lua-script.ts';
import type {
  ConfEventInput,
  ConferenceRecord,
  HandleRecord,
  HandleState,
  LoginSession,
  NewSession,
  ReleaseReason,
  Store,
} from './store.ts';

export interface RedisStoreOptions {
  clock: Clock;
  /** Prepended to every key: isolates deployments and test runs sharing one Redis. */
  keyPrefix: string;
  /** Events kept per conference; older ones are trimmed and can no longer be replayed. */
  maxEventsPerConference?: number;
  /** Bytes of events (their JSON) kept per conference; the newest event is always kept. */
  maxEventBytesPerConference?: number;
  /** Chat client ids remembered per conference for de-duplication. */
  maxChatIdsPerConference?: number;
  /** How long past its deadline a detached session's keys stay before Redis drops them. */
  gcGraceMs?: number;
}

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

const WRAP = `
local function wrap(n) return ((n - 1) % 4294967295) + 1 end
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

  // KEYS: conf, call-id counter. ARGV: room, now
  openConference: new LuaScript(`${WRAP}
if redis.call('EXISTS', KEYS[1]) == 0 then
  local id = wrap(redis.call('INCR', KEYS[2]))
  redis.call('HSET', KEYS[1], 'room', ARGV[1], 'callId', id, 'createdAt', ARGV[2], 'seq', 0, 'memberOrder', 0)
end
return redis.call('HMGET', KEYS[1], 'room', 'callId', 'createdAt')
`),
  // KEYS: members, member-data
  members: new LuaScript(`
local hs = redis.call('ZRANGE', KEYS[1], 0, -1)
if #hs == 0 then return {} end
return redis.call('HMGET', KEYS[2], unpack(hs))
`),
  // KEYS: conf, members, member-data. ARGV: room, handle, participant JSON
  addMember: new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return redis.error_reply('no conference ' .. ARGV[1]) end
if not redis.call('ZSCORE', KEYS[2], ARGV[2]) then
  redis.call('ZADD', KEYS[2], redis.call('HINCRBY', KEYS[1], 'memberOrder', 1), ARGV[2])
end
redis.call('HSET', KEYS[3], ARGV[2], ARGV[3])
return 1
`),
  // KEYS: members, member-data. ARGV: handle
  removeMember: new LuaScript(`
redis.call('ZREM', KEYS[1], ARGV[1])
return redis.call('HDEL', KEYS[2], ARGV[1])
`),
  // KEYS: conf, members, member-data. ARGV: room, old handle, new handle, participant JSON
  replaceMember: new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return redis.error_reply('no conference ' .. ARGV[1]) end
local score = redis.call('ZSCORE', KEYS[2], ARGV[2])
if score then
  if ARGV[2] ~= ARGV[3] then
    redis.call('ZREM', KEYS[2], ARGV[2], ARGV[3])
    redis.call('HDEL', KEYS[3], ARGV[2])
  end
else
  score = redis.call('ZSCORE', KEYS[2], ARGV[3])
  if not score then score = redis.call('HINCRBY', KEYS[1], 'memberOrder', 1) end
end
redis.call('ZADD', KEYS[2], score, ARGV[3])
redis.call('HSET', KEYS[3], ARGV[3], ARGV[4])
return 1
`),
  // KEYS: member-data. ARGV: handle, status
  setMemberStatus: new LuaScript(`
local json = redis.call('HGET', KEYS[1], ARGV[1])
if not json then return 0 end
local p = cjson.decode(json)
p.status = ARGV[2]
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(p))
return 1
`),

  // KEYS: conf, events. ARGV: room, kind, event JSON (no seq), max events, max bytes
  appendEvent: new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return redis.error_reply('no conference ' .. ARGV[1]) end
local seq = redis.call('HINCRBY', KEYS[1], 'seq', 1)
redis.call('XADD', KEYS[2], seq .. '-0', 'k', ARGV[2], 'e', ARGV[3])
local bytes = redis.call('HINCRBY', KEYS[1], 'logBytes', string.len(ARGV[3]))
local maxEvents, maxBytes = tonumber(ARGV[4]), tonumber(ARGV[5])
local len = redis.call('XLEN', KEYS[2])
while len > 1 and (len > maxEvents or bytes > maxBytes) do
  local oldest = redis.call('XRANGE', KEYS[2], '-', '+', 'COUNT', 1)[1]
  bytes = redis.call('HINCRBY', KEYS[1], 'logBytes', -string.len(oldest[2][4]))
  redis.call('XDEL', KEYS[2], oldest[1])
  len = len - 1
end
return seq
`),
  // KEYS: conf, events. ARGV: seq. → nil (resync) or flat [id, event JSON, …]
  eventsSince: new LuaScript(`
local last = redis.call('HGET', KEYS[1], 'seq')
if not last then return false end
last = tonumber(last)
local s = tonumber(ARGV[1])
if s > last then return false end
if s == last then return {} end
local first = (s + 1) .. '-0'
local entries = redis.call('XRANGE', KEYS[2], first, '+')
if #entries == 0 or entries[1][1] ~= first then return false end
local out = {}
for _, entry in ipairs(entries) do
  out[#out + 1] = entry[1]
  out[#out + 1] = entry[2][4]
end
return out
`),
  // KEYS: events. ARGV: limit. → chat event JSONs, newest first
  recentChat: new LuaScript(`
local limit = tonumber(ARGV[1])
local out = {}
local upto = '+'
while #out < limit do
  local batch = redis.call('XREVRANGE', KEYS[1], upto, '-', 'COUNT', 100)
  for _, entry in ipairs(batch) do
    if #out >= limit then break end
    if entry[2][2] == 'chat' then out[#out + 1] = entry[2][4] end
  end
  if #batch < 100 then break end
  local n = tonumber(string.match(batch[#batch][1], '^(%d+)'))
  if n <= 1 then break end
  upto = (n - 1) .. '-0'
end
return out
`),
  // KEYS: conf, chat-ids, chat-order. ARGV: room, chat key, seq, max ids
  recordChat: new LuaScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return redis.error_reply('no conference ' .. ARGV[1]) end
if redis.call('HSET', KEYS[2], ARGV[2], ARGV[3]) == 1 then
  redis.call('RPUSH', KEYS[3], ARGV[2])
  if redis.call('LLEN', KEYS[3]) > tonumber(ARGV[4]) then
    redis.call('HDEL', KEYS[2], redis.call('LPOP', KEYS[3]))
  end
end
return 1
`),
};

export class RedisStore implements Store {
  readonly #redis: Redis;
  readonly #clock: Clock;
  readonly #p: string;
  readonly #maxEvents: number;
  readonly #maxEventBytes: number;
  readonly #maxChatIds: number;
  readonly #gcGraceMs: number;

  constructor(redis: Redis, options: RedisStoreOptions) {
    this.#redis = redis;
    this.#clock = options.clock;
    this.#p = options.keyPrefix;
    this.#maxEvents = options.maxEventsPerConference ?? 5_000;
    this.#maxEventBytes = options.maxEventBytesPerConference ?? 2 * 1024 * 1024;
    this.#maxChatIds = options.maxChatIdsPerConference ?? 5_000;
    this.#gcGraceMs = options.gcGraceMs ?? 60_000;
  }

  #key(kind: string, id: string | number): string {
    return `${this.#p}${kind}:${id}`;
  }

  #run(script: LuaScript, keys: string[], args: (string | number)[] = []): Promise<unknown> {
    return script.run(this.#redis, keys, args);
  }

  // ---- login sessions -------------------------------------------------------------------

  async createSession(session: NewSession): Promise<void> {
    await this.#run(
      scripts.createSession,
      [this.#key('session', session.userId), this.#key('token', session.tokenHash)],
      [this.#p, session.userId, session.name, session.tokenHash, session.socketId],
    );
  }

  async getSession(userId: string): Promise<LoginSession | null> {
    const reply = await this.#run(
      scripts.getSession,
      [this.#key('session', userId)],
      [this.#p, this.#clock.now()],
    );
    return reply ? toSession(pairs(reply)) : null;
  }

  async setToken(userId: string, tokenHash: string): Promise<void> {
    await this.#run(
      scripts.setToken,
      [this.#key('session', userId), this.#key('token', tokenHash)],
      [this.#p, userId, tokenHash],
    );
  }

  async takeToken(tokenHash: string): Promise<LoginSession | null> {
    const reply = await this.#run(
      scripts.takeToken,
      [this.#key('token', tokenHash)],
      [this.#p, tokenHash, this.#clock.now()],
    );
    return reply ? toSession(pairs(reply)) : null;
  }

  async attachSession(userId: string, socketId: string): Promise<void> {
    await this.#run(scripts.attachSession, [this.#key('session', userId)], [this.#p, socketId]);
  }

  async detachSession(userId: string, expiresAt: number): Promise<void> {
    const gcTtl = Math.max(1, Math.ceil(expiresAt - this.#clock.now())) + this.#gcGraceMs;
    await this.#run(scripts.detachSession, [this.#key('session', userId)], [this.#p, expiresAt, gcTtl]);
  }

  async deleteSession(userId: string): Promise<void> {
    await this.#run(scripts.deleteSession, [this.#key('session', userId)], [this.#p]);
  }

  async usersOnNode(nodeId: string): Promise<string[]> {
    return this.#redis.smembers(this.#key('node-sessions', nodeId));
  }

  // ---- conference handles ---------------------------------------------------------------

  async allocateHandle(userId: string, room: string, socketId: string): Promise<number> {
    const handle = await this.#run(
      scripts.allocateHandle,
      [`${this.#p}counter:handle`, this.#key('user-handles', userId)],
      [this.#p, userId, room, socketId],
    );
    return Number(handle);
  }

  async getHandle(handle: number): Promise<HandleRecord | null> {
    const fields = await this.#redis.hgetall(this.#key('handle', handle));
    return Object.keys(fields).length > 0 ? toHandle(handle, fields) : null;
  }

  async handlesOf(userId: string): Promise<HandleRecord[]> {
    const reply = (await this.#run(
      scripts.handlesOf,
      [this.#key('user-handles', userId)],
      [this.#p],
    )) as unknown[];
    const records: HandleRecord[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) {
      records.push(toHandle(Number(reply[i]), pairs(reply[i + 1])));
    }
    return records;
  }

  async bindHandle(handle: number, socketId: string | null): Promise<void> {
    const key = this.#key('handle', handle);
    await (socketId === null ? this.#update(key, {}, ['socketId']) : this.#update(key, { socketId }));
  }

  async linkHandle(newHandle: number, originalHandle: number): Promise<void> {
    await this.#update(this.#key('handle', newHandle), { originalHandle: String(originalHandle) });
  }

  async retireHandle(handle: number): Promise<void> {
    await this.#update(this.#key('handle', handle), { state: 'retired' }, ['socketId']);
  }

  async releaseHandle(handle: number, reason: ReleaseReason): Promise<void> {
    await this.#update(this.#key('handle', handle), { state: 'released', releaseReason: reason }, [
      'socketId',
    ]);
  }

  async deleteHandle(handle: number): Promise<void> {
    await this.#run(scripts.deleteHandle, [this.#key('handle', handle)], [this.#p, handle]);
  }

  /** Sets and deletes fields of a hash, only if it exists (never creates a half record). */
  async #update(key: string, set: Record<string, string>, del: string[] = []): Promise<void> {
    const entries = Object.entries(set);
    await this.#run(scripts.updateIfExists, [key], [entries.length, ...entries.flat(), ...del]);
  }

  // ---- conferences ----------------------------------------------------------------------

  async openConference(room: string): Promise<ConferenceRecord> {
    const reply = (await this.#run(
      scripts.openConference,
      [this.#key('conf', room), `${this.#p}counter:call-id`],
      [room, this.#clock.now()],
    )) as string[];
    return { room: String(reply[0]), callId: Number(reply[1]), createdAt: Number(reply[2]) };
  }

  async getConference(room: string): Promise<ConferenceRecord | null> {
    const [r, callId, createdAt] = await this.#redis.hmget(
      this.#key('conf', room),
      'room',
      'callId',
      'createdAt',
    );
    if (r == null || callId == null || createdAt == null) return null;
    return { room: r, callId: Number(callId), createdAt: Number(createdAt) };
  }

  async deleteConference(room: string): Promise<void> {
    await this.#redis.del(
      ...['conf', 'members', 'member-data', 'events', 'chat-ids', 'chat-order'].map((kind) =>
        this.#key(kind, room),
      ),
    );
  }

  async members(room: string): Promise<Participant[]> {
    const reply = (await this.#run(scripts.members, [
      this.#key('members', room),
      this.#key('member-data', room),
    ])) as (string | null)[];
    return reply.flatMap((json) => (json ? [JSON.parse(json) as Participant] : []));
  }

  async addMember(room: string, participant: Participant): Promise<void> {
    await this.#run(
      scripts.addMember,
      [this.#key('conf', room), this.#key('members', room), this.#key('member-data', room)],
      [room, participant.handle, JSON.stringify(participant)],
    );
  }

  async removeMember(room: string, handle: number): Promise<void> {
    await this.#run(
      scripts.removeMember,
      [this.#key('members', room), this.#key('member-data', room)],
      [handle],
    );
  }

  async replaceMember(room: string, oldHandle: number, participant: Participant): Promise<void> {
    await this.#run(
      scripts.replaceMember,
      [this.#key('conf', room), this.#key('members', room), this.#key('member-data', room)],
      [room, oldHandle, participant.handle, JSON.stringify(participant)],
    );
  }

  async setMemberStatus(room: string, handle: number, status: ParticipantStatus): Promise<void> {
    await this.#run(scripts.setMemberStatus, [this.#key('member-data', room)], [handle, status]);
  }

  // ---- conference event log -------------------------------------------------------------

  async appendEvent(room: string, input: ConfEventInput): Promise<ConfEvent> {
    const json = JSON.stringify(input);
    const seq = await this.#run(
      scripts.appendEvent,
      [this.#key('conf', room), this.#key('events', room)],
      [room, input.kind, json, this.#maxEvents, this.#maxEventBytes],
    );
    return { ...(JSON.parse(json) as ConfEventInput), seq: Number(seq) } as ConfEvent;
  }

  async lastSeq(room: string): Promise<number> {
    return Number((await this.#redis.hget(this.#key('conf', room), 'seq')) ?? 0);
  }

  async eventsSince(room: string, seq: number): Promise<ConfEvent[] | null> {
    if (!Number.isSafeInteger(seq)) return null;
    const reply = (await this.#run(
      scripts.eventsSince,
      [this.#key('conf', room), this.#key('events', room)],
      [seq],
    )) as string[] | null;
    if (!reply) return null;
    const events: ConfEvent[] = [];
    for (let i = 0; i + 1 < reply.length; i += 2) {
      events.push(toEvent(String(reply[i]), String(reply[i + 1])));
    }
    return events;
  }

  async recentChat(room: string, limit: number): Promise<ChatMessage[]> {
    if (limit <= 0) return [];
    const reply = (await this.#run(scripts.recentChat, [this.#key('events', room)], [limit])) as string[];
    return reply.map((json) => (JSON.parse(json) as { message: ChatMessage }).message).reverse();
  }

  async chatSeq(room: string, sender: string, id: string): Promise<number | null> {
    const seq = await this.#redis.hget(this.#key('chat-ids', room), chatKey(sender, id));
    return seq === null ? null : Number(seq);
  }

  async recordChat(room: string, sender: string, id: string, seq: number): Promise<void> {
    await this.#run(
      scripts.recordChat,
      [this.#key('conf', room), this.#key('chat-ids', room), this.#key('chat-order', room)],
      [room, chatKey(sender, id), seq, this.#maxChatIds],
    );
  }
}

function chatKey(sender: string, id: string): string {
  return `${sender}\n${id}`;
}

/** A flat [field, value, …] reply as an object. */
function pairs(reply: unknown): Record<string, string> {
  const flat = reply as unknown[];
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) out[String(flat[i])] = String(flat[i + 1]);
  return out;
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

function toEvent(id: string, json: string): ConfEvent {
  const seq = Number(id.slice(0, id.indexOf('-')));
  return { ...(JSON.parse(json) as ConfEventInput), seq } as ConfEvent;
}
