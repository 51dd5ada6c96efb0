import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { Server } from 'socket.io';
import { HEARTBEAT_INTERVAL_MS, HEARTBEAT_TIMEOUT_MS, LIMITS } from '../../shared/src/timing.ts';
import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import { authHandlers } from './handlers/auth.ts';
import { conferenceHandlers, disconnectHandler } from './handlers/conference.ts';
import { relayHandlers } from './handlers/relay.ts';
import { resumeHandlers } from './handlers/resume.ts';
import { KeyedMutex } from './keyed-mutex.ts';
import { LogThrottle } from './log-throttle.ts';
import type { Logger } from './logger.ts';
import { RateLimiter } from './rate-limit.ts';
import { createSeats } from './seats.ts';
import { createStaticHandler } from './static-files.ts';
import type { Store } from './store/store.ts';
import { KeyedTimers } from './timers.ts';
import type { AppServer, CoreDeps, Handlers } from './types.ts';
import { bindSocket, type GateDeps } from './validate.ts';

export interface SignalingServerOptions {
  config: Config;
  store: Store;
  clock: Clock;
  logger: Logger;
}

export interface SignalingServer {
  httpServer: HttpServer;
  io: AppServer;
  /** The logic behind the sockets (limits and timers, for tests and diagnostics). */
  app: App;
  /** Listens on `port`/`host` (default: the config's); resolves with the bound port. */
  listen(port?: number, host?: string): Promise<{ port: number }>;
  /** Stops accepting, disconnects every socket, cancels the seat timers. */
  close(): Promise<void>;
}

export interface App {
  /** What every socket's gate runs (validate.ts). */
  gate: GateDeps;
  timers: KeyedTimers;
  limiter: RateLimiter;
  logThrottle: LogThrottle;
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
}: Omit<SignalingServerOptions, 'config'> & { config: Config; io: AppServer }): App {
  const core: CoreDeps = {
    config,
    store,
    clock,
    logger,
    io,
    timers: new KeyedTimers(clock),
    locks: new KeyedMutex(),
    limiter: new RateLimiter(clock, config.rateLimit.windowMs),
    logThrottle: new LogThrottle(clock),
  };
  const deps = { ...core, seats: createSeats(core) };
  const handlers: Handlers = {
    ...authHandlers(deps),
    ...resumeHandlers(deps),
    ...conferenceHandlers(deps),
    ...relayHandlers(deps),
  };
  return {
    gate: { handlers, onDisconnect: disconnectHandler(deps), logger, clock },
    timers: core.timers,
    limiter: core.limiter,
    logThrottle: core.logThrottle,
  };
}

/** The HTTP server (web app + /healthz) and socket.io on the same port. */
export function createSignalingServer({
  config,
  store,
  clock,
  logger,
}: SignalingServerOptions): SignalingServer {
  const serveStatic = createStaticHandler(config.staticDir);
  const startedAt = clock.now();

  const httpServer = createServer((req, res) => {
    if (req.url === '/healthz' || req.url?.startsWith('/healthz?')) {
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end(JSON.stringify({ status: 'ok', uptimeMs: clock.now() - startedAt }));
      return;
    }
    serveStatic(req, res).catch((err: unknown) => {
      logger.error({ err, url: req.url }, 'static file failed');
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });

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
  });

  const app = createApp({ config, store, clock, logger, io });

  io.on('connection', (socket) => {
    logger.debug({ socket: socket.id, address: socket.handshake.address }, 'socket connected');
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
        httpServer.listen(port, host, () => {
          httpServer.off('error', reject);
          resolve({ port: (httpServer.address() as AddressInfo).port });
        });
      });
    },
    async close() {
      app.timers.cancelAll();
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
