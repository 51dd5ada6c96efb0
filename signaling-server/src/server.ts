import {
  createServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Server } from 'socket.io';
import { LEAVE_BEACON_PATH } from '../../shared/src/http-paths.ts';
import { HEARTBEAT_INTERVAL_MS, HEARTBEAT_TIMEOUT_MS, LIMITS } from '../../shared/src/timing.ts';
import { AddressSessions } from './address-sessions.ts';
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import { type Coordination, localCoordination } from './coordination.ts';
import type { Deadlines } from './deadlines.ts';
import { authHandlers } from './handlers/auth.ts';
import { conferenceHandlers, disconnectHandler } from './handlers/conference.ts';
import { type LeaveBeaconResult, leaveBeaconHandler } from './handlers/leave-beacon.ts';
import { relayHandlers } from './handlers/relay.ts';
import { resumeHandlers } from './handlers/resume.ts';
import { leaveBeaconRoute } from './leave-beacon-route.ts';
import { LogThrottle } from './log-throttle.ts';
import type { Logger } from './logger.ts';
import { Metrics } from './metrics.ts';
import { createOriginCheck } from './origin.ts';
import { guardOutbound } from './outbound-guard.ts';
import { Quotas } from './quotas.ts';
import type { Limiter } from './rate-limit.ts';
import { createSeats } from './seats.ts';
import { securityHeaders } from './security-headers.ts';
import { createStaticHandler } from './static-files.ts';
import type { Store } from './store/store.ts';
import { type AppServer, type CoreDeps, type Handlers, socketRef } from './types.ts';
import { bindSocket, type GateDeps } from './validate.ts';

/**
 * Pending connections the kernel queues for us. When a Wi-Fi hiccup drops thousands of sockets
 * they all reconnect at once; Node's default of 511 overflows, and the kernel drops the last
 * ACK of each extra handshake, which its client only retries after 1–3 s (the kernel counted
 * ~2 900 overflows over one 10 000-participant bench:storm run, none with 4096). Linux caps it
 * at net.core.somaxconn.
 */
export const LISTEN_BACKLOG = 4096;

export interface SignalingServerOptions {
  config: Config;
  store: Store;
  clock: Clock;
  logger: Logger;
  /** Several processes on one Redis (cluster/redis-coordination.ts); default: this process alone. */
  coordination?: Coordination;
  /** Event-loop lag, RSS and GC in /metrics: once per process (main.ts), not per test server. */
  processMetrics?: boolean;
}

export interface SignalingServer {
  /** HTTPS when the config has `tls`. */
  httpServer: HttpServer | HttpsServer;
  io: AppServer;
  /** The logic behind the sockets (limits and timers, for tests and diagnostics). */
  app: App;
  /** The `/metrics` listener (config.metrics), apart from the app's port. */
  metricsServer: HttpServer;
  /**
   * Listens on `port`/`host` (default: the config's), and `/metrics` on the config's metrics
   * port and host; resolves with both bound ports.
   */
  listen(port?: number, host?: string): Promise<{ port: number; metricsPort: number }>;
  /** Stops accepting, disconnects every socket, stops firing deadlines. */
  close(): Promise<void>;
}

export interface App {
  /** What every socket's gate runs (validate.ts). */
  gate: GateDeps;
  deadlines: Deadlines;
  /** Holds the seats a dead process served (see Seats.releaseNode). */
  releaseNode(nodeId: string): Promise<void>;
  limiter: Limiter;
  logThrottle: LogThrottle;
  metrics: Metrics;
  quotas: Quotas;
  /** A closing page's leave beacon, by its session's resume token (handlers/leave-beacon.ts). */
  leaveBeacon: (token: string, address: string) => Promise<LeaveBeaconResult>;
}

/**
 * The signaling logic without the network: handlers, seats, timers, limits. `io` only carries
 * emits to rooms, so tests may pass a socket.io `Server` attached to nothing and feed a gate
 * (`createSocketGate`) directly, e.g. to fuzz the validation and handler layer in-process.
 */
