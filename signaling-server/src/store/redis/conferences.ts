import type { Participant, ParticipantStatus } from '../../../../shared/src/payloads.ts';
import type { Clock } from '../../clock.ts';
import { LuaScript } from '../lua-script.ts';
import type { ConferenceRecord, ConferenceStore } from '../store.ts';
import { type Keyspace, WRAP } from './keyspace.ts';

const scripts = {
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
};

/**
 * Conferences (the `conf:<room>` hash, which also carries the event log's counters) and their
 * members in join order. Deleting one deletes every key of the room, the log's included.
 */
export class RedisConferences implements ConferenceStore {
  constructor(
    private readonly ks: Keyspace,
    private readonly clock: Clock,
  ) {}

  async openConference(room: string): Promise<ConferenceRecord> {
    const reply = (await this.ks.run(
      scripts.openConference,
      [this.ks.key('conf', room), `${this.ks.prefix}counter:call-id`],
      [room, this.clock.now()],
    )) as string[];
    return { room: String(reply[0]), callId: Number(reply[1]), createdAt: Number(reply[2]) };
  }

  async getConference(room: string): Promise<ConferenceRecord | null> {
    const [r, callId, createdAt] = await this.ks.redis.hmget(
      this.ks.key('conf', room),
      'room',
      'callId',
      'createdAt',
    );
    if (r == null || callId == null || createdAt == null) return null;
    return { room: r, callId: Number(callId), createdAt: Number(createdAt) };
  }

  async deleteConference(room: string): Promise<void> {
    await this.ks.redis.del(
      ...['conf', 'members', 'member-data', 'events', 'chat-ids', 'chat-order'].map((kind) =>
        this.ks.key(kind, room),
      ),
    );
  }

  async members(room: string): Promise<Participant[]> {
    const reply = (await this.ks.run(scripts.members, [
      this.ks.key('members', room),
      this.ks.key('member-data', room),
    ])) as (string | null)[];
    return reply.flatMap((json) => (json ? [JSON.parse(json) as Participant] : []));
  }

  async addMember(room: string, participant: Participant): Promise<void> {
    await this.ks.run(
      scripts.addMember,
      [this.ks.key('conf', room), this.ks.key('members', room), this.ks.key('member-data', room)],
      [room, participant.handle, JSON.stringify(participant)],
    );
  }

  async removeMember(room: string, handle: number): Promise<void> {
    await this.ks.run(
      scripts.removeMember,
      [this.ks.key('members', room), this.ks.key('member-data', room)],
      [handle],
    );
  }

  async replaceMember(room: string, oldHandle: number, participant: Participant): Promise<void> {
    await this.ks.run(
      scripts.replaceMember,
      [this.ks.key('conf', room), this.ks.key('members', room), this.ks.key('member-data', room)],
      [room, oldHandle, participant.handle, JSON.stringify(participant)],
    );
  }

  async setMemberStatus(room: string, handle: number, status: ParticipantStatus): Promise<void> {
    await this.ks.run(scripts.setMemberStatus, [this.ks.key('member-data', room)], [handle, status]);
  }
}
