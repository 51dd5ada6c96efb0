/**
 * A `resume` naming its conference (the SDK's way): the login, then the conference, in one
 * request and one reply. Everything `conf:resume` guarantees holds; the login's reply is never
 * lost to a conference part that fails.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { ResultCode } from '../../shared/src/result-codes.ts';
import { RESUME_WINDOW_MS } from '../../shared/src/timing.ts';
import type { Store } from '../../signaling-server/src/store/store.ts';
import {
  dropAnn,
  eventually,
  guestOn,
  ok,
  type StartOptions,
  startServer,
  type TestServer,
} from './helpers.ts';

let server: TestServer;

afterEach(async () => {
  await server.close();
});

async function annDropsOut(options?: StartOptions) {
  server = await startServer(options);
  const dropped = await dropAnn(server);
  await dropped.bob.client.settle();
  return dropped;
}

/** The store with `before()` awaited ahead of every call of `method`. */
function beforeStoreCall(method: keyof Store, before: () => Promise<void>): StartOptions['wrapStore'] {
  return (inner) =>
    new Proxy(inner, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver);
        if (typeof value !== 'function') return value;
        if (prop !== method) return value.bind(target);
        return async (...args: unknown[]) => {
          await before();
          return value.apply(target, args);
        };
      },
    });
}

/** The store with `method` failing while `broken()` says so. */
function failsWhile(method: keyof Store, broken: () => boolean): StartOptions['wrapStore'] {
  return beforeStoreCall(method, async () => {
    if (broken()) throw new Error('store down');
  });
}

/** Ann and Bob in r1, Ann's socket still open (the server has not noticed anything). */
async function bothSeated(options?: StartOptions) {
  server = await startServer(options);
  const ann = await guestOn(server, 'Ann');
  const bob = await guestOn(server, 'Bob');
  const ja = await ann.client.join('r1');
  await bob.client.join('r1');
  await ann.client.until(() => ann.client.events.length === 1);
  await bob.client.settle();
  return { ann, bob, ja, bobFrom: bob.client.events.length };
}

