import type { ClientEventName } from '../../shared/src/protocol.ts';
import { ResultCode, resultCodeName } from '../../shared/src/result-codes.ts';
import { clientEventSchemas } from '../../shared/src/schemas.ts';
import type { Clock } from './clock.ts';
import { SerialQueue } from './keyed-mutex.ts';
import { LogThrottle } from './log-throttle.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import { parsePayload } from './parse-payload.ts';
import { type QuotaClass, type Quotas, quotaClassOf } from './quotas.ts';
import { pauseReading } from './read-pause.ts';
import { type AppSocket, fail, type Handler, type Handlers } from './types.ts';

type AnyAck = (reply: unknown) => void;

/**
 * Events one socket may have waiting for the handlers. Far above what a client does (a resumed
 * outbox re-sends its queue at once: tens of messages); a socket flooding past it gets
 * RATE_LIMITED at once instead of growing the server's memory.
 */
export const MAX_PENDING_PER_SOCKET = 1_000;
/** How soon a socket refused for a full queue may try again. */
const QUEUE_FULL_RETRY_MS = 1_000;
/** One log line per socket and kind of bad input per this interval (the rest are counted). */
export const BAD_INPUT_LOG_INTERVAL_MS = 60_000;

export interface GateDeps {
  handlers: Handlers;
  onDisconnect: (socket: AppSocket) => Promise<void>;
  logger: Logger;
  clock: Clock;
  metrics?: Metrics;
  /**
   * Shared by every socket: a failing dependency (Redis away) fails every request of every
   * socket, and that must be a few log lines, not one per request.
   */
  logThrottle?: LogThrottle;
  /** Per-session token buckets on every event (quotas.ts); absent: no quotas (unit harnesses). */
  quotas?: Quotas;
}

const QUOTA_WORDS: Record<QuotaClass, string> = {
  chat: 'too many chat messages',
  signal: 'too many signaling messages',
  control: 'too many requests',
};

/** One socket's entrance: what socket.io (or a test) hands every inbound event to. */
export interface SocketGate {
  /** An inbound event with its raw arguments (the ack, if any, last). Never throws. */
  receive(event: unknown, args: unknown[]): void;
  /** The socket is gone; runs after everything it sent before. */
  disconnected(reason: string): Promise<void>;
  /** Events accepted and not yet answered. */
  readonly pending: number;
}

/**
 * The one gate all inbound events pass (spec §7):
 * - an unknown event name gets INVALID_PARAM (if it has an ack) and is dropped;
 * - the last argument must be an ack function; without one the event is dropped;
 * - exactly one payload, parsed with `clientEventSchemas[event]`, before anything is queued:
 *   a failure replies INVALID_PARAM at once and changes nothing;
 * - bad input is logged once per socket and kind per minute, with a count of what was held
 *   back, never once per packet (a flood must not become a log flood);
 * - every valid event spends a token of its session's quota (quotas.ts): without one it gets
 *   RATE_LIMITED with `retryAfterMs`; a session that keeps sending far past its quota is told
 *   so in that reply and disconnected;
 * - valid events of one socket run one at a time, in arrival order (a pipelined `resume` then
 *   `conf:resume` works, and one sender's chat keeps its order); at most
 *   MAX_PENDING_PER_SOCKET wait, beyond that RATE_LIMITED;
 * - a handler that throws or rejects replies SERVER_UNAVAILABLE: input never crashes the process.
 * The disconnect handling joins the same queue, so it runs after whatever the socket sent.
 */
