import type { IncomingMessage, ServerResponse } from 'node:http';
import { leaveBeaconSchema } from '../../shared/src/schemas.ts';
import { LIMITS } from '../../shared/src/timing.ts';
import type { LeaveBeaconResult } from './handlers/leave-beacon.ts';
import type { Logger } from './logger.ts';
import { addressKey } from './rate-limit.ts';

/** A token and a little JSON; anything longer is not a beacon of ours. */
export const LEAVE_BEACON_MAX_BYTES = LIMITS.resumeToken + 64;

export interface LeaveBeaconRouteDeps {
  leave: (token: string, address: string) => Promise<LeaveBeaconResult>;
  logger: Logger;
}

/**
 * `POST /leave` over HTTP: reads at most LEAVE_BEACON_MAX_BYTES, validates the body with the
 * shared schema, answers with a status only (a beacon's sender never reads the answer; a
 * script's does): 204 left, 400 bad body, 403 token refused, 405 not POST, 413 too long, 429
 * rate-limited (with Retry-After).
 */
export function leaveBeaconRoute(
  deps: LeaveBeaconRouteDeps,
): (req: IncomingMessage, res: ServerResponse) => void {
  const answer = (res: ServerResponse, status: number, headers: Record<string, string> = {}): void => {
    if (res.headersSent) return;
    res.writeHead(status, { 'cache-control': 'no-store', ...headers });
    res.end();
  };

  return (req, res) => {
    if (req.method !== 'POST') return answer(res, 405, { allow: 'POST' });
    // No Origin allowlist here: Firefox sends a closing page's beacon with `Origin: null`, and the
    // token is the credential (a page elsewhere cannot know it, so it cannot end anyone's session).
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > LEAVE_BEACON_MAX_BYTES) {
        answer(res, 413, { connection: 'close' });
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('error', () => answer(res, 400));
    req.on('end', () => {
      if (size > LEAVE_BEACON_MAX_BYTES) return;
      const body = parseJson(Buffer.concat(chunks).toString('utf8'));
      const parsed = leaveBeaconSchema.safeParse(body);
      if (!parsed.success) return answer(res, 400);
      deps.leave(parsed.data.token, addressKey(req.socket.remoteAddress)).then(
        (result) => {
          if (result.kind === 'left') answer(res, 204);
          else if (result.kind === 'rejected') answer(res, 403);
          else answer(res, 429, { 'retry-after': String(Math.ceil(result.retryAfterMs / 1000)) });
        },
        (err: unknown) => {
          deps.logger.error({ err }, 'leave beacon failed');
          answer(res, 503);
        },
      );
    });
  };
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
