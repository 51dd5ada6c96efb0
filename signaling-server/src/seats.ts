import type { ConfEvent, Participant, TSDK_S_JOIN_CONF_IND_INFO } from '../../shared/src/payloads.ts';
import type { Failure } from '../../shared/src/protocol.ts';
import { ResultCode } from '../../shared/src/result-codes.ts';
import { RESUME_WINDOW_MS } from '../../shared/src/timing.ts';
import { TsdkConfEnvType, TsdkConfMediaType } from '../../shared/src/tsdk.ts';
import type { ConfEventInput, HandleRecord } from './store/store.ts';
import {
  type AppSocket,
  type CoreDeps,
  confRoom,
  fail,
  handleRoom,
  SEAT_PREFIX,
  SESSION_PREFIX,
  seatTimerKey,
  sessionTimerKey,
} from './types.ts';

/**
 * Presence in conferences, shared by the handlers: the event log, leaving, holding a seat
 * while its socket is gone, releasing it after RESUME_WINDOW_MS, expiring a login session.
 * Functions named `…Locked` must run inside `locks.run(room, …)`.
 */
export type Seats = ReturnType<typeof createSeats>;

export function joinConfInfo(callId: number): TSDK_S_JOIN_CONF_IND_INFO {
  return {
    call_id: callId,
    conf_media_type: TsdkConfMediaType.VIDEO,
    is_hd_conf: true,
    conf_env_type: TsdkConfEnvType.ON_PREMISES,
    is_svc_conf: false,
    svc_label_count: 0,
    svc_label: [],
  };
}

