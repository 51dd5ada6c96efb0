import type { Seats } from '../seats.ts';
import { takeSessionByToken } from '../tokens.ts';
import type { CoreDeps } from '../types.ts';

export type LeaveBeaconResult =
  | { kind: 'left' }
  | { kind: 'rejected' }
  | { kind: 'rate-limited'; retryAfterMs: number };

/**
 * A closing page's leave beacon (shared/src/http-paths.ts): the session its token names leaves
 * every conference (others see `left`, reason `left`: a closed tab is a leave) and ends. The
 * socket it had, if the server still thinks it open, is closed.
 *
 * A beacon is a token guess like a `resume`, so it spends the same per-address budget: guessing
 * through this door is no cheaper than through the other.
 */
export function leaveBeaconHandler(
  deps: CoreDeps & { seats: Seats },
): (token: string, address: string) => Promise<LeaveBeaconResult> {
  const { config, store, limiter, logThrottle, logger, seats, io, metrics } = deps;
  return async (token, address) => {
    const byAddress = await limiter.hit(`resume:addr:${address}`, config.rateLimit.resumePerAddress);
    if (!byAddress.ok) {
      metrics.leaveBeacons.inc({ result: 'rate-limited' });
      if (byAddress.first) logger.warn({ address }, 'leave beacon rate-limited');
      return { kind: 'rate-limited', retryAfterMs: byAddress.retryAfterMs };
    }
    const session = await takeSessionByToken(store, token);
    if (!session) {
      metrics.leaveBeacons.inc({ result: 'rejected' });
      const suppressed = logThrottle.take(`leave beacon rejected:${address}`);
      if (suppressed !== null) logger.warn({ address, suppressed }, 'leave beacon: token rejected');
      return { kind: 'rejected' };
    }
    await seats.endUser(session.userId, 'left');
    if (session.socketId) io.in(session.socketId).disconnectSockets(true);
    metrics.leaveBeacons.inc({ result: 'left' });
    logger.info({ userId: session.userId }, 'left by beacon (page closed)');
    return { kind: 'left' };
  };
}
