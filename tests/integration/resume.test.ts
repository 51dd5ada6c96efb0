import { afterEach, describe, expect, it } from 'vitest';
import { ResultCode } from '../../shared/src/result-codes.ts';
import { RESUME_WINDOW_MS } from '../../shared/src/timing.ts';
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

const guest = (name: string) => guestOn(server, name);

async function annDropsOut(options?: StartOptions) {
  server = await startServer(options);
  const dropped = await dropAnn(server);
  expect(dropped.status).toMatchObject({ handle: dropped.ja.handle, status: 'reconnecting' });
  return dropped;
}

describe('seat held after a disconnect', () => {
  it('is still held at 59 999 ms and released (`left` timeout) at 60 000 ms', async () => {
    const { ann, bob, ja } = await annDropsOut();
    expect(await server.store.members('r1')).toContainEqual(
      expect.objectContaining({ handle: ja.handle, status: 'reconnecting' }),
    );
    server.clock.advance(RESUME_WINDOW_MS - 1);
    await bob.client.settle();
    expect(bob.client.events.some((e) => e.kind === 'left')).toBe(false);
    expect(await server.store.members('r1')).toHaveLength(2);

    server.clock.advance(1);
    expect(await bob.client.event('left')).toMatchObject({ handle: ja.handle, reason: 'timeout' });
    expect(await server.store.members('r1')).toHaveLength(1);
    // The login session expired with the seat: its token no longer resumes.
    const late = await server.connect();
    expect((await late.call('resume', { token: ann.session.resumeToken })).code).toBe(
      ResultCode.RESUME_TOKEN_REJECTED,
    );
  });

  it('ends the conference when the last held seat is released', async () => {
    server = await startServer();
    const ann = await guest('Ann');
    await ann.client.join('solo');
    ann.client.disconnect();
    await eventually(async () => (await server.store.members('solo'))[0]?.status === 'reconnecting');
    server.clock.advance(RESUME_WINDOW_MS);
    await eventually(async () => (await server.store.getConference('solo')) === null);
  });

  it('a login session without a conference expires after the window too', async () => {
    server = await startServer();
    const ann = await guest('Ann');
    ann.client.disconnect();
    await eventually(async () => (await server.store.getSession(ann.session.userId))?.socketId === null);
    server.clock.advance(RESUME_WINDOW_MS - 1);
    const again = await server.connect();
    const resumed = await again.resume(ann.session.resumeToken);
    expect(resumed.userId).toBe(ann.session.userId);
  });
});

describe('login resume', () => {
  it('binds a new socket to the session; the token is single use and rotated', async () => {
    server = await startServer();
    const ann = await guest('Ann');
    ann.client.disconnect();
    const s2 = await server.connect();
    const r1 = await s2.resume(ann.session.resumeToken);
    expect(r1).toMatchObject({ userId: ann.session.userId, name: 'Ann' });
    expect(r1.resumeToken).not.toBe(ann.session.resumeToken);

    const s3 = await server.connect();
    expect((await s3.call('resume', { token: ann.session.resumeToken })).code).toBe(
      ResultCode.RESUME_TOKEN_REJECTED,
    );
    // The rotated token works once, from yet another socket (which replaces s2).
    const s2Closed = s2.closedByServer();
    const r2 = await s3.resume(r1.resumeToken);
    expect(r2.userId).toBe(ann.session.userId);
    expect(await s2Closed).toBe('io server disconnect');
    expect(server.rawLogs()).not.toContain(r1.resumeToken);
    expect(server.rawLogs()).not.toContain(r2.resumeToken);
    expect(server.rawLogs()).not.toContain(ann.session.resumeToken);
  });

  it('a wrong token is rejected and the real session still resumes', async () => {
    server = await startServer();
    const ann = await guest('Ann');
    ann.client.disconnect();
    const thief = await server.connect();
    const wrong = `${ann.session.resumeToken.slice(0, -2)}AA`;
    expect((await thief.call('resume', { token: wrong })).code).toBe(ResultCode.RESUME_TOKEN_REJECTED);
    expect((await thief.call('conf:resume', { handle: 1, lastSeq: 0 })).code).toBe(
      ResultCode.LOGIN_RESUME_REQUIRED,
    );
    const s2 = await server.connect();
    expect((await s2.resume(ann.session.resumeToken)).userId).toBe(ann.session.userId);
  });

  it('a token expires with the window after the socket is lost', async () => {
    server = await startServer();
    const ann = await guest('Ann');
    ann.client.disconnect();
    await eventually(async () => (await server.store.getSession(ann.session.userId))?.socketId === null);
    server.clock.advance(RESUME_WINDOW_MS);
    const s2 = await server.connect();
    expect((await s2.call('resume', { token: ann.session.resumeToken })).code).toBe(
      ResultCode.RESUME_TOKEN_REJECTED,
    );
  });
});

