import { afterEach, describe, expect, it } from 'vitest';
import { ResultCode, resultCodeName } from '../../shared/src/result-codes.ts';
import { RESUME_WINDOW_MS } from '../../shared/src/timing.ts';
import { DEFAULT_RATE_LIMITS } from '../../signaling-server/src/config.ts';
import { hashPassword } from '../../signaling-server/src/passwords.ts';
import { hashToken, newToken } from '../../signaling-server/src/tokens.ts';
import { ok, startServer, type TestClient, type TestServer, UNLIMITED_QUOTAS } from './helpers.ts';

/**
 * Login and resume floods, per name and per address, with the default limits (the per-session
 * quotas, which would refuse these floods first, are out of the way: quotas.test.ts) (every test
 * socket comes from 127.0.0.1, one address): RATE_LIMITED with `retryAfterMs`, allowed again
 * after the window on the ManualClock; and a whole office resuming behind one NAT passes.
 */
let server: TestServer;
const WINDOW = DEFAULT_RATE_LIMITS.windowMs;

afterEach(async () => {
  await server?.close();
});

function tally(codes: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const code of codes) out[resultCodeName(code)] = (out[resultCodeName(code)] ?? 0) + 1;
  return out;
}

/** `n` calls pipelined in chunks (well under a socket's in-flight limit). */
async function flood<T>(n: number, call: (i: number) => Promise<T>, chunk = 250): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < n; i += chunk) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(chunk, n - i) }, (_, j) => call(i + j)))));
  }
  return out;
}

/** Logs in as a guest and out again on one socket (a socket holds one login at a time). */
async function loginLogout(c: TestClient, name: string): Promise<number> {
  const reply = await c.call('login', { name });
  if (reply.code === 0) ok(await c.call('logout', {}));
  return reply.code;
}

describe('login floods', () => {
  it(`per address: ${DEFAULT_RATE_LIMITS.perAddress} logins a minute, then RATE_LIMITED until the window ends`, async () => {
    server = await startServer({ config: { quotas: UNLIMITED_QUOTAS } });
    const c = await server.connect();
    const codes: number[] = [];
    for (let i = 0; i < DEFAULT_RATE_LIMITS.perAddress + 5; i++) codes.push(await loginLogout(c, `u${i}`));
    expect(tally(codes)).toEqual({ TSDK_SUCCESS: DEFAULT_RATE_LIMITS.perAddress, RATE_LIMITED: 5 });
    server.clock.advance(10_000);
    expect(await c.call('login', { name: 'late' })).toMatchObject({
      code: ResultCode.RATE_LIMITED,
      retryAfterMs: WINDOW - 10_000,
    });
    server.clock.advance(WINDOW - 10_000);
    expect(await loginLogout(c, 'late')).toBe(0);
    // The flood was logged once, not once per refusal.
    expect(server.logs.filter((l) => l.msg === 'login rate-limited')).toHaveLength(1);
  });

  it(`per guest name: ${DEFAULT_RATE_LIMITS.perGuestName} a minute; other names go on`, async () => {
    server = await startServer({ config: { quotas: UNLIMITED_QUOTAS } });
    const c = await server.connect();
    const codes: number[] = [];
    for (let i = 0; i < DEFAULT_RATE_LIMITS.perGuestName + 3; i++) codes.push(await loginLogout(c, 'Guest'));
    expect(tally(codes)).toEqual({ TSDK_SUCCESS: DEFAULT_RATE_LIMITS.perGuestName, RATE_LIMITED: 3 });
    expect(await c.call('login', { name: 'guest' })).toMatchObject({ code: ResultCode.RATE_LIMITED });
    expect(await loginLogout(c, 'Someone else')).toBe(0);
    server.clock.advance(WINDOW);
    expect(await loginLogout(c, 'Guest')).toBe(0);
  });

  it(`per account: ${DEFAULT_RATE_LIMITS.perAccount} password attempts a minute, then even the right one waits`, async () => {
    const hash = await hashPassword('right');
    server = await startServer({
      config: {
        quotas: UNLIMITED_QUOTAS,
        allowGuests: false,
        accounts: new Map([
          ['alice', hash],
          ['bob', hash],
        ]),
      },
    });
    const c = await server.connect();
    const codes = await flood(DEFAULT_RATE_LIMITS.perAccount + 2, () =>
      c.call('login', { name: 'alice', password: 'wrong' }).then((r) => r.code),
    );
    expect(tally(codes)).toEqual({ AUTH_REJECTED: DEFAULT_RATE_LIMITS.perAccount, RATE_LIMITED: 2 });
    const refused = await c.call('login', { name: 'alice', password: 'right' });
    expect(refused.code).toBe(ResultCode.RATE_LIMITED);
    expect(refused.code !== 0 && refused.retryAfterMs).toBeGreaterThan(0);
    // Another account from the same address is not affected.
    ok(await c.call('login', { name: 'bob', password: 'right' }));
    ok(await c.call('logout', {}));
    server.clock.advance(WINDOW);
    ok(await c.call('login', { name: 'alice', password: 'right' }));
  });
});

