import type { ChatMessage, ConfEvent } from '../../../../shared/src/payloads.ts';
import { chatKey, type EventLogLimits } from '../event-log-rules.ts';
import { LuaScript } from '../lua-script.ts';
import type { ConfEventInput, EventLogStore } from '../store.ts';
import type { Keyspace } from './keyspace.ts';

const scripts = {
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

/**
 * The bounded event log (a Stream whose entry ids are the sequence numbers; see
 * `redis-store.ts`) and the chat de-dup records of each conference.
 */
export class RedisEventLog implements EventLogStore {
  constructor(
    private readonly ks: Keyspace,
    private readonly limits: EventLogLimits,
  ) {}

  async appendEvent(room: string, input: ConfEventInput): Promise<ConfEvent> {
    const json = JSON.stringify(input);
    const seq = await this.ks.run(
      scripts.appendEvent,
      [this.ks.key('conf', room), this.ks.key('events', room)],
      [room, input.kind, json, this.limits.maxEvents, this.limits.maxEventBytes],
    );
    return { ...(JSON.parse(json) as ConfEventInput), seq: Number(seq) } as ConfEvent;
  }

  async lastSeq(room: string): Promise<number> {
    return Number((await this.ks.redis.hget(this.ks.key('conf', room), 'seq')) ?? 0);
  }

  async eventsSince(room: string, seq: number): Promise<ConfEvent[] | null> {
    if (!Number.isSafeInteger(seq)) return null;
    const reply = (await this.ks.run(
      scripts.eventsSince,
      [this.ks.key('conf', room), this.ks.key('events', room)],
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
    const reply = (await this.ks.run(scripts.recentChat, [this.ks.key('events', room)], [limit])) as string[];
    return reply.map((json) => (JSON.parse(json) as { message: ChatMessage }).message).reverse();
  }

  async chatSeq(room: string, sender: string, id: string): Promise<number | null> {
    const seq = await this.ks.redis.hget(this.ks.key('chat-ids', room), chatKey(sender, id));
    return seq === null ? null : Number(seq);
  }

  async recordChat(room: string, sender: string, id: string, seq: number): Promise<void> {
    await this.ks.run(
      scripts.recordChat,
      [this.ks.key('conf', room), this.ks.key('chat-ids', room), this.ks.key('chat-order', room)],
      [room, chatKey(sender, id), seq, this.limits.maxChatIds],
    );
  }
}

function toEvent(id: string, json: string): ConfEvent {
  const seq = Number(id.slice(0, id.indexOf('-')));
  return { ...(JSON.parse(json) as ConfEventInput), seq } as ConfEvent;
}
