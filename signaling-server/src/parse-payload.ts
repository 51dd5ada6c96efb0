import type { z } from 'zod';
import type { ClientEventName, Failure } from '../../shared/src/protocol.ts';
import { ResultCode } from '../../shared/src/result-codes.ts';
import { clientEventSchemas } from '../../shared/src/schemas.ts';
import { fail } from './types.ts';

export type Parsed = { ok: true; data: unknown } | { ok: false; reply: Failure; issue: string };

/**
 * The payload parsed by its schema, or the INVALID_PARAM reply. Never throws. The reply names
 * the first issue in zod's words (which may quote the sender's own unknown key names); the log
 * gets only the path and the issue code, so nothing the client sent is ever written to a log.
 */
export function parsePayload(event: ClientEventName, payload: unknown[]): Parsed {
  if (payload.length !== 1) {
    const message = `expected exactly one payload and an ack, got ${payload.length} payloads`;
    return { ok: false, reply: fail(ResultCode.INVALID_PARAM, message), issue: 'arguments' };
  }
  const schema: z.ZodType = clientEventSchemas[event];
  try {
    const parsed = schema.safeParse(payload[0]);
    if (parsed.success) return { ok: true, data: parsed.data };
    const issue = parsed.error.issues[0];
    const path = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : 'payload';
    return {
      ok: false,
      reply: fail(ResultCode.INVALID_PARAM, `${path}: ${issue?.message ?? 'invalid'}`.slice(0, 200)),
      issue: `${path}: ${issue?.code ?? 'invalid'}`.slice(0, 200),
    };
  } catch {
    return {
      ok: false,
      reply: fail(ResultCode.INVALID_PARAM, 'payload could not be read'),
      issue: 'unreadable',
    };
  }
}
