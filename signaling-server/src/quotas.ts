import type { ClientEventName } from '../../shared/src/protocol.ts';
import type { Clock } from './clock.ts';

/** A token bucket: `burst` events at once, refilled at `perMinute` (continuously). */
export interface BucketConfig {
  burst: number;
  perMinute: number;
}

/**
 * Per-session quotas on every client event (issue 12), as token buckets. A refusal answers
 * RATE_LIMITED with `retryAfterMs` (when the next token is due) and costs nothing; a session
 * refused more than `disconnectAfter` times in a row in one bucket (it never waited for the
 * `retryAfterMs` it was told) is disconnected.
 */
export interface QuotaConfig {
  /**
   * `chat:send` (burst 30, 60 a minute). A person typing fast sends a line every second or
   * two; pasting a few lines, or the outbox re-sending what was typed during a resume, is a
   * burst of tens. A script sending 2 000 a second gets 30 through and then one a second: the
   * other participants see a chat, not a flood (and the SDK's outbox waits `retryAfterMs`).
   */
  chat: BucketConfig;
  /**
   * `signal` relays (burst 1 500, 18 000 a minute = 300/s). The worst legitimate case is a
   * 16-person mesh whose network changed: each participant restarts ICE with its 15 peers at
   * once, sending per peer an offer or answer, ~20 candidates, `restart`, `probe`/`probe-ack`,
   * `media-outage`, `keyframe`, and then `media-check`/`media-check-ack` every 250 ms per peer
   * while media recovers (15 × 2 × 4 = 120/s), plus a new offer and candidates on every 750 ms
   * restart: ~720 at once (tests/integration/quotas.test.ts sends exactly that burst), then
   * ~260/s for as long as the recovery lasts. Twice the burst and a little above that rate.
   */
  signal: BucketConfig;
  /**
   * Bytes of `signal` payloads (their JSON), per session (burst 1 MiB, 15 MiB a minute =
   * 256 KiB/s): the count above lets 1 500 relays through, and at the schema's 32 000-character
   * SDP that would be 48 MB pushed at the other participants. The ICE-restart burst above weighs
   * ~210 KB (15 offers or answers of ~5 KB, 300 candidates); a restart round every 750 ms to 15
   * peers ~110 KB/s. Four times the burst, twice the rate.
   */
  signalBytes: BucketConfig;
  /**
   * Everything else (burst 60, 120 a minute): login, resume, conf:join/leave/resume, logout,
   * ping, ice:refresh. A real client sends a handful per minute, a few more while a flapping
   * network makes it probe and resume; login and resume also have their own per-address and
   * per-name limits (RateLimitConfig). A join/leave loop is held to one of each a second.
   */
  control: BucketConfig;
  /**
   * Refusals in a row in one bucket before the session is disconnected (100). A client that
   * honours `retryAfterMs` is refused once and then waits; only a sender that ignores it
   * reaches this, in a fraction of a second of flooding.
   */
  disconnectAfter: number;
  /**
   * Refusals in a row in one bucket after which the server also stops reading the session's
   * socket until its next token is due (10; at most MAX_READ_PAUSE_MS at a time). Refusing is
   * cheap, but every refused event was still read, unmasked and parsed (a 15 KB offer each), and
   * libuv reads a busy socket up to 2 MB at a time: one flooding socket held the event loop for
   * 40–100 ms stretches, and an honest chat line waited behind them. Paused, the flood waits in
   * the sender's own TCP buffers. A client honouring `retryAfterMs` is refused once, never 10
   * times in a row.
   */
  slowReadingAfter: number;
}

/** The longest one read pause lasts: well inside the 2 s heartbeat timeout, so a pong is late, never lost. */
export const MAX_READ_PAUSE_MS = 1_000;

export const DEFAULT_QUOTAS: Readonly<QuotaConfig> = {
  chat: { burst: 30, perMinute: 60 },
  signal: { burst: 1_500, perMinute: 18_000 },
  signalBytes: { burst: 1_048_576, perMinute: 15 * 1_048_576 },
  control: { burst: 60, perMinute: 120 },
  disconnectAfter: 100,
  slowReadingAfter: 10,
};

export type QuotaClass = 'chat' | 'signal' | 'control';
type BucketName = QuotaClass | 'signalBytes';

export function quotaClassOf(event: ClientEventName): QuotaClass {
  return event === 'chat:send' ? 'chat' : event === 'signal' ? 'signal' : 'control';
}

