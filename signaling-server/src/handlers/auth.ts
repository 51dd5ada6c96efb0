import { randomUUID } from 'node:crypto';
import { ResultCode } from '../../../shared/src/result-codes.ts';
import { verifyAgainstNothing, verifyPassword } from '../passwords.ts';
import type { Seats } from '../seats.ts';
import { hashToken, newToken } from '../tokens.ts';
import { type AppSocket, type CoreDeps, fail, type Handlers } from '../types.ts';

/** `login` (guest or account) and `logout`. */
export function authHandlers(deps: CoreDeps & { seats: Seats }): Pick<Handlers, 'login' | 'logout'> {
  const { config, store, limiter, logger, seats } = deps;

  return {
    async login(socket, req) {
      if (socket.data.userId) return fail(ResultCode.ALREADY_LOGGED_IN, 'this socket is already logged in');
      const limited = rateLimit(socket, req.password === undefined ? null : req.name);
      if (limited) return limited;

      const accountHash = config.accounts.get(req.name);
      if (req.password !== undefined) {
        const ok = accountHash
          ? await verifyPassword(req.password, accountHash)
          : await verifyAgainstNothing(req.password);
        if (!ok) {
          logger.warn({ name: req.name, address: socket.handshake.address }, 'login rejected');
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

      const userId = randomUUID();
      const resumeToken = newToken();
      await store.createSession({
        userId,
        name: req.name,
        tokenHash: hashToken(resumeToken),
        socketId: socket.id,
      });
      socket.data.userId = userId;
      socket.data.name = req.name;
      logger.info({ userId, name: req.name, guest: req.password === undefined }, 'login');
      return { code: 0, userId, name: req.name, resumeToken };
    },

    async logout(socket) {
      const userId = socket.data.userId;
      if (!userId) return fail(ResultCode.NOT_LOGGED_IN, 'not logged in');
      await seats.logout(socket, userId);
      logger.info({ userId }, 'logout');
      return { code: 0 };
    },
  };

  function rateLimit(socket: AppSocket, account: string | null) {
    const byAddress = limiter.hit(`addr:${socket.handshake.address}`, config.rateLimit.perAddress);
    const decision =
      byAddress.ok && account !== null
        ? limiter.hit(`account:${account}`, config.rateLimit.perAccount)
        : byAddress;
    if (decision.ok) return null;
    logger.warn({ address: socket.handshake.address, account }, 'login rate-limited');
    return fail(ResultCode.RATE_LIMITED, 'too many attempts', decision.retryAfterMs);
  }
}
