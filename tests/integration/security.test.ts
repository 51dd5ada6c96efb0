import { afterEach, describe, expect, it } from 'vitest';
import { ResultCode, resultCodeName } from '../../shared/src/result-codes.ts';
import { RESUME_WINDOW_MS } from '../../shared/src/timing.ts';
import { hashPassword } from '../../signaling-server/src/passwords.ts';
import { hashToken, newToken } from '../../signaling-server/src/tokens.ts';
import {
  dropAnn,
  eventually,
  guestOn,
  ok,
  type StartOptions,
  startServer,
  type TestClient,
  type TestServer,
  UNLIMITED_QUOTAS,
} from './helpers.ts';

/** Spec §7 with figures: handle hijack, token replay race, expiry, secrets in logs. */
let server: TestServer;

afterEach(async () => {
  await server?.close();
});

const guest = (name: string) => guestOn(server, name);

async function annDropsOut(options?: StartOptions) {
  server = await startServer(options);
  return dropAnn(server);
}

function tally(codes: number[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const code of codes) out[resultCodeName(code)] = (out[resultCodeName(code)] ?? 0) + 1;
  return out;
}

/** Everything about the conference and its handles (Mallory's own session may change). */
function conferenceState() {
  const dump = server.store.dump();
  return { conferences: dump.conferences, handles: dump.handles };
}

describe('hijack: another login session guesses handles', () => {
  const TRIES = 10_000;
  const SOCKETS = 20;

  it(`${TRIES} conf:resume guesses over ${SOCKETS} sockets (failure limit raised) → 0 successes; the owner resumes`, async () => {
    // The per-session failure limit is raised for this test (it would stop Mallory after 30
    // tries, see the next test); the per-address resume limit is the default.
    const { ann, bob, ja, jb, annLastSeq } = await annDropsOut({
      config: { rateLimit: { confResumeFailuresPerSession: 1_000_000 }, quotas: UNLIMITED_QUOTAS },
    });
    const mallory = await guest('Mallory');
    let token = mallory.session.resumeToken;
    const before = conferenceState();
    const bobEvents = bob.client.events.length;

    // Every handle ever issued and its neighbours (Ann's held one included, many times over),
    // then random uint32s.
    const top = server.store.dump().nextHandle + 16;
    const guesses = Array.from({ length: TRIES }, (_, i) =>
      i % 4 === 0 ? ja.handle : i % 4 === 1 ? 1 + (i % top) : 1 + Math.floor(Math.random() * 0xffff_fffe),
    );
    const codes: number[] = [];
    const perSocket = TRIES / SOCKETS;
    for (let s = 0; s < SOCKETS; s++) {
      // Mallory's own live token makes each socket login-resumed (and rotates it).
      const socket = await server.connect();
      token = (await socket.resume(token)).resumeToken;
      const replies = await Promise.all(
        guesses
          .slice(s * perSocket, (s + 1) * perSocket)
          .map((handle) => socket.call('conf:resume', { handle, lastSeq: 0 })),
      );
      codes.push(...replies.map((r) => r.code));
    }
    const figures = tally(codes);
    console.log(`hijack: ${TRIES} tries → ${JSON.stringify(figures)}`);
    expect(codes).toHaveLength(TRIES);
    expect(codes.filter((c) => c === 0)).toHaveLength(0);
    expect(figures).toEqual({ HANDLE_UNKNOWN: TRIES });

    // Nothing about the conference changed, and Bob heard nothing.
    expect(conferenceState()).toEqual(before);
    await bob.client.settle();
    expect(bob.client.events.length).toBe(bobEvents);

    // The owner resumes normally with a new handle.
    const s2 = await server.connect();
    await s2.resume(ann.session.resumeToken);
    const info = await s2.confResume(ja.handle, annLastSeq);
    expect(info.handle).not.toBe(ja.handle);
    expect(info.originalHandle).toBe(ja.handle);
    expect((await bob.client.event('replaced')).participant.handle).toBe(info.handle);
    expect((await server.store.members('r1')).map((p) => p.handle)).toEqual([info.handle, jb.handle]);
  });

  it('with the default limits, the 31st failed guess in a minute is RATE_LIMITED (retryAfterMs); later allowed again', async () => {
    const { ja } = await annDropsOut();
    const mallory = await guest('Mallory');
    const socket = await server.connect();
    await socket.resume(mallory.session.resumeToken);
    const codes: number[] = [];
    for (let i = 0; i < 40; i++)
      codes.push((await socket.call('conf:resume', { handle: ja.handle, lastSeq: 0 })).code);
    expect(tally(codes)).toEqual({ HANDLE_UNKNOWN: 30, RATE_LIMITED: 10 });
    const refused = await socket.call('conf:resume', { handle: ja.handle, lastSeq: 0 });
    expect(refused).toMatchObject({ code: ResultCode.RATE_LIMITED, retryAfterMs: 60_000 });
    server.clock.advance(30_000);
    expect(await socket.call('conf:resume', { handle: ja.handle, lastSeq: 0 })).toMatchObject({
      code: ResultCode.RATE_LIMITED,
      retryAfterMs: 30_000,
    });
    server.clock.advance(30_000);
    expect((await socket.call('conf:resume', { handle: ja.handle, lastSeq: 0 })).code).toBe(
      ResultCode.HANDLE_UNKNOWN,
    );
  });
});

