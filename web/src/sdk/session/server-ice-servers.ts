/**
 * The server's STUN/TURN servers for our peer connections, from the login and resume replies,
 * and their renewal before the TURN credentials expire, so a meeting longer than their lifetime
 * can still gather relay candidates.
 */
import { asyncScheduler, type SchedulerLike, type Subscription, timer } from 'rxjs';
import type { IceConfig } from '../../../../shared/src/index.ts';
import type { Logger } from '../logger.ts';
import type { SignalClient } from '../signal/signal-client.ts';

/** TURN credentials are renewed when this share of their lifetime is gone. */
const ICE_REFRESH_AT = 0.8;

export interface ServerIceServersDeps {
  signal: SignalClient;
  /** Where the configuration goes (the mesh: new links, and restarts from now on). */
  apply(iceServers: RTCIceServer[], policy: RTCIceTransportPolicy): void;
  now(): number;
  scheduler?: SchedulerLike | undefined;
  timeout: { timeoutMs?: number };
  logger: Logger;
}

export class ServerIceServers {
  readonly #deps: ServerIceServersDeps;
  #refresh: Subscription | null = null;

  constructor(deps: ServerIceServersDeps) {
    this.#deps = deps;
  }

  use(config: IceConfig): void {
    const { apply, now, scheduler, signal, timeout, logger } = this.#deps;
    apply(config.iceServers, config.iceTransportPolicy ?? 'all');
    this.stop();
    // TURN usernames are `<unix expiry seconds>:<user>` (the TURN REST convention).
    const expiries = config.iceServers.flatMap((s) => {
      const expiry = Number(s.username?.split(':')[0]);
      return Number.isFinite(expiry) && expiry > 0 ? [expiry * 1_000] : [];
    });
    if (expiries.length === 0) return;
    const lifetime = Math.min(...expiries) - now();
    if (lifetime <= 0) return;
    this.#refresh = timer(lifetime * ICE_REFRESH_AT, scheduler ?? asyncScheduler).subscribe(() => {
      signal.request('ice:refresh', {}, timeout).then(
        (reply) => {
          if (reply.code === 0) this.use(reply);
        },
        // Not reachable now: the resume that follows brings fresh credentials anyway.
        (err: unknown) => logger.debug('ice:refresh failed', err),
      );
    });
  }

  stop(): void {
    this.#refresh?.unsubscribe();
    this.#refresh = null;
  }
}