describe('resume naming the conference', () => {
  it('resumes the login, then the conference: a new handle, the replay, one `replaced`', async () => {
    const { ann, bob, ja, jb, annLastSeq } = await annDropsOut();
    // Something Ann missed while away.
    ok(await bob.client.call('chat:send', { handle: jb.handle, id: 'm1', text: 'still there?' }));
    const s2 = await server.connect();
    const reply = ok(
      await s2.call('resume', {
        token: ann.session.resumeToken,
        conference: { handle: ja.handle, lastSeq: annLastSeq },
      }),
    );
    expect(reply).toMatchObject({ userId: ann.session.userId, name: 'Ann' });
    expect(reply.resumeToken).not.toBe(ann.session.resumeToken);
    const conf = ok(reply.conference ?? { code: ResultCode.SERVER_UNAVAILABLE, message: 'absent' });
    expect(conf).toMatchObject({ originalHandle: ja.handle, room: 'r1', info: ja.info });
    expect(conf.handle).not.toBe(ja.handle);
    expect(conf.roster.map((p) => [p.handle, p.status])).toEqual([
      [conf.handle, 'connected'],
      [jb.handle, 'connected'],
    ]);
    // The replay: the status Ann's drop caused, the chat, and her own replacement, once each.
    const replayed = conf.replay.code === 0 ? conf.replay.events : [];
    expect(replayed.map((e) => e.kind)).toEqual(['status', 'chat', 'replaced']);
    await bob.client.event('replaced');
    await bob.client.settle();
    expect(bob.client.events.map((e) => e.kind)).toEqual(['status', 'chat', 'replaced']);
    // This socket serves the new handle; the rotated token resumes the next drop.
    ok(await s2.call('chat:send', { handle: conf.handle, id: 'm2', text: 'back' }));
    s2.disconnect();
    const s3 = await server.connect();
    await s3.resume(reply.resumeToken);
    expect((await s3.confResume(conf.handle, conf.seq)).originalHandle).toBe(conf.handle);
  });

  it('a refused token resumes nothing: no conference part, the seat still held, the token still good', async () => {
    const { ann, ja, annLastSeq } = await annDropsOut();
    const s2 = await server.connect();
    const conference = { handle: ja.handle, lastSeq: annLastSeq };
    const refused = await s2.call('resume', { token: 'x'.repeat(43), conference });
    expect(refused).toEqual({
      code: ResultCode.RESUME_TOKEN_REJECTED,
      message: 'the resume token is wrong, used or expired',
    });
    expect((await server.store.getHandle(ja.handle))?.state).toBe('live');
    const s3 = await server.connect();
    const reply = ok(await s3.call('resume', { token: ann.session.resumeToken, conference }));
    expect(reply.conference?.code).toBe(0);
  });

  it('a refused conference part leaves the login resumed, with its new token; `conf:resume` then works', async () => {
    const { ann, bob, ja, jb, annLastSeq } = await annDropsOut();
    const s2 = await server.connect();
    // Bob's handle is not Ann's.
    const reply = ok(
      await s2.call('resume', {
        token: ann.session.resumeToken,
        conference: { handle: jb.handle, lastSeq: 0 },
      }),
    );
    expect(reply.conference).toMatchObject({ code: ResultCode.HANDLE_UNKNOWN });
    expect((await server.store.getHandle(jb.handle))?.state).toBe('live');
    const info = await s2.confResume(ja.handle, annLastSeq);
    expect(info.originalHandle).toBe(ja.handle);
    await bob.client.event('replaced');
    // The login's token was rotated by this resume: the old one is spent.
    const s3 = await server.connect();
    expect((await s3.call('resume', { token: ann.session.resumeToken })).code).toBe(
      ResultCode.RESUME_TOKEN_REJECTED,
    );
    ok(await s3.call('resume', { token: reply.resumeToken }));
  });

  it('a conference part that fails in the store still returns the login, and the seat waits for a retry', async () => {
    let broken = false;
    const { ann, ja, annLastSeq } = await annDropsOut({ wrapStore: failsWhile('getHandle', () => broken) });
    broken = true;
    const s2 = await server.connect();
    const conference = { handle: ja.handle, lastSeq: annLastSeq };
    const reply = ok(await s2.call('resume', { token: ann.session.resumeToken, conference }));
    expect(reply.conference).toEqual({
      code: ResultCode.SERVER_UNAVAILABLE,
      message: 'the server failed to resume the conference',
    });
    expect(server.logs.some((l) => l.msg === 'conference resume failed')).toBe(true);
    broken = false;
    expect((await s2.confResume(ja.handle, annLastSeq)).originalHandle).toBe(ja.handle);
  });

  it('takes the seat over from a socket that still looks open: Bob sees one `replaced`, no `status reconnecting`', async () => {
    const { ann, bob, ja, bobFrom } = await bothSeated();
    const s2 = await server.connect();
    const oldClosed = ann.client.closedByServer();
    const conference = { handle: ja.handle, lastSeq: ann.client.lastSeq() };
    const reply = ok(await s2.call('resume', { token: ann.session.resumeToken, conference }));
    await oldClosed;
    expect(reply.conference?.code).toBe(0);
    await bob.client.event('replaced');
    server.clock.advance(RESUME_WINDOW_MS);
    await bob.client.settle();
    expect(bob.client.events.slice(bobFrom).map((e) => e.kind)).toEqual(['replaced']);
  });

  it('a conference part that fails while the old socket still looks open: its disconnect holds the seat, resumable', async () => {
    let broken = false;
    const { ann, bob, ja, bobFrom } = await bothSeated({
      wrapStore: failsWhile('allocateHandle', () => broken),
    });
    const s2 = await server.connect();
    broken = true;
    const conference = { handle: ja.handle, lastSeq: ann.client.lastSeq() };
    const reply = ok(await s2.call('resume', { token: ann.session.resumeToken, conference }));
    expect(reply.conference?.code).toBe(ResultCode.SERVER_UNAVAILABLE);
    // The old socket, disconnected after the failed part, holds the seat: others see it, the window runs.
    await bob.client.event('status');
    expect((await server.store.getHandle(ja.handle))?.socketId).toBeNull();
    broken = false;
    const info = await s2.confResume(ja.handle, conference.lastSeq);
    expect(info.originalHandle).toBe(ja.handle);
    await bob.client.event('replaced');
    server.clock.advance(RESUME_WINDOW_MS);
    await bob.client.settle();
    expect(bob.client.events.slice(bobFrom).map((e) => e.kind)).toEqual(['status', 'replaced']);
  });
});