describe('token replay race', () => {
  it('the same token on 100 sockets at once → exactly 1 success, 99 RESUME_TOKEN_REJECTED', async () => {
    const { ann, ja, annLastSeq } = await annDropsOut();
    const sockets = await Promise.all(Array.from({ length: 100 }, () => server.connect()));
    const replies = await Promise.all(
      sockets.map((s) => s.call('resume', { token: ann.session.resumeToken })),
    );
    const figures = tally(replies.map((r) => r.code));
    console.log(`replay race: 100 parallel presentations → ${JSON.stringify(figures)}`);
    expect(figures).toEqual({ TSDK_SUCCESS: 1, RESUME_TOKEN_REJECTED: 99 });
    // The winner carries on: its socket resumes the conference.
    const winner = sockets[replies.findIndex((r) => r.code === 0)] as TestClient;
    const info = await winner.confResume(ja.handle, annLastSeq);
    expect(info.originalHandle).toBe(ja.handle);
    // The losers did not become logged in.
    const loser = sockets[replies.findIndex((r) => r.code !== 0)] as TestClient;
    expect((await loser.call('conf:resume', { handle: info.handle, lastSeq: 0 })).code).toBe(
      ResultCode.LOGIN_RESUME_REQUIRED,
    );
  });
});

describe('token expiry on the ManualClock', () => {
  it('presented 59.5 s after the disconnect: accepted, and the conference resumes', async () => {
    const { ann, bob, ja, annLastSeq } = await annDropsOut();
    server.clock.advance(59_500);
    const s2 = await server.connect();
    const session = await s2.resume(ann.session.resumeToken);
    expect(session.userId).toBe(ann.session.userId);
    const info = await s2.confResume(ja.handle, annLastSeq);
    expect(info.originalHandle).toBe(ja.handle);
    // The seat timer was cancelled: nothing is released later.
    server.clock.advance(RESUME_WINDOW_MS);
    await bob.client.settle();
    expect(bob.client.events.map((e) => e.kind)).toEqual(['status', 'replaced']);
  });

  it('presented 60.5 s after the disconnect: RESUME_TOKEN_REJECTED; the seat was released and the others saw `left` timeout', async () => {
    const { ann, bob, ja } = await annDropsOut();
    server.clock.advance(60_500);
    const s2 = await server.connect();
    expect((await s2.call('resume', { token: ann.session.resumeToken })).code).toBe(
      ResultCode.RESUME_TOKEN_REJECTED,
    );
    expect(await bob.client.event('left')).toMatchObject({ handle: ja.handle, reason: 'timeout' });
    expect((await server.store.members('r1')).map((p) => p.name)).toEqual(['Bob']);
    expect(await server.store.getSession(ann.session.userId)).toBeNull();
  });

  it('a login resumed in time but a conference resumed after the window: RESUME_TIMEOUT', async () => {
    const { ann, ja, annLastSeq } = await annDropsOut();
    server.clock.advance(59_500);
    const s2 = await server.connect();
    await s2.resume(ann.session.resumeToken);
    server.clock.advance(1_000);
    await eventually(async () => (await server.store.members('r1')).length === 1);
    expect((await s2.call('conf:resume', { handle: ja.handle, lastSeq: annLastSeq })).code).toBe(
      ResultCode.RESUME_TIMEOUT,
    );
  });
});

