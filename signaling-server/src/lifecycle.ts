import type { Server as HttpServer } from 'node:http';
import type { Server as HttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import type { Config } from './config.ts';
import type { Coordination } from './coordination.ts';
import type { AppServer } from './types.ts';

/**
 * Pending connections the kernel queues for us. When a Wi-Fi hiccup drops thousands of sockets
 * they all reconnect at once; Node's default of 511 overflows, and the kernel drops the last
 * ACK of each extra handshake, which its client only retries after 1–3 s (the kernel counted
 * ~2 900 overflows over one 10 000-participant bench:storm run, none with 4096). Linux caps it
 * at net.core.somaxconn.
 */
export const LISTEN_BACKLOG = 4096;

export interface Lifecycle {
  /**
   * Listens on `port`/`host` (default: the config's), and `/metrics` on the config's metrics
   * port and host; resolves with both bound ports.
   */
  listen(port?: number, host?: string): Promise<{ port: number; metricsPort: number }>;
  /** Stops accepting, disconnects every socket, stops firing deadlines. */
  close(): Promise<void>;
}

/** Starting and stopping the app's listener, the metrics listener and what runs behind them. */
export function serverLifecycle({
  config,
  httpServer,
  metricsServer,
  io,
  coordination,
}: {
  config: Config;
  httpServer: HttpServer | HttpsServer;
  metricsServer: HttpServer;
  io: AppServer;
  coordination: Coordination;
}): Lifecycle {
  const rawSockets = new Set<Socket>();
  httpServer.on('connection', (raw: Socket) => {
    rawSockets.add(raw);
    raw.once('close', () => rawSockets.delete(raw));
  });

  return {
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