/** The store with `attachSession` waiting for `release` while `held` says so; `reached` when one waits. */
function attachHeld() {
  const gate = { held: false, reached: false, release: () => {} };
  const wrapStore = beforeStoreCall('attachSession', async () => {
    if (!gate.held) return;
    gate.reached = true;
    await new Promise<void>((resolve) => (gate.release = resolve));
  });
  return { gate, wrapStore };
}

describe('resume in the handshake', () => {
  it('a client gone before its reply keeps its token: the retry resumes, from the handle the lost one made', async () => {
    const { gate, wrapStore } = attachHeld();
    const { ann, bob, ja, annLastSeq } = await annDropsOut({ wrapStore });
    const conference = { handle: ja.handle, lastSeq: annLastSeq };
    gate.held = true;
    const s2 = await server.connect({ resume: { token: ann.session.resumeToken, conference } });
    await eventually(() => gate.reached);
    // The client gives up on that socket (a connect timeout on an overloaded server).
    s2.disconnect();
    await eventually(() => server.server.io.of('/').sockets.size === 1);
    gate.held = false;
    gate.release();
    await eventually(() =>
      server.logs.some((l) => l.msg === 'resume reply undeliverable: presented token kept'),
    );
    const s3 = await server.connect({ resume: { token: ann.session.resumeToken, conference } });
    await s3.until(() => s3.resumeResults.length > 0, 'resume:result');
    const reply = ok(s3.resumeResults[0] ?? { code: ResultCode.SERVER_UNAVAILABLE, message: 'none' });
    const conf = ok(reply.conference ?? { code: ResultCode.SERVER_UNAVAILABLE, message: 'absent' });
    expect(conf.originalHandle).toBe(ja.handle);
    await bob.client.event('replaced', (e) => e.participant.handle === conf.handle);
    expect((await server.store.members('r1')).map((p) => p.handle)).toContain(conf.handle);
    expect(s2.resumeResults).toEqual([]);
  });

  it('the socket’s first message is `resume:result`: the login and the conference, as a `resume` request', async () => {
    const { ann, bob, ja, jb, annLastSeq } = await annDropsOut();
    const conference = { handle: ja.handle, lastSeq: annLastSeq };
    const s2 = await server.connect({ resume: { token: ann.session.resumeToken, conference } });
    await s2.until(() => s2.resumeResults.length > 0, 'resume:result');
    const reply = ok(s2.resumeResults[0] ?? { code: ResultCode.SERVER_UNAVAILABLE, message: 'none' });
    expect(reply).toMatchObject({ userId: ann.session.userId, name: 'Ann' });
    const conf = ok(reply.conference ?? { code: ResultCode.SERVER_UNAVAILABLE, message: 'absent' });
    expect(conf).toMatchObject({ originalHandle: ja.handle, room: 'r1' });
    await bob.client.event('replaced', (e) => e.participant.handle === conf.handle);
    ok(await s2.call('signal', { from: conf.handle, to: jb.handle, data: { renegotiate: true } }));
    // Spent: the same handshake again resumes nothing, and says why.
    const s3 = await server.connect({ resume: { token: ann.session.resumeToken, conference } });
    await s3.until(() => s3.resumeResults.length > 0, 'resume:result');
    expect(s3.resumeResults[0]?.code).toBe(ResultCode.RESUME_TOKEN_REJECTED);
    expect(s2.resumeResults).toHaveLength(1);
  });

  it('a malformed one is answered INVALID_PARAM, changes nothing, and the socket stays usable', async () => {
    const { ann, ja, annLastSeq } = await annDropsOut();
    const s2 = await server.connect({ resume: { token: 5 } });
    await s2.until(() => s2.resumeResults.length > 0, 'resume:result');
    expect(s2.resumeResults[0]?.code).toBe(ResultCode.INVALID_PARAM);
    await s2.resume(ann.session.resumeToken);
    expect((await s2.confResume(ja.handle, annLastSeq)).originalHandle).toBe(ja.handle);
    // A handshake without one gets no result at all.
    const plain = await server.connect({ other: 1 });
    await plain.settle();
    expect(plain.resumeResults).toEqual([]);
  });
});
