import type { ConfResumeInfo, Replay, Reply } from '../../../shared/src/protocol.ts';
import { ResultCode } from '../../../shared/src/result-codes.ts';
import type { ConfResumeRequest, ResumeRequest } from '../../../shared/src/schemas.ts';
import { iceConfigFor } from '../ice-servers.ts';
import { addressKey } from '../rate-limit.ts';
import { joinConfInfo, type Seats } from '../seats.ts';
import type { HandleRecord } from '../store/store.ts';
import { rotateToken, takeSessionByToken } from '../tokens.ts';
import {
  type AppSocket,
  type CoreDeps,
  confRoom,
  fail,
  type Handler,
  type Handlers,
  handleRoom,
  type ReplyOf,
  refOf,
  seatTimerKey,
  sessionTimerKey,
} from '../types.ts';
import { addressFull } from './auth.ts';

/** What a login resume leaves its caller to finish (see `resumeLogin`). */
interface ResumeDone {
  spent: string | null;
  replaces: string | null;
}

/** Chat messages sent with REPLAY_UNAVAILABLE, so the client can still show recent history. */
const RECENT_CHAT = 100;

/**
 * `resume` (login resume with the single-use token) and `conf:resume` (new handle in place of
 * the original, plus the replay of what was missed). A `resume` naming its conference does both,
 * in that order, in one request: the SDK's way, one round trip where a phone's RTT counts.
 */
