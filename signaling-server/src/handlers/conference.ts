import { ResultCode } from '../../../shared/src/result-codes.ts';
import { LIMITS } from '../../../shared/src/timing.ts';
import { isFailure, joinConfInfo, type Seats } from '../seats.ts';
import { type AppSocket, type CoreDeps, confRoom, fail, type Handlers, handleRoom, refOf } from '../types.ts';

/** `conf:join` and `conf:leave`. */
export function conferenceHandlers(
  deps: CoreDeps & { seats: Seats },
): Pick<Handlers, 'conf:join' | 'conf:leave'> {
  const { store, clock, locks, logger, seats, config } = deps;

  return {
    async 'conf:join'(socket, { room }) {
      const userId = socket.data.userId;
      const name = socket.data.name;
      if (!userId || !name) return fail(ResultCode.NOT_LOGGED_IN, 'log in first');
      return locks.run(room, async () => {
        const mine = await store.handlesOf(userId);
        const live = mine.filter((r) => r.state === 'live');
        if (live.some((r) => r.room === room)) {
          return fail(ResultCode.CONF_JOIN_REFUSED, `already in conference ${room}`);
        }
        // A session joining room after room would make conferences by the thousand.
        if (live.length >= config.memory.conferencesPerSession) {
          return fail(
            ResultCode.CONF_JOIN_REFUSED,
            `already in ${live.length} conferences (at most ${config.memory.conferencesPerSession})`,
          );
        }
        const existing = await store.getConference(room);
        if (existing && (await store.members(room)).length >= LIMITS.participantsPerConference) {
          return fail(ResultCode.CONF_JOIN_REFUSED, `conference ${room} is full`);
        }
        const conference = existing ?? (await store.openConference(room));
        const handle = await store.allocateHandle(userId, room, refOf(socket));
        const participant = seats.participant(handle, userId, name);
        await store.addMember(room, participant);
        // Emitted before this socket joins the room: the others get `joined`, the joiner its roster.
        const joined = await seats.emitEventLocked(room, {
          kind: 'joined',
          room,
          participant,
          at: clock.now(),
        });
        await socket.join([confRoom(room), handleRoom(handle)]);
        const roster = await store.members(room);
        logger.info({ userId, room, handle, created: !existing }, 'joined conference');
        return { code: 0, handle, room, info: joinConfInfo(conference.callId), roster, seq: joined.seq };
      });
    },

    async 'conf:leave'(socket, { handle }) {
      const userId = socket.data.userId;
      if (!userId) return fail(ResultCode.NOT_LOGGED_IN, 'log in first');
      const first = await seats.ownLiveHandle(userId, handle);
      if (isFailure(first)) return first;
      return locks.run(first.room, async () => {
        const record = await seats.ownLiveHandle(userId, handle);
        if (isFailure(record)) return record;
        await seats.leaveLocked(record, 'left');
        return { code: 0 };
      });
    },
  };
}

/**
 * A socket went away. The seats it served are held, not left: the participant may resume
 * within RESUME_WINDOW_MS (spec §3.4). If it was the login session's socket, the session is
 * detached and expires with the same window. A socket whose page went away (going-away.ts) left
 * its seats instead; its session is still detached, not ended, so that the page's leave beacon,
 * often a moment behind, still finds it.
 */
export function disconnectHandler(deps: CoreDeps & { seats: Seats }): (socket: AppSocket) => Promise<void> {
  const { store, seats, logger, addressSessions } = deps;
  return async (socket) => {
    addressSessions.remove(socket.id);
    const userId = socket.data.userId;
    if (!userId) return;
    if (socket.data.goneAway) {
      await seats.leaveSeatsOf(userId, refOf(socket));
      logger.info({ userId }, 'left: the page went away (WebSocket 1001)');
    } else await seats.holdSeatsOf(userId, refOf(socket));
    const session = await store.getSession(userId);
    if (session?.socketId === refOf(socket)) {
      await seats.detachSession(userId);
      logger.info({ userId }, 'login session detached');
    }
  };
}