export function createSeats(deps: CoreDeps) {
  const { store, clock, io, deadlines, locks, logger, metrics, broadcastsSent } = deps;

  /** Numbers the event, logs it, and sends it to everyone in the conference's socket.io room. */
  async function emitEventLocked(room: string, input: ConfEventInput): Promise<ConfEvent> {
    const event = await store.appendEvent(room, input);
    io.to(confRoom(room)).emit('conf:event', event);
    // Before the lock passes to another process: its next event must not overtake this one.
    await broadcastsSent();
    return event;
  }

  /**
   * The handle if it is a live handle of this login session; otherwise the failure to reply.
   * Re-check inside the conference lock before changing anything.
   */
  async function ownLiveHandle(userId: string, handle: number): Promise<HandleRecord | Failure> {
    const record = await store.getHandle(handle);
    if (!record || record.userId !== userId) {
      return fail(ResultCode.HANDLE_UNKNOWN, `handle ${handle} is not yours`);
    }
    if (record.state === 'retired') {
      return fail(ResultCode.HANDLE_SUPERSEDED, `handle ${handle} was replaced by a resume`);
    }
    if (record.state === 'released') return fail(ResultCode.HANDLE_UNKNOWN, `handle ${handle} left`);
    return record;
  }

  /** Gives up a seat: others see `left`; the last one out ends the conference. */
  async function leaveLocked(record: HandleRecord, reason: 'left' | 'logout' | 'timeout'): Promise<void> {
    const { room, handle } = record;
    await deadlines.cancel(seatTimerKey(handle));
    await store.removeMember(room, handle);
    // A timed-out handle is remembered (a late conf:resume gets RESUME_TIMEOUT); one that left
    // on purpose is forgotten, so a long session does not accumulate records.
    if (reason === 'timeout') await store.releaseHandle(handle, reason);
    else await store.deleteHandle(handle);
    // Whoever serves this handle stops receiving the conference.
    io.in(handleRoom(handle)).socketsLeave([confRoom(room), handleRoom(handle)]);
    await emitEventLocked(room, { kind: 'left', room, handle, reason, at: clock.now() });
    if ((await store.members(room)).length === 0) {
      await store.deleteConference(room);
      logger.info({ room }, 'conference ended');
    }
    logger.info({ room, handle, userId: record.userId, reason }, 'left conference');
  }

  /**
   * The socket serving these handles is gone: hold each seat for RESUME_WINDOW_MS (others see
   * `status reconnecting`), then release it unless a conference resume replaced it.
   */
  async function holdSeatsOf(userId: string, socketRef: string): Promise<void> {
    await holdSeatsWhere(userId, (ref) => ref === socketRef);
  }

  async function holdSeatsWhere(userId: string, servedBy: (ref: string) => boolean): Promise<void> {
    const records = await store.handlesOf(userId);
    for (const r of records) {
      if (r.state !== 'live' || r.socketId === null || !servedBy(r.socketId)) continue;
      const ref = r.socketId;
      const held = await locks.run(r.room, async () => {
        const current = await store.getHandle(r.handle);
        // Replaced meanwhile by a conf:resume on the socket that took over: nothing to hold.
        if (current?.state !== 'live' || current.socketId !== ref) return false;
        await store.bindHandle(r.handle, null);
        await store.setMemberStatus(r.room, r.handle, 'reconnecting');
        await emitEventLocked(r.room, {
          kind: 'status',
          room: r.room,
          handle: r.handle,
          status: 'reconnecting',
          at: clock.now(),
        });
        return true;
      });
      if (!held) continue;
      await deadlines.schedule(seatTimerKey(r.handle), RESUME_WINDOW_MS);
      metrics.episodes.inc({ result: 'held' });
      logger.info({ room: r.room, handle: r.handle, userId }, 'seat held');
    }
  }

  /**
   * The page behind this socket went away (going-away.ts): the seats it served are left at once
   * (others see `left`, reason `left`), not held for a resume no page will make.
   */
  async function leaveSeatsOf(userId: string, socketRef: string): Promise<void> {
    await leaveSeatsWhere(userId, (ref) => ref === socketRef, 'left');
  }

  async function leaveSeatsWhere(
    userId: string,
    servedBy: (ref: string | null) => boolean,
    reason: 'left' | 'logout',
  ): Promise<void> {
    for (const r of await store.handlesOf(userId)) {
      if (r.state !== 'live' || !servedBy(r.socketId)) continue;
      await locks.run(r.room, async () => {
        const current = await store.getHandle(r.handle);
        if (current?.state === 'live' && servedBy(current.socketId)) await leaveLocked(current, reason);
      });
    }
  }

  /** The resume window of a held seat ran out. */
  async function releaseHeldSeat(handle: number): Promise<void> {
    const record = await store.getHandle(handle);
    if (!record) return;
    await locks.run(record.room, async () => {
      const current = await store.getHandle(handle);
      if (current?.state !== 'live' || current.socketId !== null) return;
      io.to(handleRoom(handle)).emit('conf:ended', {
        handle,
        code: ResultCode.RESUME_TIMEOUT,
        message: 'the resume window ran out; the seat was released',
      });
      await leaveLocked(current, 'timeout');
      metrics.episodes.inc({ result: 'timeout' });
    });
  }

  /** The session lost its socket: it stays resumable for RESUME_WINDOW_MS. */
  async function detachSession(userId: string): Promise<void> {
    await store.detachSession(userId, clock.now() + RESUME_WINDOW_MS);
    await deadlines.schedule(sessionTimerKey(userId), RESUME_WINDOW_MS);
  }

  /**
   * A process died without running its disconnect handlers (kill -9, lost host): hold the seats
   * and detach the sessions its sockets served, exactly as if each socket had disconnected now.
   */
  async function releaseNode(nodeId: string): Promise<void> {
    const onNode = (ref: string) => ref.startsWith(`${nodeId}/`);
    for (const userId of await store.usersOnNode(nodeId)) {
      await holdSeatsWhere(userId, onNode);
      const session = await store.getSession(userId);
      if (session?.socketId && onNode(session.socketId)) await detachSession(userId);
    }
  }

  /** A deadline fell due (in this process or, with Redis, whichever process claimed it). */
  function onDeadline(key: string): void {
    const run = key.startsWith(SEAT_PREFIX)
      ? releaseHeldSeat(Number(key.slice(SEAT_PREFIX.length)))
      : key.startsWith(SESSION_PREFIX)
        ? expireSession(key.slice(SESSION_PREFIX.length))
        : Promise.reject(new Error('unknown deadline'));
    run.catch((err: unknown) => logger.error({ err, key }, 'deadline handling failed'));
  }

  /** The session was not resumed in time: release its seats and forget it. */
  async function expireSession(userId: string): Promise<void> {
    const session = await store.getSession(userId);
    if (session?.socketId) return; // resumed meanwhile
    for (const r of await store.handlesOf(userId)) {
      if (r.state === 'live' && r.socketId === null) await releaseHeldSeat(r.handle);
    }
    await endSession(userId);
    logger.info({ userId }, 'login session expired');
  }

  /** Logout: leave every conference (others see `left` reason logout) and forget the session. */
  async function logout(socket: AppSocket, userId: string): Promise<void> {
    await endUser(userId, 'logout');
    socket.data.userId = undefined;
    socket.data.name = undefined;
    socket.data.loginResumed = false;
  }

  /**
   * Every seat of the session, held ones too, is given up (others see `left` with `reason`), and
   * the session is forgotten: its token stops working.
   */
  async function endUser(userId: string, reason: 'left' | 'logout'): Promise<void> {
    await leaveSeatsWhere(userId, () => true, reason);
    await endSession(userId);
  }

  async function endSession(userId: string): Promise<void> {
    await deadlines.cancel(sessionTimerKey(userId));
    const records = await store.handlesOf(userId);
    for (const r of records) {
      await deadlines.cancel(seatTimerKey(r.handle));
      await store.deleteHandle(r.handle);
    }
    await store.deleteSession(userId);
  }

  function participant(handle: number, userId: string, name: string): Participant {
    return { handle, userId, name, status: 'connected' };
  }

  return {
    emitEventLocked,
    ownLiveHandle,
    leaveLocked,
    holdSeatsOf,
    leaveSeatsOf,
    releaseHeldSeat,
    detachSession,
    expireSession,
    releaseNode,
    onDeadline,
    logout,
    endUser,
    participant,
  };
}

/** Tells a failure reply from a record (records carry no `code`). */
export function isFailure<T extends object>(value: T | Failure): value is Failure {
  return 'code' in value && typeof value.code === 'number';
}
