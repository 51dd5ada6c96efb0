import type { z } from 'zod';
import type { ClientEventName } from '../../shared/src/protocol.ts';
import { ResultCode } from '../../shared/src/result-codes.ts';
import { clientEventSchemas } from '../../shared/src/schemas.ts';
import { SerialQueue } from './keyed-mutex.ts';
import type { Logger } from './logger.ts';
import { type AppSocket, fail, type Handler, type Handlers } from './types.ts';

type AnyAck = (reply: unknown) => void;
/** The socket seen without the typed event map: inbound arguments are untrusted. */
type RawSocket = { on(event: string, listener: (...args: unknown[]) => void): void };

const EVENT_NAMES = Object.keys(clientEventSchemas) as ClientEventName[];

/**
 * Binds every handler to the socket behind the one gate all inbound events pass:
 * - the last argument must be an ack function; without one the event is logged and dropped;
 * - exactly one payload, parsed with `clientEventSchemas[event]`; a failure replies
 *   INVALID_PARAM and changes nothing;
 * - a handler that throws or rejects replies SERVER_UNAVAILABLE: input never crashes the process;
 * - events of one socket run one at a time, in arrival order (a pipelined `resume` then
 *   `conf:resume` works, and one sender's chat keeps its order). The disconnect handling
 *   joins the same queue, so it runs after whatever the socket sent before going away.
 */
export function bindSocket(
  socket: AppSocket,
  handlers: Handlers,
  onDisconnect: (socket: AppSocket) => Promise<void>,
  logger: Logger,
): void {
  const queue = new SerialQueue();
  const raw = socket as unknown as RawSocket;
  const log = logger.child({ socket: socket.id });

  for (const event of EVENT_NAMES) {
    raw.on(event, (...args) => {
      const ack = args.at(-1);
      if (typeof ack !== 'function') {
        log.warn({ event }, 'event without an ack callback dropped');
        return;
      }
      queue
        .push(() => dispatch(event, args.slice(0, -1), socket, handlers, log))
        .then(
          (reply) => reply,
          (err: unknown) => {
            log.error({ err, event }, 'handler failed');
            return fail(ResultCode.SERVER_UNAVAILABLE, 'the server failed to handle this request');
          },
        )
        .then((reply) => {
          try {
            (ack as AnyAck)(reply);
          } catch (err) {
            log.error({ err, event }, 'ack failed');
          }
        });
    });
  }

  socket.onAny((event: unknown, ...args: unknown[]) => {
    if (typeof event === 'string' && Object.hasOwn(clientEventSchemas, event)) return;
    log.warn({ event: typeof event === 'string' ? event.slice(0, 64) : typeof event }, 'unknown event');
    const ack = args.at(-1);
    if (typeof ack === 'function') (ack as AnyAck)(fail(ResultCode.INVALID_PARAM, 'unknown event'));
  });

  socket.on('disconnect', (reason) => {
    log.info({ reason, userId: socket.data.userId }, 'socket disconnected');
    queue
      .push(() => onDisconnect(socket))
      .catch((err: unknown) => log.error({ err }, 'disconnect handling failed'));
  });
}

async function dispatch<E extends ClientEventName>(
  event: E,
  payload: unknown[],
  socket: AppSocket,
  handlers: Handlers,
  log: Logger,
): Promise<unknown> {
  if (payload.length !== 1) {
    log.warn({ event, args: payload.length }, 'invalid payload: expected exactly one argument');
    return fail(ResultCode.INVALID_PARAM, 'expected exactly one payload and an ack');
  }
  const schema: z.ZodType = clientEventSchemas[event];
  const parsed = schema.safeParse(payload[0]);
  if (!parsed.success) {
    const message = describeIssue(parsed.error);
    log.warn({ event, issue: message }, 'invalid payload');
    return fail(ResultCode.INVALID_PARAM, message);
  }
  const handler = handlers[event] as Handler<E>;
  return handler(socket, parsed.data as Parameters<Handler<E>>[1]);
}

function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid payload';
  const path = issue.path.length > 0 ? issue.path.map(String).join('.') : 'payload';
  return `${path}: ${issue.message}`.slice(0, 200);
}
