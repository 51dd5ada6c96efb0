/**
 * bench:abuse's honest participants: socket.io clients that log in, join, chat briskly through
 * an outbox (as the SDK's) and record when each message of the other side arrived.
 */
import { io, type Socket } from 'socket.io-client';
import type { ConfEvent } from '../shared/src/payloads.ts';
import type { ClientToServerEvents, ServerToClientEvents, SignalDelivery } from '../shared/src/protocol.ts';
import { ResultCode } from '../shared/src/result-codes.ts';

export type Client = Socket<ServerToClientEvents, ClientToServerEvents>;

/**
 * Each honest participant writes this often: brisk for a person, and exactly the chat quota's
 * sustained rate (1 a second, after 30 at once), so over any number of rounds no honest message
 * waits for the quota and the latency measures the flood alone.
 */
const HONEST_EVERY_MS = 1_000;

export function connect(url: string): Promise<Client> {
  const socket: Client = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
  return new Promise((res, rej) => {
    socket.once('connect', () => res(socket));
    socket.once('connect_error', rej);
  });
}

export function call(
  socket: Client,
  event: string,
  payload: unknown,
  timeoutMs = 10_000,
): Promise<{ code: number } & Record<string, unknown>> {
  return (
    socket.timeout(timeoutMs) as unknown as { emitWithAck(e: string, p: unknown): Promise<never> }
  ).emitWithAck(event, payload);
}

function must<T extends { code: number }>(reply: T, what: string): T {
  if (reply.code !== 0) throw new Error(`${what} failed: ${JSON.stringify(reply)}`);
  return reply;
}

export interface Honest {
  name: string;
  socket: Client;
  token: string;
  handle: number;
  lastSeq: number;
  /** chat id → when the other side received it (ms, performance.now()). */
  received: Map<string, number>;
  /** Received through a resume's replay (late by the gap, not by the flood: no latency). */
  replayed: Set<string>;
  fromAttacker: { chat: number; signals: number; roster: number };
}

export async function honest(url: string, name: string, room: string): Promise<Honest> {
  const socket = await connect(url);
  const login = must(await call(socket, 'login', { name }), 'login');
  const join = must(await call(socket, 'conf:join', { room }), 'join');
  const me: Honest = {
    name,
    socket,
    token: login.resumeToken as string,
    handle: join.handle as number,
    lastSeq: join.seq as number,
    received: new Map(),
    replayed: new Set(),
    fromAttacker: { chat: 0, signals: 0, roster: 0 },
  };
  listen(me, socket);
  return me;
}

export function onEvent(me: Honest, e: ConfEvent, replay = false): void {
  if (e.seq <= me.lastSeq) return;
  me.lastSeq = e.seq;
  if (e.kind === 'chat') {
    if (e.message.id.startsWith('h-')) {
      if (!me.received.has(e.message.id)) me.received.set(e.message.id, performance.now());
      if (replay) me.replayed.add(e.message.id);
    } else me.fromAttacker.chat += 1;
  } else if (e.kind === 'joined' || e.kind === 'left' || e.kind === 'replaced' || e.kind === 'status') {
    me.fromAttacker.roster += 1;
  }
}

let honestDrops = 0;

/** Honest sockets the server ended (not the bench's own disconnects) so far. */
export function honestDropCount(): number {
  return honestDrops;
}

export function listen(me: Honest, socket: Client): void {
  socket.on('disconnect', (reason) => {
    if (reason !== 'io client disconnect') honestDrops += 1;
  });
  socket.on('conf:event', (e) => onEvent(me, e));
  socket.on('signal', (_s: SignalDelivery) => {
    me.fromAttacker.signals += 1;
  });
}

/**
 * `from` writes every HONEST_EVERY_MS (a person chatting briskly); `sentAt` records when, per
 * id. Like the SDK's outbox: RATE_LIMITED waits `retryAfterMs`, a failure (socket gone during a
 * resume) retries on whatever socket and handle `from` has then, under the same id.
 */
export function chatter(from: Honest, sentAt: Map<string, number>, ms: number, tag: string): Promise<void> {
  return new Promise((done) => {
    let i = 0;
    const giveUpAt = performance.now() + ms + 10_000;
    const timer = setInterval(() => {
      const id = `h-${tag}-${from.name}-${i++}`;
      sentAt.set(id, performance.now());
      const send = (): void => {
        if (performance.now() > giveUpAt) return;
        // The outbox holds a message while the socket is down (here: Bob's resume).
        if (!from.socket.connected) {
          setTimeout(send, 50);
          return;
        }
        call(from.socket, 'chat:send', { handle: from.handle, id, text: `message ${id}` }, 2_000).then(
          (reply) => {
            if (reply.code === ResultCode.RATE_LIMITED) setTimeout(send, Number(reply.retryAfterMs ?? 1_000));
            else if (reply.code !== 0) setTimeout(send, 200);
          },
          () => setTimeout(send, 200),
        );
      };
      send();
    }, HONEST_EVERY_MS);
    setTimeout(() => {
      clearInterval(timer);
      done();
    }, ms);
  });
}
