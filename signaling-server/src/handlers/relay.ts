import { ResultCode } from '../../../shared/src/result-codes.ts';
import { isFailure, type Seats } from '../seats.ts';
import { type CoreDeps, fail, type Handlers, handleRoom } from '../types.ts';

/** `signal` (peer-to-peer relay by handle), `chat:send` and the application-level `ping`. */
export function relayHandlers(
  deps: CoreDeps & { seats: Seats },
): Pick<Handlers, 'signal' | 'chat:send' | 'ping'> {
  const { store, clock, io, locks, seats } = deps;

  return {
    async signal(socket, { from, to, data }) {
      const userId = socket.data.userId;
      if (!userId) return fail(ResultCode.NOT_LOGGED_IN, 'log in first');
      const sender = await seats.ownLiveHandle(userId, from);
      if (isFailure(sender)) return sender;
      const target = await store.getHandle(to);
      if (target?.state === 'retired') {
        return fail(ResultCode.HANDLE_SUPERSEDED, `handle ${to} was replaced by a resume`);
      }
      if (target?.state !== 'live' || target.room !== sender.room || to === from) {
        return fail(ResultCode.PEER_UNKNOWN, `handle ${to} is not in conference ${sender.room}`);
      }
      io.to(handleRoom(to)).emit('signal', { from, to, data });
      return { code: 0 };
    },

    async 'chat:send'(socket, { handle, id, text }) {
      const userId = socket.data.userId;
      const name = socket.data.name;
      if (!userId || !name) return fail(ResultCode.NOT_LOGGED_IN, 'log in first');
      const first = await seats.ownLiveHandle(userId, handle);
      if (isFailure(first)) return first;
      const { room } = first;
      return locks.run(room, async () => {
        const record = await seats.ownLiveHandle(userId, handle);
        if (isFailure(record)) return record;
        // De-duplicated per login session, not per handle: a message queued before a resume
        // is re-sent from the new handle with the same id.
        const already = await store.chatSeq(room, userId, id);
        if (already !== null) return { code: 0, seq: already };
        const event = await seats.emitEventLocked(room, {
          kind: 'chat',
          room,
          message: { id, from: handle, name, text, at: clock.now() },
          at: clock.now(),
        });
        await store.recordChat(room, userId, id, event.seq);
        return { code: 0, seq: event.seq };
      });
    },

    async ping() {
      return { code: 0, at: clock.now() };
    },
  };
}
