/**
 * `App.releaseNode`, in-process: two signaling servers share one store and one clock, as two
 * processes share one Redis. X "dies" (its sockets stay open, but nobody tells Y), and Y holds
 * the seats and detaches the sessions X served, exactly as if each of X's sockets had dropped.
 * The in-memory adapter is per server, so only the store and what Y emits to its own sockets
 * are observed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ResultCode } from '../../../shared/src/result-codes.ts';
import { RESUME_WINDOW_MS } from '../../../shared/src/timing.ts';
import { ManualClock } from '../../../signaling-server/src/clock.ts';
import { defaultConfig } from '../../../signaling-server/src/config.ts';
import { localCoordination } from '../../../signaling-server/src/coordination.ts';
import { createLogger } from '../../../signaling-server/src/logger.ts';
import { createSignalingServer, type SignalingServer } from '../../../signaling-server/src/server.ts';
import { MemoryStore } from '../../../signaling-server/src/store/memory-store.ts';
import { eventually, TestClient } from '../../integration/helpers.ts';

const cleanup: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

/** Two servers ("processes") on one MemoryStore and one ManualClock, each with its own coordination. */
async function twoProcesses() {
  const clock = new ManualClock();
  const store = new MemoryStore({ clock });
  const staticDir = mkdtempSync(join(tmpdir(), 'meeting-static-'));
  cleanup.push(() => rmSync(staticDir, { recursive: true, force: true }));
  // Two servers in one process: each takes a free metrics port.
  const config = defaultConfig({ staticDir, metrics: { port: 0, host: '127.0.0.1' } });
  const logger = createLogger('silent');
  const start = async () => {
    const coordination = localCoordination(clock, config.rateLimit.windowMs);
    const server: SignalingServer = createSignalingServer({ config, store, clock, logger, coordination });
    const { port } = await server.listen(0, '127.0.0.1');
    cleanup.push(() => server.close());
    return { server, nodeId: coordination.nodeId, url: `http://127.0.0.1:${port}` };
  };
  const x = await start();
  const y = await start();
  const connect = async (url: string) => {
    const client = await TestClient.connect(url);
    cleanup.push(() => void client.socket.disconnect());
    return client;
  };
  // Ann on X, Bob on Y, both in r1.
  const ann = await connect(x.url);
  const sa = await ann.login('Ann');
  const ja = await ann.join('r1');
  const bob = await connect(y.url);
  const sb = await bob.login('Bob');
  const jb = await bob.join('r1');
  expect(await store.usersOnNode(x.nodeId)).toEqual([sa.userId]);
  expect(await store.usersOnNode(y.nodeId)).toEqual([sb.userId]);
  return { clock, store, x, y, connect, ann, sa, ja, bob, sb, jb };
}

const onNode = (nodeId: string) => expect.stringMatching(new RegExp(`^${nodeId}/`));