describe('no secret in any log line', () => {
  it('a whole scenario: login, join, drop, resume, wrong tokens, bad input, logout', async () => {
    const password = 'correct horse battery staple';
    server = await startServer({
      config: { accounts: new Map([['alice', await hashPassword(password)]]) },
    });
    const tokens: string[] = [];
    const alice = await server.connect();
    const a1 = await alice.login('alice', password);
    tokens.push(a1.resumeToken);
    const bob = await guest('Bob');
    tokens.push(bob.session.resumeToken);
    const ja = await alice.join('r1');
    await bob.client.join('r1');
    ok(await alice.call('chat:send', { handle: ja.handle, id: 'c1', text: 'hello' }));
    alice.disconnect();
    await bob.client.event('status');

    // Wrong tokens: random, the real one altered, too long, as an unknown key, as an event name.
    const thief = await server.connect();
    const wrong = [newToken(), `${a1.resumeToken.slice(0, -1)}${a1.resumeToken.endsWith('A') ? 'B' : 'A'}`];
    for (const token of wrong) {
      expect((await thief.call('resume', { token })).code).toBe(ResultCode.RESUME_TOKEN_REJECTED);
    }
    for (const payload of [
      { token: `${a1.resumeToken}${'x'.repeat(100)}` },
      { token: a1.resumeToken, extra: a1.resumeToken },
      { [a1.resumeToken]: a1.resumeToken },
      a1.resumeToken,
      [a1.resumeToken],
    ]) {
      expect(((await thief.callRaw('resume', payload)) as { code: number }).code).toBe(
        ResultCode.INVALID_PARAM,
      );
    }
    expect(((await thief.callRaw(a1.resumeToken, {})) as { code: number }).code).toBe(
      ResultCode.INVALID_PARAM,
    );
    thief.loose.emit('resume', { token: a1.resumeToken, more: 1 }); // no ack
    // Bad logins: wrong password, the password in the wrong field or as a key.
    expect((await thief.call('login', { name: 'alice', password: 'wrong' })).code).toBe(
      ResultCode.AUTH_REJECTED,
    );
    for (const payload of [
      { name: 'alice', pass: password },
      { name: 'alice', password, [password]: 1 },
    ]) {
      expect(((await thief.callRaw('login', payload)) as { code: number }).code).toBe(
        ResultCode.INVALID_PARAM,
      );
    }
    // Through the window of the rotated tokens: resume, used-token replay, conf resume, chat.
    const a2 = await server.connect();
    const r1 = await a2.resume(a1.resumeToken);
    tokens.push(r1.resumeToken);
    expect((await thief.call('resume', { token: a1.resumeToken })).code).toBe(
      ResultCode.RESUME_TOKEN_REJECTED,
    );
    const info = await a2.confResume(ja.handle, 0);
    ok(await a2.call('chat:send', { handle: info.handle, id: 'c2', text: 'back' }));
    a2.disconnect();
    const a3 = await server.connect();
    const r2 = await a3.resume(r1.resumeToken);
    tokens.push(r2.resumeToken);
    ok(await a3.call('logout', {}));
    ok(await bob.client.call('logout', {}));

    const text = server.rawLogs();
    expect(server.logs.length).toBeGreaterThan(20);
    for (const token of tokens) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(hashToken(token));
      // Not even a recognisable part of one.
      expect(text).not.toContain(token.slice(0, 16));
    }
    expect(text).not.toContain(password);
    expect(text).not.toContain('correct horse');
    console.log(`log scan: ${server.logs.length} lines, ${tokens.length} tokens and 1 password, 0 found`);
  });
});
