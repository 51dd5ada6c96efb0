/**
 * Several real signaling processes when Redis goes away (spec §9): one process cut off from Redis
 * (taken for dead, it drops its sockets when back and they resume); Redis itself restarted
 * mid-meeting. The processes and the balancer: `cluster.test.ts`.
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { ResultCode } from '../../shared/src/result-codes.ts';
import { type ServerProcess, waitFor } from '../support/cluster.ts';
import { requireRedis, startPersistentRedis } from '../support/redis.ts';
import { barrier, chat, DEAD_AFTER_MS, expectConsecutive, hasSeq, useCluster } from './cluster-harness.ts';

// The restart test needs a Redis it owns (with persistence), even when REDIS_URL is set.
const owned = await requireRedis('cluster-redis-away.test.ts', startPersistentRedis);
const { cluster, balancer, connect, guest } = useCluster({ owned });

/** Ann on node 1 and Bob on node 2, both in `room`, Ann having seen Bob join. */
async function annAndBob(n1: ServerProcess, n2: ServerProcess, room: string) {
  const a = await guest(n1.url, 'Ann');
  const b = await guest(n2.url, 'Bob');
  const ja = await a.client.join(room);
  const jb = await b.client.join(room);
  await a.client.until(() => a.client.events.length >= 1, 'B joined');
  return { a, b, ja, jb };
}