describe('releaseNode: a survivor takes over for a process that died', () => {
  it("holds the dead process's seats and detaches its sessions; the participant resumes on the survivor", async () => {
    const { clock, store, x, y, connect, sa, ja, bob, sb, jb } = await twoProcesses();
    const before = await store.lastSeq('r1');

    await y.server.app.releaseNode(x.nodeId);

    // Ann's seat is held (unbound, reconnecting) and her session detached with the 60 s window.
    expect((await store.members('r1')).map((p) => [p.handle, p.status])).toEqual([
      [ja.handle, 'reconnecting'],
      [jb.handle, 'connected'],
    ]);
    expect(await store.getHandle(ja.handle)).toMatchObject({ state: 'live', socketId: null });
    expect(await store.getSession(sa.userId)).toMatchObject({
      socketId: null,
      expiresAt: clock.now() + RESUME_WINDOW_MS,
    });
    // One `status` event in the log, which Y's own socket (Bob) receives.
    const logged = await store.eventsSince('r1', before);
    expect(logged).toEqual([
      expect.objectContaining({ seq: before + 1, kind: 'status', handle: ja.handle, status: 'reconnecting' }),
    ]);
    expect(await bob.event('status')).toEqual(logged?.[0]);
    // Bob, served by Y, is untouched.
    expect(await store.getHandle(jb.handle)).toMatchObject({ state: 'live', socketId: onNode(y.nodeId) });
    expect(await store.getSession(sb.userId)).toMatchObject({ socketId: onNode(y.nodeId), expiresAt: null });
    // Claiming the same process twice changes nothing.
    await y.server.app.releaseNode(x.nodeId);
    expect(await store.lastSeq('r1')).toBe(before + 1);
    expect(await store.usersOnNode(x.nodeId)).toEqual([]);

    // Ann comes back on Y, 1 ms before the window closes.
    clock.advance(RESUME_WINDOW_MS - 1);
    const ann2 = await connect(y.url);
    const resumed = await ann2.resume(sa.resumeToken);
    expect(resumed.userId).toBe(sa.userId);
    const info = await ann2.confResume(ja.handle, ja.seq);
    expect(info.handle).not.toBe(ja.handle);
    expect(info.originalHandle).toBe(ja.handle);
    expect(info.replay.code).toBe(0);
    const replay = info.replay.code === 0 ? info.replay.events : [];
    // What Ann missed since her join: Bob's join, her own `reconnecting`, her replacement.
    expect(replay.map((e) => [e.seq, e.kind])).toEqual([
      [jb.seq, 'joined'],
      [before + 1, 'status'],
      [info.seq, 'replaced'],
    ]);
    expect(await store.getHandle(info.handle)).toMatchObject({
      state: 'live',
      originalHandle: ja.handle,
      socketId: onNode(y.nodeId),
    });
    expect(await store.getHandle(ja.handle)).toMatchObject({ state: 'retired' });
    expect(await store.getSession(sa.userId)).toMatchObject({ socketId: onNode(y.nodeId), expiresAt: null });
    expect(await bob.event('replaced')).toMatchObject({
      oldHandle: ja.handle,
      participant: { handle: info.handle, status: 'connected' },
    });

    // The held seat's deadline was cancelled: past the window, nothing is released.
    clock.advance(RESUME_WINDOW_MS);
    await bob.settle();
    expect(bob.events.map((e) => e.kind)).toEqual(['status', 'replaced']);
    expect((await store.members('r1')).map((p) => [p.handle, p.status])).toEqual([
      [info.handle, 'connected'],
      [jb.handle, 'connected'],
    ]);
  });

  it('without a resume, the seat is released (`left` timeout) and the session expires at 60 000 ms; others untouched', async () => {
    const { clock, store, x, y, connect, sa, ja, bob, sb, jb } = await twoProcesses();

    await y.server.app.releaseNode(x.nodeId);
    await bob.event('status');

    clock.advance(RESUME_WINDOW_MS - 1);
    await bob.settle();
    expect(bob.events.map((e) => e.kind)).toEqual(['status']);
    expect(await store.members('r1')).toHaveLength(2);
    expect(await store.getSession(sa.userId)).not.toBeNull();

    clock.advance(1);
    expect(await bob.event('left')).toMatchObject({ handle: ja.handle, reason: 'timeout' });
    await eventually(async () => (await store.getSession(sa.userId)) === null);
    expect((await store.getHandle(ja.handle))?.state ?? 'forgotten').not.toBe('live');
    expect((await store.members('r1')).map((p) => [p.handle, p.status])).toEqual([[jb.handle, 'connected']]);
    const late = await connect(y.url);
    expect((await late.call('resume', { token: sa.resumeToken })).code).toBe(
      ResultCode.RESUME_TOKEN_REJECTED,
    );

    // Bob: one `status`, one `left`, and still served by Y, session attached.
    await bob.settle();
    expect(bob.events.map((e) => e.kind)).toEqual(['status', 'left']);
    expect(await store.getHandle(jb.handle)).toMatchObject({ state: 'live', socketId: onNode(y.nodeId) });
    expect(await store.getSession(sb.userId)).toMatchObject({ socketId: onNode(y.nodeId), expiresAt: null });
    expect(await store.getConference('r1')).not.toBeNull();
  });
});
