import { createServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import { type App, createApp, type SignalingServerOptions } from './app.ts';
import { localCoordination } from './coordination.ts';
import { createAdmit } from './handshake.ts';
import { appRoutes, metricsRoutes } from './http-routes.ts';
import { leaveBeaconRoute } from './leave-beacon-route.ts';
import { type Lifecycle, serverLifecycle } from './lifecycle.ts';
import { createSocketServer, wireSockets } from './sockets.ts';
import type { AppServer } from './types.ts';

// Callers import the server's parts from here; each has a module of its own.
export { type App, createApp, type SignalingServerOptions } from './app.ts';
export { LISTEN_BACKLOG } from './lifecycle.ts';

export interface SignalingServer extends Lifecycle {
  /** HTTPS when the config has `tls`. */
  httpServer: HttpServer | HttpsServer;
  io: AppServer;
  /** The logic behind the sockets (limits and timers, for tests and diagnostics). */
  app: App;
  /** The `/metrics` listener (config.metrics), apart from the app's port. */
  metricsServer: HttpServer;
}

/**
 * The HTTP (or HTTPS) server (web app + /healthz) and socket.io on the same port; `/metrics` on
 * its own listener (issue 12: it is nobody's business on the public port).
 *
 * The HTTP routes and the handshake check need the app, and the app needs socket.io, which needs
 * the HTTP server: they reach the app through functions called only once requests arrive.
 */
export function createSignalingServer(options: SignalingServerOptions): SignalingServer {
  const { config, clock, logger } = options;
  const coordination = options.coordination ?? localCoordination(clock, config.rateLimit.windowMs);
  const onRequest = appRoutes({
    staticDir: config.staticDir,
    clock,
    logger,
    coordination,
    leaveBeacon: (req, res) => onLeaveBeacon(req, res),
  });
  const metricsServer = createServer(metricsRoutes(() => app.metrics, logger));
  // Browsers grant the camera only to secure origins: another machine needs https:// (spec §10).
  const httpServer = config.tls
    ? createHttpsServer({ cert: config.tls.cert, key: config.tls.key }, onRequest)
    : createServer(onRequest);

  const admit = createAdmit({
    origins: config.origins,
    logger,
    metrics: () => app.metrics,
    logThrottle: () => app.logThrottle,
  });
  const io = createSocketServer(httpServer, coordination, admit);
  const app = createApp({ ...options, io, coordination });
  const onLeaveBeacon = leaveBeaconRoute({ leave: app.leaveBeacon, logger });
  coordination.watchNodes(app.releaseNode);
  wireSockets(io, {
    app,
    nodeId: coordination.nodeId,
    outboundBufferMaxBytes: config.memory.outboundBufferMaxBytes,
    logger,
  });

  return {
    httpServer,
    metricsServer,
    io,
    app,
    ...serverLifecycle({ config, httpServer, metricsServer, io, coordination }),
  };
}
