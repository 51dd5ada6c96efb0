/**
 * The storm bench's server: a child process the bench owns, so that event-loop lag, CPU and RSS
 * are the server's alone (the clients run elsewhere). Builds either our signaling server the way
 * `main.ts` does (tsx, in-memory store or a Redis deployment), or the reference: a plain
 * socket.io server with connection-state recovery, conferences as rooms of 4.
 *
 * Started by storm.ts with `fork()`; options as JSON in argv[2]; requests over IPC.
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { Session } from 'node:inspector/promises';
import type { AddressInfo, Server as NetServer, Socket as NetSocket } from 'node:net';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';
import { HEARTBEAT_INTERVAL_MS, HEARTBEAT_TIMEOUT_MS, RESUME_WINDOW_MS } from '../shared/src/timing.ts';
import { systemClock } from '../signaling-server/src/clock.ts';
import { defaultConfig } from '../signaling-server/src/config.ts';
import { openDeployment } from '../signaling-server/src/deployment.ts';
import { createLogger } from '../signaling-server/src/logger.ts';
import { createSignalingServer, LISTEN_BACKLOG } from '../signaling-server/src/server.ts';
import {
  LOOP_RESOLUTION_MS,
  type LoopLag,
  type MemorySample,
  type ServerMessage,
  type ServerOptions,
  type ServerRequest,
} from './storm-protocol.ts';

interface Running {
  /** Only its TCP side is used here (connections, address); the product's may be HTTPS. */
  httpServer: NetServer;
  close(): Promise<void>;
}

// Both systems run as `npm run serve` runs ours (config.ts `sourceMaps`): engine.io formats the
// stack of every failed write, in the reference too.
process.setSourceMapsEnabled(defaultConfig().sourceMaps);
const options = JSON.parse(process.argv[2] ?? '{}') as ServerOptions;
/** The CSR reference's adapter connection, and where Redis memory is read in both systems. */
const redis = options.store === 'redis' ? new Redis(options.redisUrl ?? '') : null;

function send(message: ServerMessage, then?: () => void): void {
  process.send?.(message, undefined, undefined, then);
}

/** As main.ts builds it: in-memory, or one process of a Redis deployment. */
async function startProduct(): Promise<Running> {
  const clock = systemClock;
  const logger = createLogger('error');
  // Production rate limits: every participant connects from its own address (storm-clients.ts).
  const config = defaultConfig({
    port: 0,
    host: '127.0.0.1',
    logLevel: 'error',
    redisUrl: options.redisUrl ?? null,
    redisPrefix: options.keyPrefix,
    metrics: { port: 0, host: '127.0.0.1' },
  });
  const { serverOptions } = await openDeployment(config, clock, logger);
  const server = createSignalingServer({ config, clock, logger, processMetrics: true, ...serverOptions });
  await server.listen(0, '127.0.0.1');
  // The deployment's Redis connections are left to process exit: disconnect handlers of the
  // sockets closed last still write to Redis, and would only log errors after a close.
  return { httpServer: server.httpServer, close: () => server.close() };
}

/** The reference: socket.io restores the socket (id, rooms, missed packets) by itself. */
async function startCsr(): Promise<Running> {
  const httpServer = createServer();
  const io = new Server(httpServer, {
    transports: ['websocket'],
    pingInterval: HEARTBEAT_INTERVAL_MS,
    pingTimeout: HEARTBEAT_TIMEOUT_MS,
    serveClient: false,
    connectionStateRecovery: { maxDisconnectionDuration: RESUME_WINDOW_MS, skipMiddlewares: true },
    ...(redis
      ? {
          adapter: createAdapter(redis, {
            streamName: `${options.keyPrefix}socket.io`,
            channelPrefix: `${options.keyPrefix}socket.io`,
            sessionKeyPrefix: `${options.keyPrefix}sio:session:`,
            maxLen: 100_000,
          }) as never,
        }
      : {}),
  });
  io.on('connection', (socket) => {
    if (socket.recovered) return;
    const room = (socket.handshake.auth as { room?: unknown }).room;
    if (typeof room !== 'string') {
      socket.disconnect(true);
      return;
    }
    void socket.join(room);
    // Like our `joined` conf:event: every member gets at least one packet, and a client can
    // only be recovered from the offset of a packet it received.
    io.to(room).emit('joined', { id: socket.id });
  });
  await new Promise<void>((resolve) =>
    httpServer.listen({ port: 0, host: '127.0.0.1', backlog: LISTEN_BACKLOG }, resolve),
  );
  return {
    httpServer,
    close: () => new Promise<void>((resolve) => io.close(() => resolve())),
  };
}

function gc(): void {
  const collect = (globalThis as { gc?: () => void }).gc;
  // Twice: the first pass only finds what the second one frees (weak refs, finalizers).
  collect?.();
  collect?.();
}

async function redisInfo(section: string, field: string): Promise<number | null> {
  if (!redis) return null;
  const match = new RegExp(`^${field}:([0-9.]+)`, 'm').exec(await redis.info(section));
  return match ? Number(match[1]) : null;
}

async function memory(): Promise<MemorySample> {
  gc();
  const { rss, heapUsed } = process.memoryUsage();
  return { rssBytes: rss, heapUsedBytes: heapUsed, redisUsedBytes: await redisInfo('memory', 'used_memory') };
}

const running = await (options.system === 'product' ? startProduct() : startCsr()).catch((err: unknown) => {
  send({ type: 'failed', message: err instanceof Error ? err.message : String(err) });
  process.exit(1);
});

/** The TCP connections the server holds, counted when the storm starts (all N should be). */
const connections = new Set<NetSocket>();
running.httpServer.on('connection', (raw: NetSocket) => {
  connections.add(raw);
  raw.once('close', () => connections.delete(raw));
});

const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
let rssPeak = 0;
let rssTimer: NodeJS.Timeout | undefined;

const beyondInterval = (ns: number): number => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS);

/** `--profile`: where the storm's server time goes, for a person to open in DevTools. */
const profiler = options.profilePath ? new Session() : null;
profiler?.connect();

process.on('message', (request: ServerRequest) => {
  void (async () => {
    switch (request.type) {
      case 'memory':
        send({ id: request.id, type: 'memory', memory: await memory() });
        return;
      case 'measure': {
        if (profiler) {
          await profiler.post('Profiler.enable');
          await profiler.post('Profiler.start');
        }
        loop.reset();
        loop.enable();
        rssPeak = process.memoryUsage.rss();
        rssTimer = setInterval(() => {
          rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
        }, 100);
        send({ id: request.id, type: 'measuring', connections: connections.size });
        return;
      }
      case 'lag': {
        loop.disable();
        clearInterval(rssTimer);
        const lag: LoopLag = {
          p50Ms: beyondInterval(loop.percentile(50)),
          p99Ms: beyondInterval(loop.percentile(99)),
          maxMs: beyondInterval(loop.max),
          samples: loop.count,
          rssPeakBytes: Math.max(rssPeak, process.memoryUsage.rss()),
        };
        if (profiler && options.profilePath) {
          const { profile } = await profiler.post('Profiler.stop');
          writeFileSync(options.profilePath, JSON.stringify(profile));
        }
        send({ id: request.id, type: 'lag', lag });
        return;
      }
      case 'stop':
        await running.close();
        // Exit once the answer is out: an exit right after send() can lose it.
        send({ id: request.id, type: 'stopped' }, () => process.exit(0));
        return;
    }
  })().catch((err: unknown) => {
    send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  });
});

send({
  type: 'ready',
  port: (running.httpServer.address() as AddressInfo).port,
  redisPid: await redisInfo('server', 'process_id'),
});