describe('resume floods', () => {
  it(`per address: ${DEFAULT_RATE_LIMITS.resumePerAddress} wrong tokens a minute, then RATE_LIMITED; the real token is not spent`, async () => {
    server = await startServer({ config: { quotas: UNLIMITED_QUOTAS } });
    const ann = await server.connect();
    const session = await ann.login('Ann');
    ann.disconnect();
    const thief = await server.connect();
    const n = DEFAULT_RATE_LIMITS.resumePerAddress;
    const codes = await flood(n + 10, () => thief.call('resume', { token: newToken() }).then((r) => r.code));
    console.log(`resume flood from one address: ${JSON.stringify(tally(codes))}`);
    expect(tally(codes)).toEqual({ RESUME_TOKEN_REJECTED: n, RATE_LIMITED: 10 });
    // The address is limited for everyone behind it until the window ends...
    const s2 = await server.connect();
    const refused = await s2.call('resume', { token: session.resumeToken });
    expect(refused.code).toBe(ResultCode.RATE_LIMITED);
    expect(refused.code !== 0 && refused.retryAfterMs).toBeGreaterThan(0);
    // ...which the session outlives (the window is the same 60 s as the resume window, and the
    // flood started after the drop, so resume just before the session's end).
    server.clock.advance(WINDOW - 1);
    expect((await s2.call('resume', { token: session.resumeToken })).code).toBe(ResultCode.RATE_LIMITED);
    expect(server.logs.filter((l) => l.msg === 'resume token rejected')).toHaveLength(1);
    expect(server.logs.filter((l) => l.msg === 'resume rate-limited')).toHaveLength(1);
  });

  it('per address: allowed again after the window, with the token still valid', async () => {
    server = await startServer({ config: { rateLimit: { resumePerAddress: 50 }, quotas: UNLIMITED_QUOTAS } });
    const ann = await server.connect();
    const session = await ann.login('Ann');
    const thief = await server.connect();
    const codes = await flood(55, () => thief.call('resume', { token: newToken() }).then((r) => r.code));
    expect(tally(codes)).toEqual({ RESUME_TOKEN_REJECTED: 50, RATE_LIMITED: 5 });
    const s2 = await server.connect();
    expect((await s2.call('resume', { token: session.resumeToken })).code).toBe(ResultCode.RATE_LIMITED);
    server.clock.advance(WINDOW);
    expect((await s2.resume(session.resumeToken)).userId).toBe(session.userId);
  });

  it(`per session: ${DEFAULT_RATE_LIMITS.resumePerSession} resumes a minute; a refused one keeps its token`, async () => {
    server = await startServer({ config: { quotas: UNLIMITED_QUOTAS } });
    const first = await server.connect();
    let token = (await first.login('Ann')).resumeToken;
    for (let i = 0; i < DEFAULT_RATE_LIMITS.resumePerSession; i++) {
      token = (await (await server.connect()).resume(token)).resumeToken;
    }
    const s = await server.connect();
    const refused = await s.call('resume', { token });
    expect(refused).toMatchObject({ code: ResultCode.RATE_LIMITED });
    expect(refused.code !== 0 && refused.retryAfterMs).toBeGreaterThan(0);
    server.clock.advance(WINDOW);
    // The refused presentation did not spend the token.
    expect((await s.resume(token)).name).toBe('Ann');
  });

  it('a resume storm: 1 000 sessions behind one NAT address resume within a minute, all pass', async () => {
    server = await startServer({ config: { quotas: UNLIMITED_QUOTAS } });
    // 1 000 detached login sessions (an office whose Wi-Fi just dropped), put in the store
    // directly: logging them in over sockets would only test the login limit and the harness.
    const tokens = Array.from({ length: 1_000 }, () => newToken());
    for (const [i, token] of tokens.entries()) {
      await server.store.createSession({
        userId: `u${i}`,
        name: `u${i}`,
        tokenHash: hashToken(token),
        socketId: 'gone',
      });
      await server.store.detachSession(`u${i}`, server.clock.now() + RESUME_WINDOW_MS);
    }
    // Everyone resumes in the same minute from 127.0.0.1: 200 sockets, each carrying five
    // people in turn (a socket holds one login, so each logs out after its resume).
    const sockets = await Promise.all(Array.from({ length: 200 }, () => server.connect()));
    const started = Date.now();
    const codes: number[] = [];
    await Promise.all(
      sockets.map(async (c, i) => {
        for (let k = 0; k < 5; k++) {
          const reply = await c.call('resume', { token: tokens[i * 5 + k] as string });
          codes.push(reply.code);
          if (reply.code === 0) ok(await c.call('logout', {}));
        }
      }),
    );
    const figures = tally(codes);
    console.log(
      `resume storm: 1000 resumes from 127.0.0.1 in one minute → ${JSON.stringify(figures)} (${Date.now() - started} ms wall)`,
    );
    expect(figures).toEqual({ TSDK_SUCCESS: 1_000 });
  });
});
