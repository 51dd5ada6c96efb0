/**
 * bench:abuse's attacker: one script that floods chat, signal relays and joins/leaves, pipelined,
 * reconnecting with a fresh guest login whenever the server cuts it. It runs in a process of its
 * own (`bench/abuse.ts --attack …`), so its flood does not slow the honest clients' event loop.
 */
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ResultCode } from '../shared/src/result-codes.ts';
import { type Client, call, connect } from './abuse-clients.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** Requests the attacker keeps in flight per kind (pipelined, never waiting for a reply first). */
const WINDOW = 64;

export interface Tally {
  sent: number;
  accepted: number;
  refused: number;
  other: number;
}
const tally = (): Tally => ({ sent: 0, accepted: 0, refused: 0, other: 0 });

export const sumTally = (a: Tally, b: Tally): Tally => ({
  sent: a.sent + b.sent,
  accepted: a.accepted + b.accepted,
  refused: a.refused + b.refused,
  other: a.other + b.other,
});

export async function attacker(url: string, room: string, victims: number[], until: number) {
  const kinds = { chat: tally(), signal: tally(), joinLeave: tally() };
  let logins = 0;
  let disconnects = 0;
  /** Why the server's side ended each of its sockets ('ping timeout': its pong sat behind its own flood). */
  const reasons: Record<string, number> = {};
  const sdp = `v=0\r\n${'a=x-flood:0123456789abcdef0123456789abcdef0123456789\r\n'.repeat(300)}`;
  while (performance.now() < until) {
    let socket: Client;
    try {
      socket = await connect(url);
    } catch {
      await new Promise((r) => setTimeout(r, 200));
      continue;
    }
    const login = await call(socket, 'login', { name: `Mallory${logins}` }).catch(() => ({ code: -1 }));
    logins += 1;
    const joined =
      login.code === 0 ? await call(socket, 'conf:join', { room }).catch(() => ({ code: -1 })) : login;
    if (joined.code !== 0) {
      socket.close();
      await new Promise((r) => setTimeout(r, 1_000));
      continue;
    }
    const handle = Number((joined as Record<string, unknown>).handle);
    const closed = new Promise<string>((r) => socket.once('disconnect', (reason) => r(reason)));
    let open = true;
    void closed.then((reason) => {
      open = false;
      if (reason === 'io client disconnect') return;
      disconnects += 1;
      reasons[reason] = (reasons[reason] ?? 0) + 1;
    });
    let n = 0;
    const pump = async (t: Tally, next: () => Promise<{ code: number }>) => {
      const lane = async () => {
        while (open && performance.now() < until) {
          t.sent += 1;
          const reply = await next().catch(() => ({ code: -1 }));
          if (reply.code === 0) t.accepted += 1;
          else if (reply.code === ResultCode.RATE_LIMITED) t.refused += 1;
          else t.other += 1;
        }
      };
      await Promise.all(Array.from({ length: WINDOW }, lane));
    };
    await Promise.all([
      pump(kinds.chat, () => call(socket, 'chat:send', { handle, id: `a${n++}`, text: 'x'.repeat(3_900) })),
      pump(kinds.signal, () =>
        call(socket, 'signal', {
          from: handle,
          to: victims[n++ % victims.length],
          data: { type: 'offer', sdp },
        }),
      ),
      pump(kinds.joinLeave, async () => {
        const j = await call(socket, 'conf:join', { room: `side${n++ % 3}` });
        if (j.code !== 0) return j;
        return call(socket, 'conf:leave', { handle: j.handle });
      }),
    ]);
    socket.close();
    // A reconnecting script: back a second later with a fresh guest login.
    if (performance.now() < until) await new Promise((r) => setTimeout(r, 1_000));
  }
  return { kinds, logins, disconnects, reasons };
}

/**
 * The attacker in a process of its own: its flood must not slow the honest clients' loop (it
 * did: in one process the honest latency measured the bench's own event loop).
 */
export function attackFromAnotherProcess(
  url: string,
  room: string,
  victims: number[],
  ms: number,
): Promise<Attack> {
  // At the lowest CPU priority: on one machine the attacker's busy loop would otherwise take the
  // server's core half the time (measured: server event-loop lag up to 0.47 s while the server
  // itself was 89 % idle); a real attacker sits on another machine.
  const child = spawn(
    'nice',
    [
      '-n',
      '19',
      process.execPath,
      '--import',
      'tsx',
      'bench/abuse.ts',
      '--attack',
      JSON.stringify({ url, room, victims, ms }),
    ],
    { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  return new Promise((res, rej) =>
    child.once('exit', (code) =>
      code === 0 ? res(JSON.parse(out) as Attack) : rej(new Error(`attacker exited ${code}`)),
    ),
  );
}

type Attack = Awaited<ReturnType<typeof attacker>>;
