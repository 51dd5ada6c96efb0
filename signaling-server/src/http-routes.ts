import type { IncomingMessage, ServerResponse } from 'node:http';
import { LEAVE_BEACON_PATH } from '../../shared/src/http-paths.ts';
import type { Clock } from './clock.ts';
import type { Coordination } from './coordination.ts';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';
import { securityHeaders } from './security-headers.ts';
import { createStaticHandler } from './static-files.ts';

type Route = (req: IncomingMessage, res: ServerResponse) => void;

export interface AppRoutesDeps {
  staticDir: string;
  clock: Clock;
  logger: Logger;
  coordination: Coordination;
  /** `leave-beacon-route.ts`; late-bound, since it needs the app that needs the HTTP server. */
  leaveBeacon: Route;
}

/** What the app's port answers over HTTP: `/healthz`, the leave beacon, the built web app. */
export function appRoutes({ staticDir, clock, logger, coordination, leaveBeacon }: AppRoutesDeps): Route {
  const serveStatic = createStaticHandler(staticDir);
  const startedAt = clock.now();
  return (req, res) => {
    setSecurityHeaders(res, req.headers.host);
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
      leaveBeacon(req, res);
      return;
    }
    if (isMetrics(req)) {
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
}

/** What the metrics port answers: `/metrics` and nothing else. */
export function metricsRoutes(metrics: () => Metrics, logger: Logger): Route {
  return (req, res) => {
    setSecurityHeaders(res, undefined);
    if (isMetrics(req)) {
      const { registry } = metrics();
      registry.metrics().then(
        (text) => {
          res.writeHead(200, { 'content-type': registry.contentType, 'cache-control': 'no-store' });
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
}

function isMetrics(req: IncomingMessage): boolean {
  return req.url === '/metrics' || req.url?.startsWith('/metrics?') === true;
}

function setSecurityHeaders(res: ServerResponse, host: string | undefined): void {
  for (const [name, value] of Object.entries(securityHeaders(host))) {
    if (value !== undefined) res.setHeader(name, value);
  }
}