export function createApp({
  config,
  store,
  clock,
  logger,
  io,
  coordination = localCoordination(clock, config.rateLimit.windowMs),
  processMetrics = false,
}: SignalingServerOptions & { io: AppServer }): App {
  const core: CoreDeps = {
    config,
    store,
    clock,
    logger,
    io,
    nodeId: coordination.nodeId,
    deadlines: coordination.deadlines,
    locks: coordination.locks,
    broadcastsSent: () => coordination.broadcastsSent(),
    limiter: coordination.limiter,
    logThrottle: new LogThrottle(clock),
    metrics: new Metrics({
      liveSessions: () => {
        let n = 0;
        for (const socket of io.of('/').sockets.values()) if (socket.data.userId) n += 1;
        return n;
      },
      processMetrics,
    }),
    addressSessions: new AddressSessions(config.memory.sessionsPerAddress),
  };
  const quotas = new Quotas(clock, config.quotas);
  const seats = createSeats(core);
  core.deadlines.start(seats.onDeadline);
  const deps = { ...core, seats };
  const handlers: Handlers = {
    ...authHandlers(deps),
    ...resumeHandlers(deps),
    ...conferenceHandlers(deps),
    ...relayHandlers(deps),
  };
  return {
    gate: {
      handlers,
      onDisconnect: disconnectHandler(deps),
      logger,
      clock,
      metrics: core.metrics,
      logThrottle: core.logThrottle,
      quotas,
    },
    deadlines: core.deadlines,
    releaseNode: seats.releaseNode,
    limiter: core.limiter,
    logThrottle: core.logThrottle,
    metrics: core.metrics,
    quotas,
    leaveBeacon: leaveBeaconHandler(deps),
  };
}

/**
 * The HTTP (or HTTPS) server (web app + /healthz) and socket.io on the same port; `/metrics` on
 * its own listener (issue 12: it is nobody's business on the public port).
 */
