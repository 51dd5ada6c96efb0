import { randomUUID } from 'node:crypto';
import { ResultCode } from '../../../shared/src/result-codes.ts';
import { iceConfigFor } from '../ice-servers.ts';
import { verifyAgainstNothing, verifyPassword } from '../passwords.ts';
import { addressKey } from '../rate-limit.ts';
import type { Seats } from '../seats.ts';
import { hashToken, newToken } from '../tokens.ts';
import { type AppSocket, type CoreDeps, fail, type Handlers, refOf } from '../types.ts';

/** `login` (guest or account), `logout`, and fresh TURN credentials for a long meeting. */
export function authHandlers(
  deps: CoreDeps & { seats: Seats },
): Pick<Handlers, 'login' | 'logout' | 'ice:refresh'> {
  const { config, store, clock, limiter, logThrottle, logger, seats, addressSessions } = deps;

  return {
    async login(socket, req) {
      if (socket.data.userId) return fail(ResultCode.ALREADY_LOGGED_IN, 'this socket is already logged in');
      const limited = await rateLimit(socket, req.name, req.password !== undefined);
      if (limited) return limited;

      const accountHash = config.accounts.get(req.name);
      if (req.password !== undefined) {
        const ok = accountHash
          ? await verifyPassword(req.password, accountHash)
          : await verifyAgainstNothing(req.password);
        if (!ok) {
          const address = addressKey(socket.handshake.address);
          const suppressed = logThrottle.take(`login rejected:${address}`);
          if (suppressed !== null) logger.warn({ name: req.name, address, suppressed }, 'login rejected');
          return fail(ResultCode.AUTH_REJECTED, 'wrong name or password');
        }
      } else if (!config.allowGuests) {
        return fail(ResultCode.GUEST_NOT_ALLOWED, 'guest login is switched off on this server');
      } else if (accountHash) {
        // A guest may not take the name of an account.
        return fail(ResultCode.AUTH_REJECTED, 'this name belongs to an account: give its password');
      }
      // The socket may have logged in meanwhile (events are serialized per socket, but be safe).
      if (socket.data.userId) return fail(ResultCode.ALREADY_LOGGED_IN, 'this socket is already logged in');
      const full = addressFull(deps, socket);
      if (full) return full;

      const userId = randomUUID();
      const resumeToken = newToken();
      await store.createSession({
        userId,
        name: req.name,
        tokenHash: hashToken(resumeToken),
        socketId: refOf(socket),
      });
      socket.data.userId = userId;
      socket.data.name = req.name;
      socket.data.loginResumed = false;
      logger.info({ userId, name: req.name, guest: req.password === undefined }, 'login');
      return { code: 0, userId, name: req.name, resumeToken, ...iceConfigFor(config.ice, userId, clock) };
    },

    async 'ice:refresh'(socket) {
      const userId = socket.data.userId;
      if (!userId) return fail(ResultCode.NOT_LOGGED_IN, 'log in first');
      return { code: 0, ...iceConfigFor(config.ice, userId, clock) };
    },

    async logout(socket) {
      const userId = socket.data.userId;
      if (!userId) return fail(ResultCode.NOT_LOGGED_IN, 'not logged in');
      await seats.logout(socket, userId);
      addressSessions.remove(socket.id);
      logger.info({ userId }, 'logout');
      return { code: 0 };
    },
  };

  /**
   * Per address, then per name (an account's, or a guest display name, with their own limits).
   * An attempt refused per address does not count against the name.
   */
  async function rateLimit(socket: AppSocket, name: string, withPassword: boolean) {
    const { rateLimit: limits } = config;
    const address = addressKey(socket.handshake.address);
    const byAddress = await limiter.hit(`login:addr:${address}`, limits.perAddress);
    const decision = !byAddress.ok
      ? byAddress
      : withPassword
        ? await limiter.hit(`login:account:${name}`, limits.perAccount)
        : await limiter.hit(`login:guest:${name.toLowerCase()}`, limits.perGuestName);
    if (decision.ok) return null;
    // One line per key and window, not one per refused attempt.
    if (decision.first) logger.warn({ address, name, perAddress: !byAddress.ok }, 'login rate-limited');
    return fail(ResultCode.RATE_LIMITED, 'too many login attempts', decision.retryAfterMs);
  }
}

/** Too many sessions from this socket's address on this process: the refusal; else counts it. */
export function addressFull(
  deps: Pick<CoreDeps, 'addressSessions' | 'config' | 'logThrottle' | 'logger' | 'metrics'>,
  socket: AppSocket,
) {
  const address = addressKey(socket.handshake.address);
  if (deps.addressSessions.tryAdd(socket.id, address)) return null;
  deps.metrics.addressLimited.inc();
  const suppressed = deps.logThrottle.take(`address full:${address}`);
  if (suppressed !== null) deps.logger.warn({ address, suppressed }, 'too many sessions from one address');
  return fail(
    ResultCode.RATE_LIMITED,
    `too many sessions from this address (${deps.config.memory.sessionsPerAddress})`,
    deps.config.rateLimit.windowMs,
  );
}
