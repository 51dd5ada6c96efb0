import {
  createServer,
  type Server as HttpServer,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { Server } from 'socket.io';
import { HEARTBEAT_INTERVAL_MS, HEARTBEAT_TIMEOUT_MS, LIMITS } from '../../shared/src/timing.ts';
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import { type Coordination, localCoordination } from './coordination.ts';
import type { Deadlines } from './deadlines.ts';
import { authHandlers } from './handlers/auth.ts';
import { conferenceHandlers, disconnectHandler } from './handlers/conference.ts';
import { relayHandlers } from './handlers/relay.ts';
import { resumeHandlers } from './handlers/resume.ts';
import { LogThrottle } from './log-throttle.ts';
import type { Logger } from './logger.ts';
import { Metrics } from './metrics.ts';
import type { Limiter } from './rate-limit.ts';
import { createSeats } from './seats.ts';
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
  /** Listens on `port`/`host` (default: the config's); resolves with the bound port. */
  listen(port?: number, host?: string): Promise<{ port: number }>;
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
  };
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
    },
    deadlines: core.deadlines,
    releaseNode: seats.releaseNode,
    limiter: core.limiter,
    logThrottle: core.logThrottle,
    metrics: core.metrics,
  };
}

/** The HTTP (or HTTPS) server (web app + /healthz) and socket.io on the same port. */
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
    if (req.url === '/metrics') {
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
    serveStatic(req, res).catch((err: unknown) => {
      logger.error({ err, url: req.url }, 'static file failed');
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  };
  // Browsers grant the camera only to secure origins: another machine needs https:// (spec §10).
  const httpServer = config.tls
    ? createHttpsServer({ cert: config.tls.cert, key: config.tls.key }, onRequest)
    : createServer(onRequest);

  const rawSockets = new Set<Socket>();
  httpServer.on('connection', (raw: Socket) => {
    rawSockets.add(raw);
    raw.once('close', () => rawSockets.delete(raw));
  });

  const io: AppServer = new Server(httpServer, {
    transports: ['websocket', 'polling'],
    maxHttpBufferSize: LIMITS.packetBytes,
    pingInterval: HEARTBEAT_INTERVAL_MS,
    pingTimeout: HEARTBEAT_TIMEOUT_MS,
    serveClient: false,
    ...(coordination.adapter ? { adapter: coordination.adapter as never } : {}),
  });

  const app = createApp({ config, store, clock, logger, io, coordination, processMetrics });
  coordination.watchNodes(app.releaseNode);

  io.on('connection', (socket) => {
    logger.debug({ socket: socket.id, address: socket.handshake.address }, 'socket connected');
    socket.data.ref = socketRef(coordination.nodeId, socket.id);
    // Any process can reach this socket by its ref (a resume elsewhere replacing it).
    socket.join(socket.data.ref);
    bindSocket(socket, app.gate);
  });
  io.engine.on('connection_error', (err: { code: number; message: string }) => {
    // A flood of bad handshakes is one line per kind per minute.
    const suppressed = app.logThrottle.take(`connection refused:${err.code}`);
    if (suppressed !== null)
      logger.warn({ code: err.code, message: err.message, suppressed }, 'connection refused');
  });

  return {
    httpServer,
    io,
    app,
    listen(port = config.port, host = config.host) {
      return new Promise((resolve, reject) => {
        httpServer.once('error', reject);
        httpServer.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
          httpServer.off('error', reject);
          resolve({ port: (httpServer.address() as AddressInfo).port });
        });
      });
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
    },
  };
}