export function createSocketGate(socket: AppSocket, deps: GateDeps): SocketGate {
  const { handlers, onDisconnect, clock, metrics } = deps;
  const queue = new SerialQueue();
  let child: Logger | undefined;
  // Made on first use: most sockets log nothing at the running level, and a pino child per
  // connection is a cost every resume pays.
  const log = (): Logger => (child ??= deps.logger.child({ socket: socket.id }));
  // Per socket, so it goes away with the socket; keyed by the kind of bad input.
  const throttle = new LogThrottle(clock, BAD_INPUT_LOG_INTERVAL_MS, 16);
  let pending = 0;
  let disconnecting = false;

  function badInput(kind: string, fields: Record<string, unknown>): void {
    metrics?.badInput.inc({ kind });
    const suppressed = throttle.take(kind);
    if (suppressed === null) return;
    log().warn(suppressed > 0 ? { ...fields, suppressed } : fields, kind);
  }

  function reply(ack: AnyAck | undefined, event: string, value: unknown): void {
    if (!ack) return;
    if (metrics) {
      const code = (value as { code?: unknown }).code;
      const result = typeof code === 'number' ? resultCodeName(code) : 'unknown';
      metrics.requests.inc({ event, result });
      if (code === ResultCode.RATE_LIMITED) metrics.rateLimited.inc({ event });
    }
    try {
      ack(value);
    } catch (err) {
      log().error({ err, event }, 'ack failed');
    }
  }

  function handlerFailed(event: string, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    const suppressed = deps.logThrottle ? deps.logThrottle.take(`handler failed:${event}:${message}`) : 0;
    if (suppressed !== null)
      log().error(suppressed > 0 ? { err, event, suppressed } : { err, event }, 'handler failed');
  }

  /** Spends a token; false (and the reply sent) when the session has none. */
  function withinQuota(name: ClientEventName, ack: AnyAck, data: unknown): boolean {
    const kind = quotaClassOf(name);
    const session = socket.data.userId ?? `socket:${socket.id}`;
    // What a relay pushes at its target: the signal's payload, as it will be sent on.
    const bytes = kind === 'signal' ? JSON.stringify((data as { data?: unknown }).data ?? null).length : 0;
    const decision = deps.quotas?.take(session, kind, bytes) ?? { ok: true };
    if (decision.ok) return true;
    if (decision.first)
      log().warn({ userId: socket.data.userId, quota: kind, event: name }, 'quota exceeded');
    if (!decision.disconnect) {
      reply(ack, name, fail(ResultCode.RATE_LIMITED, QUOTA_WORDS[kind], decision.retryAfterMs));
      if (decision.pauseReadingMs > 0 && pauseReading(socket, decision.pauseReadingMs))
        metrics?.readPauses.inc();
      return false;
    }
    if (!disconnecting) {
      disconnecting = true;
      metrics?.quotaDisconnects.inc({ quota: kind });
      log().warn({ userId: socket.data.userId, quota: kind }, 'disconnected: far past its quota');
      reply(
        ack,
        name,
        fail(
          ResultCode.RATE_LIMITED,
          `${QUOTA_WORDS[kind]}: kept sending past the quota, disconnected`,
          decision.retryAfterMs,
        ),
      );
      // After the reply: the client reads why before the socket closes.
      socket.disconnect(true);
    }
    return false;
  }

  function receive(event: unknown, args: unknown[]): void {
    const last = args.at(-1);
    const ack = typeof last === 'function' ? (last as AnyAck) : undefined;
    if (typeof event !== 'string' || !Object.hasOwn(clientEventSchemas, event)) {
      // A short name is logged as is; a long one only by its length (it could be anything,
      // a pasted token included, and a log must never hold a secret).
      badInput('unknown event', {
        event:
          typeof event !== 'string' ? typeof event : event.length <= 24 ? event : `(${event.length} chars)`,
      });
      reply(ack, 'unknown', fail(ResultCode.INVALID_PARAM, 'unknown event'));
      return;
    }
    const name = event as ClientEventName;
    if (!ack) {
      badInput('event without an ack callback dropped', { event: name });
      return;
    }
    const payload = args.slice(0, -1);
    const parsed = parsePayload(name, payload);
    if (!parsed.ok) {
      badInput('invalid payload', { event: name, issue: parsed.issue });
      reply(ack, name, parsed.reply);
      return;
    }
    if (deps.quotas && !withinQuota(name, ack, parsed.data)) return;
    if (pending >= MAX_PENDING_PER_SOCKET) {
      badInput('socket queue full', { event: name, pending });
      reply(ack, name, fail(ResultCode.RATE_LIMITED, 'too many requests in flight', QUEUE_FULL_RETRY_MS));
      return;
    }
    pending += 1;
    const handler = handlers[name] as Handler<typeof name>;
    // Wall time, not the injected clock: this measures the server, it is no product rule.
    const started = performance.now();
    queue
      .push(() => handler(socket, parsed.data as never))
      .then(
        (value) => value,
        (err: unknown) => {
          handlerFailed(name, err);
          return fail(ResultCode.SERVER_UNAVAILABLE, 'the server failed to handle this request');
        },
      )
      .then((value) => {
        pending -= 1;
        metrics?.requestSeconds.observe({ event: name }, (performance.now() - started) / 1_000);
        reply(ack, name, value);
      });
  }

  return {
    receive(event, args) {
      try {
        receive(event, args);
      } catch (err) {
        // Nothing above should throw; if it does, the input is dropped, never the process.
        log().error({ err }, 'inbound event failed');
      }
    },
    async disconnected(reason) {
      if (deps.logger.isLevelEnabled('info'))
        log().info({ reason, userId: socket.data.userId }, 'socket disconnected');
      deps.quotas?.forget(`socket:${socket.id}`);
      for (const kind of ['unknown event', 'event without an ack callback dropped', 'invalid payload']) {
        const suppressed = throttle.drain(kind);
        if (suppressed > 0) log().warn({ suppressed }, `${kind}: more on this socket, not logged`);
      }
      try {
        await queue.push(() => onDisconnect(socket));
      } catch (err) {
        log().error({ err }, 'disconnect handling failed');
      }
    },
    get pending() {
      return pending;
    },
  };
}

/** Binds a socket.io socket to its gate. */
export function bindSocket(socket: AppSocket, deps: GateDeps): SocketGate {
  const gate = createSocketGate(socket, deps);
  socket.onAny((event: unknown, ...args: unknown[]) => gate.receive(event, args));
  socket.on('disconnect', (reason) => void gate.disconnected(reason));
  return gate;
}