export function resumeHandlers(deps: CoreDeps & { seats: Seats }): Pick<Handlers, 'resume' | 'conf:resume'> {
  const { config, store, io, clock, deadlines, locks, metrics, limiter, logThrottle, logger, seats } = deps;
  const limits = config.rateLimit;

  /** One warning per key per minute, with the count of those held back. */
  function warnOnce(key: string, fields: Record<string, unknown>, msg: string): void {
    const suppressed = logThrottle.take(key);
    if (suppressed !== null) logger.warn(suppressed > 0 ? { ...fields, suppressed } : fields, msg);
  }

  /**
   * The live handle that replaced `retired` (following resumes of resumes) when the caller never
   * learnt of it: the socket that made it died before the `conf:resume` reply arrived, and the
   * retry names the handle the client still knows. Not when this very socket holds it (that
   * client has its reply): a retired handle stays refused (HANDLE_SUPERSEDED) for anything else.
   */
  async function lostReplacement(retired: HandleRecord, callerRef: string): Promise<HandleRecord | null> {
    const mine = await store.handlesOf(retired.userId);
    let current: HandleRecord | undefined = retired;
    for (let hops = 0; current?.state === 'retired' && hops < mine.length; hops++) {
      const from: number = current.handle;
      current = mine.find((r) => r.originalHandle === from);
    }
    return current?.state === 'live' && current.socketId !== callerRef ? current : null;
  }

  const confResume: Handler<'conf:resume'> = async (socket, req) => {
    const userId = socket.data.userId;
    const name = socket.data.name;
    if (!userId || !name)
      return fail(ResultCode.LOGIN_RESUME_REQUIRED, 'resume the login on this socket first');
    const first = await store.getHandle(req.handle);
    if (!first || first.userId !== userId) {
      return fail(ResultCode.HANDLE_UNKNOWN, `handle ${req.handle} is not yours`);
    }
    const { room } = first;
    return locks.run(room, async () => {
      const named = await store.getHandle(req.handle);
      if (!named || named.userId !== userId) {
        return fail(ResultCode.HANDLE_UNKNOWN, `handle ${req.handle} is not yours`);
      }
      const original = named.state === 'retired' ? await lostReplacement(named, refOf(socket)) : named;
      if (!original) {
        return fail(ResultCode.HANDLE_SUPERSEDED, `handle ${req.handle} was already replaced`);
      }
      const conference = await store.getConference(room);
      if (!conference) return fail(ResultCode.CONF_ENDED, `conference ${room} has ended`);
      if (original.state === 'released') {
        return original.releaseReason === 'timeout'
          ? fail(ResultCode.RESUME_TIMEOUT, 'the resume window ran out; the seat was released')
          : fail(ResultCode.HANDLE_UNKNOWN, `handle ${req.handle} left the conference`);
      }

      const handle = await store.allocateHandle(userId, room, refOf(socket));
      await store.linkHandle(handle, original.handle);
      await store.retireHandle(original.handle);
      await deadlines.cancel(seatTimerKey(original.handle));
      // Whatever socket still serves the original stops hearing the conference under it.
      io.in(handleRoom(original.handle)).socketsLeave([confRoom(room), handleRoom(original.handle)]);
      const participant = seats.participant(handle, userId, name);
      await store.replaceMember(room, original.handle, participant);
      // One `replaced` event, never a left + joined pair. This socket is not in the room yet:
      // it gets the event through the replay below, so every event reaches it exactly once.
      const replaced = await seats.emitEventLocked(room, {
        kind: 'replaced',
        room,
        oldHandle: original.handle,
        participant,
        at: clock.now(),
      });
      const events = await store.eventsSince(room, req.lastSeq);
      const replay: Replay = events
        ? { code: 0, events }
        : { code: ResultCode.REPLAY_UNAVAILABLE, chat: await store.recentChat(room, RECENT_CHAT) };
      await socket.join([confRoom(room), handleRoom(handle)]);
      const roster = await store.members(room);
      metrics.episodes.inc({ result: 'resumed' });
      if (events) metrics.replayedEvents.inc(events.length);
      else metrics.replayUnavailable.inc();
      logger.info(
        { userId, room, handle, originalHandle: original.handle, replayed: events?.length ?? null },
        'conference resumed',
      );
      return {
        code: 0,
        handle,
        // The handle the client knows: when it resumed a lost replacement, not that one.
        originalHandle: named.handle,
        room,
        info: joinConfInfo(conference.callId),
        roster,
        seq: replaced.seq,
        replay,
      };
    });
  };

  /**
   * `done.spent`: the hash of the token this resume used up, once it issued the next one.
   * `done.replaces`: the session's previous socket, still connected, for the caller to disconnect.
   */
  const resumeLogin = async (
    socket: AppSocket,
    req: ResumeRequest,
    done: ResumeDone,
  ): Promise<ReplyOf<'resume'>> => {
    if (socket.data.userId) return fail(ResultCode.ALREADY_LOGGED_IN, 'this socket is already logged in');
    const address = addressKey(socket.handshake.address);
    const byAddress = await limiter.hit(`resume:addr:${address}`, limits.resumePerAddress);
    if (!byAddress.ok) {
      if (byAddress.first) logger.warn({ address }, 'resume rate-limited');
      return fail(ResultCode.RATE_LIMITED, 'too many resume attempts', byAddress.retryAfterMs);
    }
    // Before the token is taken: a refusal must not spend it.
    const full = addressFull(deps, socket);
    if (full) return full;
    // Consumes the token: a wrong token consumes nothing, so the real session is unaffected.
    const session = await takeSessionByToken(store, req.token);
    if (!session?.tokenHash) {
      deps.addressSessions.remove(socket.id);
      warnOnce(`resume rejected:${address}`, { address }, 'resume token rejected');
      return fail(ResultCode.RESUME_TOKEN_REJECTED, 'the resume token is wrong, used or expired');
    }
    const { userId, name, socketId: previousSocket } = session;
    const bySession = await limiter.hit(`resume:session:${userId}`, limits.resumePerSession);
    if (!bySession.ok) {
      // A refused resume must not cost the session: the token it presented stays valid.
      await store.setToken(userId, session.tokenHash);
      deps.addressSessions.remove(socket.id);
      if (bySession.first) logger.warn({ userId }, 'resume rate-limited');
      return fail(ResultCode.RATE_LIMITED, 'too many resumes of this session', bySession.retryAfterMs);
    }
    await store.attachSession(userId, refOf(socket));
    await deadlines.cancel(sessionTimerKey(userId));
    // The session could have expired between the take and the attach (another process's
    // expiry, a slow store): then there is nothing to resume.
    if (!(await store.getSession(userId))) {
      deps.addressSessions.remove(socket.id);
      return fail(ResultCode.RESUME_TOKEN_REJECTED, 'the resume token is wrong, used or expired');
    }
    const resumeToken = await rotateToken(store, userId);
    done.spent = session.tokenHash;
    socket.data.userId = userId;
    socket.data.name = name;
    socket.data.loginResumed = true;
    if (previousSocket && previousSocket !== refOf(socket)) done.replaces = previousSocket;
    logger.info({ userId, replacedSocket: previousSocket !== null }, 'login resumed');
    // Fresh TURN credentials: the ICE restart this resume leads to may need a new allocation.
    return { code: 0, userId, name, resumeToken, ...iceConfigFor(config.ice, userId, clock) };
  };

  /**
   * Only on a socket whose login resume succeeded, only for a handle of that login session
   * (spec §7). Failures are counted per session; past `confResumeFailuresPerSession` in a
   * window the session gets RATE_LIMITED: probing for handles is cut short, and a failed
   * attempt never touches the handle it named.
   */
  const countedConfResume: Handler<'conf:resume'> = async (socket, req) => {
    const userId = socket.data.userId;
    if (!userId || !socket.data.loginResumed) {
      return fail(ResultCode.LOGIN_RESUME_REQUIRED, 'resume the login on this socket first');
    }
    const failuresKey = `conf-resume:failures:${userId}`;
    const allowed = await limiter.check(failuresKey, limits.confResumeFailuresPerSession);
    if (!allowed.ok) {
      if (allowed.first) logger.warn({ userId }, 'conference resume rate-limited');
      return fail(ResultCode.RATE_LIMITED, 'too many failed conference resumes', allowed.retryAfterMs);
    }
    const reply = await confResume(socket, req);
    if (reply.code !== 0) {
      await limiter.note(failuresKey);
      warnOnce(`conf resume refused:${userId}`, { userId, code: reply.code }, 'conference resume refused');
    }
    return reply;
  };

  /**
   * The conference part of a `resume` that named one. The login has resumed and its token
   * rotated: whatever happens here, that reply must reach the client, or the session is lost.
   */
  async function confAfterLogin(socket: AppSocket, req: ConfResumeRequest): Promise<Reply<ConfResumeInfo>> {
    try {
      return await countedConfResume(socket, req);
    } catch (err) {
      logger.error({ err, userId: socket.data.userId }, 'conference resume failed');
      return fail(ResultCode.SERVER_UNAVAILABLE, 'the server failed to resume the conference');
    }
  }

  return {
    async resume(socket, req) {
      const done: ResumeDone = { spent: null, replaces: null };
      const login = await resumeLogin(socket, req, done);
      const reply =
        login.code !== 0 || !req.conference
          ? login
          : { ...login, conference: await confAfterLogin(socket, req.conference) };
      // The old socket may still look open (a dead path not yet noticed): it is replaced, after
      // the conference part, so that its disconnect does not hold the seat that part just replaced
      // (the others would see `status reconnecting`, then `replaced`). A seat it did not replace,
      // that disconnect holds until `conf:resume`.
      if (done.replaces) io.in(done.replaces).disconnectSockets(true);
      // A reply that can no longer reach its client would take the session's only usable token
      // with it: an overloaded server handles a handshake or a request after the client gave up
      // on that socket. The token it presented stays good instead; nobody ever saw the new one.
      if (login.code === 0 && done.spent !== null && socket.disconnected) {
        await store.setToken(login.userId, done.spent);
        logger.info({ userId: login.userId }, 'resume reply undeliverable: presented token kept');
      }
      return reply;
    },
    'conf:resume': countedConfResume,
  };
}
