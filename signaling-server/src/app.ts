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
import { LogThrottle } from './log-throttle.ts';
import type { Logger } from './logger.ts';
import { Metrics } from './metrics.ts';
import { Quotas } from './quotas.ts';
import type { Limiter } from './rate-limit.ts';
import { createSeats } from './seats.ts';
import type { Store } from './store/store.ts';
import type { AppServer, CoreDeps, Handlers } from './types.ts';
import type { GateDeps } from './validate.ts';

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
