import type { Server as HttpServer, IncomingMessage } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import { Server } from 'socket.io';
import { HEARTBEAT_INTERVAL_MS, HEARTBEAT_TIMEOUT_MS, LIMITS } from '../../shared/src/timing.ts';
import type { App } from './app.ts';
import type { Coordination } from './coordination.ts';
import { watchGoingAway } from './going-away.ts';
import { guardUpgrades } from './handshake.ts';
import type { Logger } from './logger.ts';
import { guardOutbound } from './outbound-guard.ts';
import { securityHeaders } from './security-headers.ts';
import { type AppServer, type AppSocket, socketRef } from './types.ts';
import { bindSocket, type SocketGate } from './validate.ts';

/** socket.io on the app's HTTP server: only pages from an allowed Origin get a handshake. */
export function createSocketServer(
  httpServer: HttpServer | HttpsServer,
  coordination: Coordination,
  admit: (req: IncomingMessage) => boolean,
): AppServer {
  const io: AppServer = new Server(httpServer, {
    transports: ['websocket', 'polling'],
    maxHttpBufferSize: LIMITS.packetBytes,
    // HTTP long-polling handshakes (engine.io answers them 403); WebSocket upgrades are checked
    // by `guardUpgrades`, since engine.io answers a refused upgrade 400.
    allowRequest: (req, callback) => {
      const ok = admit(req);
      callback(ok ? null : 'origin not allowed', ok);
    },
    pingInterval: HEARTBEAT_INTERVAL_MS,
    pingTimeout: HEARTBEAT_TIMEOUT_MS,
    serveClient: false,
    ...(coordination.adapter ? { adapter: coordination.adapter as never } : {}),
  });
  guardUpgrades(httpServer, admit);
  // The same headers on engine.io's own HTTP answers (long-polling, handshakes).
  io.engine.on('headers', (headers: Record<string, unknown>, req: IncomingMessage) => {
    Object.assign(headers, securityHeaders(req.headers.host));
  });
  return io;
}

/** Every accepted socket: its ref, the gate in front of the handlers, the outbound guard. */
export function wireSockets(
  io: AppServer,
  {
    app,
    nodeId,
    outboundBufferMaxBytes,
    logger,
  }: { app: App; nodeId: string; outboundBufferMaxBytes: number; logger: Logger },
): void {
  io.on('connection', (socket) => {
    logger.debug({ socket: socket.id, address: socket.handshake.address }, 'socket connected');
    socket.data.ref = socketRef(nodeId, socket.id);
    // Any process can reach this socket by its ref (a resume elsewhere replacing it).
    socket.join(socket.data.ref);
    const gate = bindSocket(socket, app.gate);
    resumeFromHandshake(socket, gate);
    watchGoingAway(socket);
    guardOutbound(socket, outboundBufferMaxBytes, (bytes) => {
      app.metrics.slowReceivers.inc();
      logger.warn({ socket: socket.id, userId: socket.data.userId, bytes }, 'disconnected: stopped reading');
    });
  });
  io.engine.on('connection_error', (err: { code: number; message: string }) => {
    // A flood of bad handshakes is one line per kind per minute.
    const suppressed = app.logThrottle.take(`connection refused:${err.code}`);
    if (suppressed !== null)
      logger.warn({ code: err.code, message: err.message, suppressed }, 'connection refused');
  });
}

/**
 * A `resume` the handshake carried (`ResumeAuth`) is this socket's first request: it passes the
 * same gate (schema, quotas, order) as one sent after the connect, and its reply goes out as
 * `resume:result`.
 */
function resumeFromHandshake(socket: AppSocket, gate: SocketGate): void {
  const auth: unknown = socket.handshake.auth;
  if (typeof auth !== 'object' || auth === null || !Object.hasOwn(auth, 'resume')) return;
  const reply = (value: unknown) => socket.emit('resume:result', value as never);
  gate.receive('resume', [(auth as { resume: unknown }).resume, reply]);
}