export type QuotaDecision =
  | { ok: true }
  | {
      ok: false;
      retryAfterMs: number;
      /** Past `disconnectAfter` refusals in a row: disconnect the sender. */
      disconnect: boolean;
      /** From `slowReadingAfter` refusals in a row: stop reading the sender this long (else 0). */
      pauseReadingMs: number;
      /** The first refusal of a run: log it, not the run behind it. */
      first: boolean;
    };

interface Bucket {
  tokens: number;
  at: number;
  /** Refusals since the last event that passed. */
  refusedInARow: number;
}

/**
 * The buckets of the sessions on this process, keyed by session (a login session's userId, so
 * a resume on this process keeps its bucket; a socket's id before it logs in).
 *
 * Not in Redis, unlike the login/resume windows (rate-limit.ts): a session's events all arrive
 * on the one socket it is attached to, so one process sees all of them; a Redis round trip on
 * every relay (the hot path of an ICE restart) would cost latency for nothing. Moving to
 * another process takes a `resume`, itself limited (60 a minute per session), so spreading a
 * flood over processes gains at most one burst per resume.
 *
 * Memory: one small entry per session that sent something; an entry whose bucket is full
 * again is forgotten by the sweep (a fresh one is the same bucket).
 */
export class Quotas {
  readonly #buckets = new Map<string, Bucket>();
  #lastSweep: number;
  readonly #sweepEveryMs = 60_000;

  constructor(
    private readonly clock: Clock,
    private readonly config: QuotaConfig,
  ) {
    this.#lastSweep = clock.now();
  }

  /**
   * Spends one event of `kind` (and, for a signal, its `bytes` from the byte bucket): both or
   * neither, so a refusal costs nothing.
   */
  take(session: string, kind: QuotaClass, bytes = 0): QuotaDecision {
    const now = this.clock.now();
    this.#sweep(now);
    const count = this.#refill(session, kind, now);
    const size = kind === 'signal' ? this.#refill(session, 'signalBytes', now) : null;
    // A payload larger than the whole byte burst still passes once the bucket is full.
    const cost = size ? Math.min(bytes, this.config.signalBytes.burst) : 0;
    if (count.tokens >= 1 && (!size || size.tokens >= cost)) {
      count.tokens -= 1;
      count.refusedInARow = 0;
      if (size) size.tokens -= cost;
      return { ok: true };
    }
    count.refusedInARow += 1;
    const wait = (b: Bucket, name: BucketName, need: number) =>
      // Rounded down by a hair first: 0.999 tokens at 1 a second is 1 ms away, not 2.
      b.tokens >= need ? 0 : Math.ceil((need - b.tokens) / (this.config[name].perMinute / 60_000) - 1e-6);
    const retryAfterMs = Math.max(1, wait(count, kind, 1), size ? wait(size, 'signalBytes', cost) : 0);
    return {
      ok: false,
      retryAfterMs,
      disconnect: count.refusedInARow > this.config.disconnectAfter,
      pauseReadingMs:
        count.refusedInARow >= this.config.slowReadingAfter ? Math.min(retryAfterMs, MAX_READ_PAUSE_MS) : 0,
      first: count.refusedInARow === 1,
    };
  }

  #refill(session: string, name: BucketName, now: number): Bucket {
    const { burst, perMinute } = this.config[name];
    const key = `${name}\n${session}`;
    let bucket = this.#buckets.get(key);
    if (!bucket) {
      bucket = { tokens: burst, at: now, refusedInARow: 0 };
      this.#buckets.set(key, bucket);
    }
    bucket.tokens = Math.min(burst, bucket.tokens + ((now - bucket.at) * perMinute) / 60_000);
    bucket.at = now;
    return bucket;
  }

  /** The session is gone from this process (its socket closed). */
  forget(session: string): void {
    for (const name of ['chat', 'signal', 'signalBytes', 'control'] as const) {
      this.#buckets.delete(`${name}\n${session}`);
    }
  }

  /** Live buckets (to show memory stays bounded). */
  get size(): number {
    return this.#buckets.size;
  }

  #sweep(now: number): void {
    if (now - this.#lastSweep < this.#sweepEveryMs) return;
    this.#lastSweep = now;
    for (const [key, bucket] of this.#buckets) {
      const name = key.slice(0, key.indexOf('\n')) as BucketName;
      const { burst, perMinute } = this.config[name];
      if (bucket.tokens + ((now - bucket.at) * perMinute) / 60_000 >= burst) this.#buckets.delete(key);
    }
  }
}
