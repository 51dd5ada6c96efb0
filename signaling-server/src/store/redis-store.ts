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
 * One module per concern (`redis/`): sessions and tokens, handles, conferences and members, the
 * event log with chat de-dup; each keeps its scripts beside the code that runs them.
 *
 * Limits: handle and call-id counters live in Redis; a Redis without persistence that restarts
 * starts them again at 1 (handles could then repeat). After 2^32 - 1 allocations handles wrap,
 * skipping numbers whose record still exists.
 */
import type { Redis } from 'ioredis';
import type { Clock } from '../clock.ts';
import { ComposedStore } from './composed-store.ts';
import { type EventLogOptions, eventLogLimits } from './event-log-rules.ts';
import { RedisConferences } from './redis/conferences.ts';
import { RedisEventLog } from './redis/event-log.ts';
import { RedisHandles } from './redis/handles.ts';
import { Keyspace } from './redis/keyspace.ts';
import { RedisSessions } from './redis/sessions.ts';

export interface RedisStoreOptions extends EventLogOptions {
  clock: Clock;
  /** Prepended to every key: isolates deployments and test runs sharing one Redis. */
  keyPrefix: string;
  /** How long past its deadline a detached session's keys stay before Redis drops them. */
  gcGraceMs?: number;
}

export class RedisStore extends ComposedStore {
  constructor(redis: Redis, options: RedisStoreOptions) {
    const ks = new Keyspace(redis, options.keyPrefix);
    super({
      sessions: new RedisSessions(ks, options.clock, options.gcGraceMs ?? 60_000),
      handles: new RedisHandles(ks),
      conferences: new RedisConferences(ks, options.clock),
      events: new RedisEventLog(ks, eventLogLimits(options)),
    });
  }
}
