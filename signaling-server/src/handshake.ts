import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { LogThrottle } from './log-throttle.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import { createOriginCheck, type OriginSettings } from './origin.ts';
import { securityHeaders } from './security-headers.ts';

export interface AdmitDeps {
  origins: OriginSettings;
  logger: Logger;
  /** Late-bound: the app that owns them is made after socket.io, which needs `admit`. */
  metrics: () => Metrics;
  logThrottle: () => LogThrottle;
}

/**
 * The Origin allowlist (origin.ts), decided before engine.io sees the request: no session exists
 * for a refused page. Counted, and logged once per origin per minute, not per try.
 */
export function createAdmit({
  origins,
  logger,
  metrics,
  logThrottle,
}: AdmitDeps): (req: IncomingMessage) => boolean {
  const originCheck = createOriginCheck(origins);
  return (req: IncomingMessage): boolean => {
    const verdict = originCheck(req.headers);
    if (verdict.ok) return true;
    metrics().originRefused.inc();
    const origin = verdict.origin.slice(0, 200);
    const suppressed = logThrottle().take(`origin refused:${origin}`);
    if (suppressed !== null) {
      logger.warn(
        { origin, reason: verdict.reason, address: req.socket.remoteAddress, suppressed },
        'handshake refused: origin',
      );
    }
    return false;
  };
}

/**
 * engine.io's upgrade listener runs only for an allowed Origin; others get a plain 403 (engine.io
 * itself would answer a refused upgrade 400). Call after socket.io attached to `httpServer`.
 */
export function guardUpgrades(
  httpServer: HttpServer | HttpsServer,
  admit: (req: IncomingMessage) => boolean,
): void {
  const engineUpgrade = httpServer.listeners('upgrade') as ((...args: unknown[]) => void)[];
  httpServer.removeAllListeners('upgrade');
  httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!admit(req)) {
      refuseUpgrade(socket, req.headers.host);
      return;
    }
    for (const listener of engineUpgrade) listener.call(httpServer, req, socket, head);
  });
}

/** The answer to a WebSocket upgrade from a page of another site. */
function refuseUpgrade(socket: Duplex, host: string | undefined): void {
  socket.on('error', () => {});
  if (socket.writable) {
    const body = 'origin not allowed\n';
    const headers = Object.entries(securityHeaders(host))
      .map(([name, value]) => `${name}: ${String(value)}\r\n`)
      .join('');
    socket.write(
      `HTTP/1.1 403 Forbidden\r\nConnection: close\r\nContent-Type: text/plain; charset=utf-8\r\n${headers}Content-Length: ${body.length}\r\n\r\n${body}`,
    );
  }
  // After the answer is flushed (`end`), and at the latest a second later (a peer not reading).
  socket.end();
  setTimeout(() => socket.destroy(), 1_000).unref();
}