export function createSignalingServer({
  config,
  store,
  clock,
  logger,
  coordination = localCoordination(clock, config.rateLimit.windowMs),
  processMetrics = false,
}: SignalingServerOptions): SignalingServer {
  const serveStatic = createStaticHandler(config.staticDir);
  const startedAt = clock.now();

  const onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    for (const [name, value] of Object.entries(securityHeaders(req.headers.host))) {
      if (value !== undefined) res.setHeader(name, value);
    }
    if (req.url === '/healthz' || req.url?.startsWith('/healthz?')) {
      // A load balancer takes a process whose shared state is unreachable out of rotation.
      void coordination.healthy().then((ok) => {
        res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' });
        res.end(
          JSON.stringify({
            status: ok ? 'ok' : 'store unreachable',
            node: coordination.nodeId,
            uptimeMs: clock.now() - startedAt,
          }),
        );
      });
      return;
    }
    if (req.url === LEAVE_BEACON_PATH) {
      onLeaveBeacon(req, res);
      return;
    }
    if (req.url === '/metrics' || req.url?.startsWith('/metrics?')) {
      // Not here: on the metrics port. Said plainly, not served the app's index.html.
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store' });
      res.end('not found\n');
      return;
    }
    serveStatic(req, res).catch((err: unknown) => {
      logger.error({ err, url: req.url }, 'static file failed');
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  };
  const onMetricsRequest = (req: IncomingMessage, res: ServerResponse): void => {
    for (const [name, value] of Object.entries(securityHeaders(undefined))) {
      if (value !== undefined) res.setHeader(name, value);
    }
    if (req.url === '/metrics' || req.url?.startsWith('/metrics?')) {
      app.metrics.registry.metrics().then(
        (text) => {
          res.writeHead(200, {
            'content-type': app.metrics.registry.contentType,
            'cache-control': 'no-store',
          });
          res.end(text);
        },
        (err: unknown) => {
          logger.error({ err }, 'metrics failed');
          res.writeHead(500);
          res.end();
        },
      );
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('not found\n');
  };
  const metricsServer = createServer(onMetricsRequest);
  // Browsers grant the camera only to secure origins: another machine needs https:// (spec §10).
  const httpServer = config.tls
    ? createHttpsServer({ cert: config.tls.cert, key: config.tls.key }, onRequest)
    : createServer(onRequest);

  const rawSockets = new Set<Socket>();
  httpServer.on('connection', (raw: Socket) => {
    rawSockets.add(raw);
    raw.once('close', () => rawSockets.delete(raw));
  });

  // Origin allowlist (origin.ts), decided before engine.io sees the request: no session exists
  // for a refused page. Counted, and logged once per origin per minute, not per try.
  const originCheck = createOriginCheck(config.origins);
  const admit = (req: IncomingMessage): boolean => {
    const verdict = originCheck(req.headers);
    if (verdict.ok) return true;
    app.metrics.originRefused.inc();
    const origin = verdict.origin.slice(0, 200);
    const suppressed = app.logThrottle.take(`origin refused:${origin}`);
    if (suppressed !== null) {
      logger.warn(
        { origin, reason: verdict.reason, address: req.socket.remoteAddress, suppressed },
        'handshake refused: origin',
      );
    }
    return false;
  };

  const io: AppServer = new Server(httpServer, {
    transports: ['websocket', 'polling'],
    maxHttpBufferSize: LIMITS.packetBytes,
    // HTTP long-polling handshakes (engine.io answers them 403); WebSocket upgrades are checked
    // below, since engine.io answers a refused upgrade 400.
    allowRequest: (req, callback) => {
      const ok = admit(req);
      callback(ok ? null : 'origin not allowed', ok);
    },
    pingInterval: HEARTBEAT_INTERVAL_MS,
    pingTimeout: HEARTBEAT_TIMEOUT_MS,
    serveClient: false,
    ...(coordination.adapter ? { adapter: coordination.adapter as never } : {}),
  });

  const app = createApp({ config, store, clock, logger, io, coordination, processMetrics });
  const onLeaveBeacon = leaveBeaconRoute({ leave: app.leaveBeacon, logger });
  coordination.watchNodes(app.releaseNode);

  // engine.io's upgrade listener runs only for an allowed Origin; others get a plain 403.
  const engineUpgrade = httpServer.listeners('upgrade') as ((...args: unknown[]) => void)[];
  httpServer.removeAllListeners('upgrade');
  httpServer.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (!admit(req)) {
      refuseUpgrade(socket, req.headers.host);
      return;
    }
    for (const listener of engineUpgrade) listener.call(httpServer, req, socket, head);
  });
  // The same headers on engine.io's own HTTP answers (long-polling, handshakes).
  io.engine.on('headers', (headers: Record<string, unknown>, req: IncomingMessage) => {
    Object.assign(headers, securityHeaders(req.headers.host));
  });

  io.on('connection', (socket) => {
    logger.debug({ socket: socket.id, address: socket.handshake.address }, 'socket connected');
    socket.data.ref = socketRef(coordination.nodeId, socket.id);
    // Any process can reach this socket by its ref (a resume elsewhere replacing it).
    socket.join(socket.data.ref);
    bindSocket(socket, app.gate);
    guardOutbound(socket, config.memory.outboundBufferMaxBytes, (bytes) => {
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

  return {
    httpServer,
    metricsServer,
    io,
    app,
    async listen(port = config.port, host = config.host) {
      const bound = await new Promise<number>((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
          httpServer.off('error', reject);
          resolve((httpServer.address() as AddressInfo).port);
        });
      });
      const metricsPort = await new Promise<number>((resolve, reject) => {
        metricsServer.once('error', (err: NodeJS.ErrnoException) => {
          // Two processes on one host each need their own METRICS_PORT: say which variable.
          reject(
            new Error(
              `METRICS_PORT ${config.metrics.port} on METRICS_HOST ${config.metrics.host}: ${err.code ?? err.message} (each process needs its own)`,
              { cause: err },
            ),
          );
        });
        metricsServer.listen({ port: config.metrics.port, host: config.metrics.host }, () =>
          resolve((metricsServer.address() as AddressInfo).port),
        );
      });
      return { port: bound, metricsPort };
    },
    async close() {
      await coordination.close();
      await new Promise<void>((resolve) => {
        io.close(() => resolve());
        // Upgraded WebSockets are not HTTP connections any more: a client that is offline never
        // answers the close frame, and ws would wait 30 s for it. Shutting down means now.
        for (const raw of rawSockets) raw.destroy();
        httpServer.closeAllConnections();
      });
      if (metricsServer.listening) {
        await new Promise<void>((resolve) => {
          metricsServer.close(() => resolve());
          metricsServer.closeAllConnections();
        });
      }
    },
  };
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