describe('conference resume', () => {
  it('needs a login (or login resume) on this socket first', async () => {
    const { ja } = await annDropsOut();
    const s2 = await server.connect();
    expect((await s2.call('conf:resume', { handle: ja.handle, lastSeq: 0 })).code).toBe(
      ResultCode.LOGIN_RESUME_REQUIRED,
    );
  });

  it('needs a login *resume*: a socket that only logged in gets LOGIN_RESUME_REQUIRED', async () => {
    const { ja } = await annDropsOut();
    const eve = await guest('Eve');
    expect((await eve.client.call('conf:resume', { handle: ja.handle, lastSeq: 0 })).code).toBe(
      ResultCode.LOGIN_RESUME_REQUIRED,
    );
  });

  it('refuses a handle of another login session', async () => {
    const { ja } = await annDropsOut();
    const eve = await guest('Eve');
    const eve2 = await server.connect();
    await eve2.resume(eve.session.resumeToken);
    expect((await eve2.call('conf:resume', { handle: ja.handle, lastSeq: 0 })).code).toBe(
      ResultCode.HANDLE_UNKNOWN,
    );
    expect((await eve2.call('conf:resume', { handle: 424_242, lastSeq: 0 })).code).toBe(
      ResultCode.HANDLE_UNKNOWN,
    );
  });

  it('issues a new handle, retires the original, and the others see exactly one `replaced`', async () => {
    const { ann, bob, ja, jb, annLastSeq } = await annDropsOut();
    const s2 = await server.connect();
    const session = await s2.resume(ann.session.resumeToken);
    const info = await s2.confResume(ja.handle, annLastSeq);
    expect(info.handle).not.toBe(ja.handle);
    expect(info.handle).toBeGreaterThan(0);
    expect(info).toMatchObject({ originalHandle: ja.handle, room: 'r1', info: ja.info });
    expect(info.roster.map((p) => [p.handle, p.status])).toEqual([
      [info.handle, 'connected'],
      [jb.handle, 'connected'],
    ]);

    const replaced = await bob.client.event('replaced');
    expect(replaced).toMatchObject({
      oldHandle: ja.handle,
      participant: { handle: info.handle, userId: session.userId, name: 'Ann', status: 'connected' },
      seq: info.seq,
    });
    await bob.client.settle();
    expect(bob.client.events.map((e) => e.kind)).toEqual(['status', 'replaced']);

    // The original handle is retired: every use is refused.
    const data = { renegotiate: true } as const;
    const superseded = ResultCode.HANDLE_SUPERSEDED;
    expect((await s2.call('signal', { from: ja.handle, to: jb.handle, data })).code).toBe(superseded);
    expect((await bob.client.call('signal', { from: jb.handle, to: ja.handle, data })).code).toBe(superseded);
    expect((await s2.call('chat:send', { handle: ja.handle, id: 'x', text: 'old' })).code).toBe(superseded);
    expect((await s2.call('conf:leave', { handle: ja.handle })).code).toBe(superseded);
    expect((await s2.call('conf:resume', { handle: ja.handle, lastSeq: 0 })).code).toBe(superseded);

    // The new handle works both ways.
    ok(await s2.call('signal', { from: info.handle, to: jb.handle, data }));
    ok(await bob.client.call('signal', { from: jb.handle, to: info.handle, data }));
    expect(await s2.until(() => s2.signals[0], 'signal')).toEqual({ from: jb.handle, to: info.handle, data });
    // Nothing was left or joined; the timer is cancelled.
    server.clock.advance(RESUME_WINDOW_MS * 2);
    await bob.client.settle();
    expect(bob.client.events.map((e) => e.kind)).toEqual(['status', 'replaced']);
    expect(await server.store.members('r1')).toHaveLength(2);
  });

  it('a reply lost with its socket: the retry naming the original resumes the replacement, once more', async () => {
    const { ann, bob, ja, jb, annLastSeq } = await annDropsOut();
    // The first attempt completes on the server, but its socket dies before the client reads
    // the conf:resume reply: the client knows the rotated token, not the new handle.
    const s2 = await server.connect();
    const second = await s2.resume(ann.session.resumeToken);
    const lost = await s2.confResume(ja.handle, annLastSeq);
    s2.disconnect();
    // The retry names the only handle the client knows.
    const s3 = await server.connect();
    await s3.resume(second.resumeToken);
    const info = await s3.confResume(ja.handle, annLastSeq);
    expect(info.originalHandle).toBe(ja.handle);
    expect(info.handle).not.toBe(ja.handle);
    expect(info.handle).not.toBe(lost.handle);
    // The replay holds both replacements, so the client's roster ends on the current handle.
    const replays = info.replay.code === 0 ? info.replay.events : [];
    expect(
      replays.filter((e) => e.kind === 'replaced').map((e) => [e.oldHandle, e.participant.handle]),
    ).toEqual([
      [ja.handle, lost.handle],
      [lost.handle, info.handle],
    ]);
    await bob.client.until(
      () => bob.client.events.some((e) => e.kind === 'replaced' && e.participant.handle === info.handle),
      'second replacement',
    );
    expect(bob.client.events.some((e) => e.kind === 'left' || e.kind === 'joined')).toBe(false);
    expect((await server.store.members('r1')).map((p) => p.handle)).toEqual([info.handle, jb.handle]);
    // Asked again on the socket that holds the current handle, the original stays refused.
    expect((await s3.call('conf:resume', { handle: ja.handle, lastSeq: 0 })).code).toBe(
      ResultCode.HANDLE_SUPERSEDED,
    );
  });

  it('replays exactly the missed events, in order, once', async () => {
    const { ann, bob, jb, ja, annLastSeq } = await annDropsOut();
    expect(annLastSeq).toBe(2);
    const cy = await guest('Cy');
    await cy.client.join('r1');
    for (const id of ['m1', 'm2', 'm3'])
      ok(await bob.client.call('chat:send', { handle: jb.handle, id, text: id }));

    const s2 = await server.connect();
    await s2.resume(ann.session.resumeToken);
    const info = await s2.confResume(ja.handle, annLastSeq);
    expect(info.replay.code).toBe(0);
    const events = info.replay.code === 0 ? info.replay.events : [];
    // status (3), Cy joined (4), three chats (5–7), and the `replaced` itself (8): the replay
    // runs up to `info.seq`, and this socket does not receive those events live.
    expect(events.map((e) => e.seq)).toEqual([3, 4, 5, 6, 7, 8]);
    expect(events.map((e) => e.kind)).toEqual(['status', 'joined', 'chat', 'chat', 'chat', 'replaced']);
    expect(info.seq).toBe(8);

    ok(await bob.client.call('chat:send', { handle: jb.handle, id: 'm4', text: 'after' }));
    const live = await s2.event('chat');
    expect(live.seq).toBe(9);
    await s2.settle();
    expect(s2.events.map((e) => e.seq)).toEqual([9]);
  });

  it('says REPLAY_UNAVAILABLE, with recent chat, when the history was trimmed', async () => {
    const { ann, bob, jb, ja, annLastSeq } = await annDropsOut({ store: { maxEventsPerConference: 4 } });
    for (const id of ['m1', 'm2', 'm3', 'm4']) {
      ok(await bob.client.call('chat:send', { handle: jb.handle, id, text: id }));
    }
    const s2 = await server.connect();
    await s2.resume(ann.session.resumeToken);
    const info = await s2.confResume(ja.handle, annLastSeq);
    expect(info.replay.code).toBe(ResultCode.REPLAY_UNAVAILABLE);
    if (info.replay.code !== 0) expect(info.replay.chat.map((m) => m.text)).toEqual(['m2', 'm3', 'm4']);
    expect(info.roster).toHaveLength(2);
  });

  it('de-duplicates a chat message re-sent from the new handle after the resume', async () => {
    server = await startServer();
    const ann = await guest('Ann');
    const bob = await guest('Bob');
    const ja = await ann.client.join('r1');
    await bob.client.join('r1');
    const first = ok(await ann.client.call('chat:send', { handle: ja.handle, id: 'q1', text: 'hi' }));
    ann.client.disconnect();
    await bob.client.event('status');
    const s2 = await server.connect();
    await s2.resume(ann.session.resumeToken);
    const info = await s2.confResume(ja.handle, first.seq);
    const again = ok(await s2.call('chat:send', { handle: info.handle, id: 'q1', text: 'hi' }));
    expect(again.seq).toBe(first.seq);
    await bob.client.settle();
    expect(bob.client.events.filter((e) => e.kind === 'chat')).toHaveLength(1);
  });

  it('takes over from a socket that still looks open, and the seat is not lost', async () => {
    server = await startServer();
    const ann = await guest('Ann');
    const bob = await guest('Bob');
    const ja = await ann.client.join('r1');
    await bob.client.join('r1');
    await ann.client.until(() => ann.client.events.length === 1);
    const s2 = await server.connect();
    const oldClosed = ann.client.closedByServer();
    await s2.resume(ann.session.resumeToken);
    await oldClosed;
    const info = await s2.confResume(ja.handle, ann.client.lastSeq());
    expect(info.handle).not.toBe(ja.handle);
    await bob.client.event('replaced');
    server.clock.advance(RESUME_WINDOW_MS);
    await bob.client.settle();
    expect(bob.client.events.filter((e) => e.kind === 'left')).toEqual([]);
  });

  it('after the window: RESUME_TIMEOUT if the conference goes on, CONF_ENDED if it ended', async () => {
    const { ann, ja } = await annDropsOut();
    const s2 = await server.connect();
    const session = await s2.resume(ann.session.resumeToken); // login resumed, conference not
    server.clock.advance(RESUME_WINDOW_MS);
    await eventually(async () => (await server.store.members('r1')).length === 1);
    expect((await s2.call('conf:resume', { handle: ja.handle, lastSeq: 0 })).code).toBe(
      ResultCode.RESUME_TIMEOUT,
    );
    expect(session.userId).toBe(ann.session.userId);

    // Alone in a conference that then ends.
    const cy = await guest('Cy');
    const jc = await cy.client.join('r9');
    cy.client.disconnect();
    const s3 = await server.connect();
    await s3.resume(cy.session.resumeToken);
    server.clock.advance(RESUME_WINDOW_MS);
    await eventually(async () => (await server.store.getConference('r9')) === null);
    expect((await s3.call('conf:resume', { handle: jc.handle, lastSeq: 0 })).code).toBe(
      ResultCode.CONF_ENDED,
    );
  });
});
