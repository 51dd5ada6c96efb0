/** A tiny in-process socket.io server speaking the shared contract, for SDK tests. */
import type { AddressInfo } from 'node:net';
import { Server, type Socket } from 'socket.io';
import type {
  ClientToServerEvents,
  ConfEvent,
  IceConfig,
  Participant,
  Reply,
  ResumeInfo,
  ServerToClientEvents,
} from '../../../shared/src/index.ts';
import { ResultCode, TsdkConfEnvType, TsdkConfMediaType } from '../../../shared/src/index.ts';

export type ServerSocket = Socket<ClientToServerEvents, ServerToClientEvents>;

export async function startFakeServer() {
  const io = new Server<ClientToServerEvents, ServerToClientEvents>(0, { transports: ['websocket'] });
  await new Promise<void>((resolve) => io.httpServer.once('listening', () => resolve()));
  const port = (io.httpServer.address() as AddressInfo).port;
  const sockets: ServerSocket[] = [];
  const state = {
    seq: 5,
    nextHandle: 100,
    silent: new Set<string>(),
    /** What `login` and `ice:refresh` hand out. */
    ice: { iceServers: [] } as IceConfig,
    iceRefreshes: 0,
    /** The next this many `chat:send`s are refused RATE_LIMITED with `chatRetryAfterMs`. */
    chatRefusals: 0,
    chatRetryAfterMs: 100,
    /** Every `chat:send` as it arrived: id, and whether it was refused. */
    chatTries: [] as { id: string; refused: boolean; at: number }[],
    /** Live events that reach a joining socket before its join reply does. */
    beforeJoinReply: [] as ConfEvent[],
    /** The answer to a resume a handshake carries; none: the handshake's resume goes unanswered. */
    resumeReply: null as Reply<ResumeInfo> | null,
    /** Every resume a handshake carried. */
    resumes: [] as unknown[],
  };
  const roster: Participant[] = [{ handle: 50, userId: 'zed', name: 'Zed', status: 'connected' }];

  io.on('connection', (socket: ServerSocket) => {
    sockets.push(socket);
    const { resume } = socket.handshake.auth as { resume?: unknown };
    if (resume !== undefined) {
      state.resumes.push(resume);
      if (state.resumeReply) socket.emit('resume:result', state.resumeReply);
    }
    socket.on('login', (req, ack) => {
      if (state.silent.has('login')) return;
      if (req.password === 'wrong') return ack({ code: ResultCode.AUTH_REJECTED, message: 'bad password' });
      ack({
        code: 0,
        userId: `u-${req.name}`,
        name: req.name,
        resumeToken: 'token-0123456789abcdef',
        ...state.ice,
      });
    });
    socket.on('ice:refresh', (_req, ack) => {
      state.iceRefreshes += 1;
      ack({ code: 0, ...state.ice });
    });
    socket.on('conf:join', (req, ack) => {
      const handle = state.nextHandle++;
      socket.join(req.room);
      const me: Participant = { handle, userId: 'u-me', name: 'Me', status: 'connected' };
      for (const e of state.beforeJoinReply) socket.emit('conf:event', e);
      ack({
        code: 0,
        handle,
        room: req.room,
        roster: [...roster, me],
        seq: state.seq,
        info: {
          call_id: 1,
          conf_media_type: TsdkConfMediaType.VIDEO,
          is_hd_conf: false,
          conf_env_type: TsdkConfEnvType.ON_PREMISES,
          is_svc_conf: false,
          svc_label_count: 0,
          svc_label: [],
        },
      });
    });
    socket.on('chat:send', (req, ack) => {
      const refused = state.chatRefusals > 0;
      state.chatTries.push({ id: req.id, refused, at: Date.now() });
      if (refused) {
        state.chatRefusals -= 1;
        const retryAfterMs = state.chatRetryAfterMs;
        return ack({ code: ResultCode.RATE_LIMITED, message: 'too many chat messages', retryAfterMs });
      }
      const seq = ++state.seq;
      io.to('r1').emit('conf:event', {
        room: 'r1',
        seq,
        at: 0,
        kind: 'chat',
        message: { id: req.id, from: req.handle, name: 'Me', text: req.text, at: 0 },
      });
      ack({ code: 0, seq });
    });
    socket.on('conf:leave', (_req, ack) => ack({ code: 0 }));
    socket.on('logout', (_req, ack) => ack({ code: 0 }));
    socket.on('signal', (_req, ack) => ack({ code: 0 }));
    socket.on('ping', (_req, ack) => {
      if (!state.silent.has('ping')) ack({ code: 0, at: 0 });
    });
  });

  return {
    url: `http://localhost:${port}`,
    io,
    sockets,
    state,
    emitEvent(e: ConfEvent) {
      io.to(e.room).emit('conf:event', e);
    },
    close: () => new Promise<void>((resolve) => io.close(() => resolve())),
  };
}