describe('Redis away', () => {
  it('a process cut off from Redis alone is taken for dead; back, it drops its sockets and they resume (replaced, never left)', async () => {
    // Node 1 reaches Redis through a TCP proxy: closing it is a network cut between the two.
    const redis = owned;
    const proxy = await balancer(() => [redis.port]);
    const [n1, n2] = (await cluster([`redis://127.0.0.1:${proxy.port}`, redis.url])) as [
      ServerProcess,
      ServerProcess,
    ];
    const { a, b, ja, jb } = await annAndBob(n1, n2, 'r4');
    const bFrom = b.client.events.length;

    await proxy.close();
    const status = await b.client.until(
      () => b.client.events.find((e) => e.kind === 'status' && e.handle === ja.handle),
      'A reconnecting (node 1 taken for dead)',
      DEAD_AFTER_MS + 1_500,
    );
    expect(status).toMatchObject({ status: 'reconnecting' });
    // A's socket never dropped: only node 1's Redis link did.
    expect(a.client.socket.connected).toBe(true);

    const repairedAt = Date.now();
    const dropped = a.client.closedByServer();
    await proxy.listen();
    // Node 1 reconnects (backoff ≤ 2 s), beats, finds itself claimed and drops its sockets.
    const reason = await Promise.race([
      dropped,
      new Promise<string>((resolve) => setTimeout(() => resolve('still connected'), 5_000)),
    ]);
    expect(reason).toBe('io server disconnect');
    const fencedMs = Date.now() - repairedAt;

    const lastSeq = a.client.lastSeq();
    const a2 = await connect(n2.url);
    await a2.resume(a.session.resumeToken);
    const info = await a2.confResume(ja.handle, lastSeq);
    expect(info.originalHandle).toBe(ja.handle);
    await b.client.until(hasSeq(b.client, info.seq), 'replaced');
    await barrier({ client: b.client, handle: jb.handle }, [a2, b.client]);
    const seen = b.client.events.slice(bFrom);
    expect(seen.map((e) => e.kind)).toEqual(['status', 'replaced', 'chat']);
    expect(seen[1]).toMatchObject({ oldHandle: ja.handle, participant: { handle: info.handle } });
    expect(info.roster.map((p) => [p.name, p.handle, p.status])).toEqual([
      ['Ann', info.handle, 'connected'],
      ['Bob', jb.handle, 'connected'],
    ]);
    const replay = info.replay.code === 0 ? info.replay.events : [];
    expectConsecutive([...a.client.events, ...replay, ...a2.events], ja.seq, 'A');
    expectConsecutive(b.client.events, jb.seq, 'B');
    console.log(
      `cluster: a process cut off from Redis dropped its sockets ${fencedMs} ms after the link was back`,
    );
  });

  it('restarted during a meeting: fails fast while away, recovers on its own, nothing lost or falsely held', async () => {
    const redis = owned;
    // Staggered: when Redis is back, one of them beats first and sees the other's stale beat.
    const [n1, n2] = (await cluster([redis.url, redis.url], { staggered: true })) as [
      ServerProcess,
      ServerProcess,
    ];
    const { a, b, ja, jb } = await annAndBob(n1, n2, 'r3');
    const before = await chat(a.client, ja.handle, 'before');
    await b.client.until(hasSeq(b.client, before.seq), 'chat before');
    const [aFrom, bFrom] = [a.client.events.length, b.client.events.length];

    await redis.stop();
    const t0 = Date.now();
    const during = await a.client.call('chat:send', { handle: ja.handle, id: 'during', text: 'during' });
    const failedInMs = Date.now() - t0;
    expect(during.code).toBe(ResultCode.SERVER_UNAVAILABLE);
    expect(failedInMs).toBeLessThan(1_000);
    for (const n of [n1, n2]) {
      await waitFor(async () => (await n.health()).status === 503, `${n.options.name} /healthz 503`, 1_000);
    }
    // A real restart (reloading the AOF) takes seconds: longer than NODE_DEAD_AFTER_MS, so every
    // process's heartbeat is stale when Redis comes back. That must not make anyone "dead".
    await new Promise((resolve) => setTimeout(resolve, DEAD_AFTER_MS + 500));
    const downMs = Date.now() - t0;

    await redis.start();
    const back = Date.now();
    const noticed = await Promise.all(
      [n1, n2].map((n) =>
        waitFor(
          async () => (await n.health()).status === 200 && Date.now() - back,
          `${n.options.name} /healthz 200`,
          8_000,
        ),
      ),
    );
    console.log(
      `cluster: Redis down ${downMs} ms; chat refused in ${failedInMs} ms; /healthz 200 again after ${noticed.join(' / ')} ms`,
    );

    // Both have beaten a full beat after both were back: whichever beat first and found the
    // other's beat stale had its chance to take it for dead (it must not have).
    const healthyAt = Date.now();
    const probe = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    const prefix = n1.options.redisPrefix;
    try {
      await waitFor(
        async () =>
          (await probe.zmscore(`${prefix}nodes`, n1.nodeId, n2.nodeId)).every(
            (score) => score !== null && Number(score) >= healthyAt + 1_000,
          ),
        'both processes beating again',
        5_000,
      );
      // Both seats are still served by their sockets, and shown connected.
      for (const [handle, node] of [
        [ja.handle, n1],
        [jb.handle, n2],
      ] as const) {
        expect(await probe.hget(`${prefix}handle:${handle}`, 'socketId'), `handle ${handle} served`).toEqual(
          expect.stringMatching(new RegExp(`^${node.nodeId}/`)),
        );
        const member = JSON.parse((await probe.hget(`${prefix}member-data:r3`, String(handle))) ?? '{}');
        expect(member).toMatchObject({ status: 'connected' });
      }
      expect(a.client.socket.connected && b.client.socket.connected).toBe(true);
    } finally {
      probe.disconnect();
    }

    const after = await chat(a.client, ja.handle, 'after');
    await b.client.until(hasSeq(b.client, after.seq), 'chat after the restart', 5_000);
    // Nothing but that chat since the outage began, on either side.
    expect(b.client.events.slice(bFrom).map((e) => e.kind)).toEqual(['chat']);
    expect(a.client.events.slice(aFrom).map((e) => e.kind)).toEqual(['chat']);

    // A's socket drops; A resumes on the other process.
    const aLastSeq = a.client.lastSeq();
    a.client.disconnect();
    await b.client.until(
      () => b.client.events.some((e) => e.kind === 'status' && e.handle === ja.handle),
      'A reconnecting',
    );
    const a2 = await connect(n2.url);
    await a2.resume(a.session.resumeToken);
    const info = await a2.confResume(ja.handle, aLastSeq);
    expect(info.originalHandle).toBe(ja.handle);
    expect(info.handle).not.toBe(ja.handle);
    await b.client.until(hasSeq(b.client, info.seq), 'replaced');
    expect(info.roster.map((p) => [p.name, p.handle, p.status])).toEqual([
      ['Ann', info.handle, 'connected'],
      ['Bob', jb.handle, 'connected'],
    ]);

    // B saw the chat once, then A's drop and replacement: no participant was taken for gone
    // because of the outage (no `status` but A's own drop, no left/joined).
    const seenB = b.client.events.slice(bFrom);
    expect(seenB.map((e) => [e.kind, e.kind === 'status' ? e.handle : null])).toEqual([
      ['chat', null],
      ['status', ja.handle],
      ['replaced', null],
    ]);
    expect(seenB[2]).toMatchObject({ oldHandle: ja.handle, participant: { handle: info.handle } });
    expect(a.client.events.slice(aFrom).map((e) => e.kind)).toEqual(['chat']);
    const replay = info.replay.code === 0 ? info.replay.events : [];
    expectConsecutive([...a.client.events, ...replay, ...a2.events], ja.seq, 'A');
    expectConsecutive(b.client.events, jb.seq, 'B');
  });
});
