/**
 * Several real signaling processes on one real Redis (spec §9), behind a plain TCP load
 * balancer with no sticky sessions: a meeting spread over processes; a process killed with -9
 * mid-meeting (its participant resumes on another one). Redis or a process's link to it going
 * away: `cluster-redis-away.test.ts`.
 */
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import type { ConfEvent } from '../../shared/src/payloads.ts';
import type { ServerProcess } from '../support/cluster.ts';
import { requireRedis, startRedis } from '../support/redis.ts';
import {
  barrier,
  chat,
  DEAD_AFTER_MS,
  expectConsecutive,
  expectNoErrors,
  hasSeq,
  useCluster,
} from './cluster-harness.ts';
import { ok, type TestClient } from './helpers.ts';

const shared = await requireRedis('cluster.test.ts', startRedis);
const { cluster, balancer, connect, guest } = useCluster({ shared });

describe('several processes on one Redis', () => {
  const redisUrl = () => shared.url;

  it('chats sent at once from two processes reach everyone on both in seq order, each once', async () => {
    // 100 chats at once per sender: past the default chat burst (30) on purpose.
    const [n1, n2] = (await cluster([redisUrl(), redisUrl()], {
      env: { QUOTA_CHAT_BURST: '1000' },
    })) as [ServerProcess, ServerProcess];
    const people = await Promise.all(
      ['Ann', 'Bob', 'Cy', 'Dee'].map((name, i) => guest(i % 2 ? n2.url : n1.url, name)),
    );
    const joins = [];
    for (const p of people) joins.push(await p.client.join('race'));
    const [a, b] = people as [(typeof people)[0], (typeof people)[0]];
    const [ja, jb] = joins as [(typeof joins)[0], (typeof joins)[0]];
    // 100 chats each from node 1 (Ann) and node 2 (Bob), interleaved, none awaited first.
    await Promise.all(
      Array.from({ length: 100 }, (_, i) => [
        chat(a.client, ja.handle, `a${i}`),
        chat(b.client, jb.handle, `b${i}`),
      ]).flat(),
    );
    await barrier(
      { client: a.client, handle: ja.handle },
      people.map((p) => p.client),
    );
    for (const [i, p] of people.entries()) {
      const chats = p.client.events.filter((e) => e.kind === 'chat');
      expect(chats, p.session.name).toHaveLength(201);
      expectConsecutive(p.client.events, joins[i]?.seq ?? 0, p.session.name);
    }
    expectNoErrors(n1, n2);
  });

  it('two processes: one meeting, one roster, chat once with one seq, signal relayed both ways, left seen across', async () => {
    const [n1, n2] = (await cluster([redisUrl(), redisUrl()])) as [ServerProcess, ServerProcess];
    // Clients know only the balancer; round-robin puts A and C on node 1, B on node 2.
    const lb = await balancer(() => [n1.port, n2.port]);
    const a = await guest(lb.url, 'Ann');
    const b = await guest(lb.url, 'Bob');
    const c = await guest(lb.url, 'Cy');
    expect(lb.routes).toEqual([n1.port, n2.port, n1.port]);

    const ja = await a.client.join('r1');
    const jb = await b.client.join('r1');
    const jc = await c.client.join('r1');
    await a.client.until(() => a.client.events.length >= 2, 'B and C joined (seen by A)');
    await b.client.until(() => b.client.events.length >= 1, 'C joined (seen by B)');

    // One roster: C's from its join; A's and B's from theirs plus the `joined` events since.
    const rosterSeen = (join: typeof ja, events: ConfEvent[]) => [
      ...join.roster.map((p) => [p.name, p.handle]),
      ...events.flatMap((e) => (e.kind === 'joined' ? [[e.participant.name, e.participant.handle]] : [])),
    ];
    const expected = [
      ['Ann', ja.handle],
      ['Bob', jb.handle],
      ['Cy', jc.handle],
    ];
    expect(rosterSeen(ja, a.client.events)).toEqual(expected);
    expect(rosterSeen(jb, b.client.events)).toEqual(expected);
    expect(rosterSeen(jc, c.client.events)).toEqual(expected);
    expect(new Set([ja.handle, jb.handle, jc.handle]).size).toBe(3);

    // A chat from node 1 reaches node 2 (B) and node 1 (C), with the seq A's ack gave.
    const sent = await chat(a.client, ja.handle, 'hello from node 1');
    for (const x of [b.client, c.client]) {
      const got = await x.until(
        () => x.events.find((e) => e.kind === 'chat' && e.message.text === 'hello from node 1'),
        'A chat',
      );
      expect(got.seq).toBe(sent.seq);
    }

    // An offer from A (node 1) to B (node 2), B's answer back.
    const offer = { type: 'offer' as const, sdp: 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\n' };
    ok(await a.client.call('signal', { from: ja.handle, to: jb.handle, data: offer }));
    await b.client.until(() => b.client.signals.length > 0, 'offer at B');
    const answer = { type: 'answer' as const, sdp: 'v=0\r\no=- 3 4 IN IP4 127.0.0.1\r\n' };
    ok(await b.client.call('signal', { from: jb.handle, to: ja.handle, data: answer }));
    await a.client.until(() => a.client.signals.length > 0, 'answer at A');

    // B leaves: A and C (node 1) see it.
    ok(await b.client.call('conf:leave', { handle: jb.handle }));
    for (const x of [a.client, c.client]) {
      expect(await x.event('left')).toMatchObject({ handle: jb.handle, reason: 'left' });
    }

    await barrier({ client: c.client, handle: jc.handle }, [a.client, c.client]);
    // Exactly once, in order, nothing missing, for everyone.
    expectConsecutive(a.client.events, ja.seq, 'A');
    expectConsecutive(b.client.events, jb.seq, 'B');
    expectConsecutive(c.client.events, jc.seq, 'C');
    const chats = (x: TestClient) => x.events.filter((e) => e.kind === 'chat' && e.seq === sent.seq);
    expect(chats(b.client)).toHaveLength(1);
    expect(chats(c.client)).toHaveLength(1);
    expect(b.client.signals).toEqual([{ from: ja.handle, to: jb.handle, data: offer }]);
    expect(a.client.signals).toEqual([{ from: jb.handle, to: ja.handle, data: answer }]);
    expect(c.client.signals).toEqual([]);
    expectNoErrors(n1, n2);
  });

  it('kill -9 of the process serving A: seat held by a survivor, A resumes through the balancer on the other process, the restarted process serves a newcomer', async () => {
    const [n1, n2] = (await cluster([redisUrl(), redisUrl()])) as [ServerProcess, ServerProcess];
    const lb = await balancer(() => [n1.port, n2.port]);
    const a = await guest(n1.url, 'Ann');
    const b = await guest(n2.url, 'Bob');
    const c = await guest(n2.url, 'Cy');
    const ja = await a.client.join('r2');
    const jb = await b.client.join('r2');
    const jc = await c.client.join('r2');
    await a.client.until(() => a.client.events.length >= 2, 'B and C joined');
    await b.client.until(() => b.client.events.length >= 1, 'C joined');
    const aLastSeq = a.client.lastSeq();
    const [bFrom, cFrom] = [b.client.events.length, c.client.events.length];

    const killedAt = Date.now();
    const closed = a.client.closedByServer();
    await n1.kill('SIGKILL');
    await closed;
    // Nobody knows yet: this one is missed by A while its seat still looks served.
    const m1 = await chat(b.client, jb.handle, 'one');
    const status = await b.client.until(
      () => b.client.events.find((e) => e.kind === 'status' && e.handle === ja.handle),
      'A reconnecting',
      DEAD_AFTER_MS + 1_500,
    );
    const noticedMs = Date.now() - killedAt;
    expect(status).toMatchObject({ status: 'reconnecting' });
    expect(noticedMs).toBeLessThan(DEAD_AFTER_MS + 1_500);
    const m2 = await chat(b.client, jb.handle, 'two');
    const m3 = await chat(b.client, jb.handle, 'three');
    expect([m1.seq, status.seq, m2.seq, m3.seq]).toEqual([
      aLastSeq + 1,
      aLastSeq + 2,
      aLastSeq + 3,
      aLastSeq + 4,
    ]);

    // A's client comes back through the balancer: node 1 refuses, node 2 takes it.
    const a2 = await connect(lb.url);
    expect(lb.routes).toEqual([n2.port]);
    expect(lb.failovers).toBe(1);
    const session = await a2.resume(a.session.resumeToken);
    expect(session.userId).toBe(a.session.userId);
    expect(session.resumeToken).not.toBe(a.session.resumeToken);
    const info = await a2.confResume(ja.handle, aLastSeq);
    expect(info.handle).not.toBe(ja.handle);
    expect(info.originalHandle).toBe(ja.handle);
    expect(info.replay.code).toBe(0);
    const replay = info.replay.code === 0 ? info.replay.events : [];
    // Exactly what A missed, once, in order: B's chats, its own `reconnecting`, its replacement.
    expect(replay.map((e) => [e.seq, e.kind, e.kind === 'chat' ? e.message.text : null])).toEqual([
      [m1.seq, 'chat', 'one'],
      [status.seq, 'status', null],
      [m2.seq, 'chat', 'two'],
      [m3.seq, 'chat', 'three'],
      [info.seq, 'replaced', null],
    ]);
    expect(replay.at(-1)).toMatchObject({ oldHandle: ja.handle, participant: { handle: info.handle } });

    // B and C: one `replaced`, no left, no joined of A; the same events as A's replay.
    for (const [who, x, from] of [
      ['B', b.client, bFrom],
      ['C', c.client, cFrom],
    ] as const) {
      await x.until(hasSeq(x, info.seq), `replaced at ${who}`);
      const seen = x.events.slice(from);
      expect(seen, who).toEqual(replay);
      expect(seen.filter((e) => e.kind === 'replaced')).toHaveLength(1);
      expect(seen.filter((e) => e.kind === 'left' || e.kind === 'joined')).toEqual([]);
    }
    // The session and the new handle are served by node 2 now.
    const redis = new Redis(redisUrl(), { maxRetriesPerRequest: 1 });
    try {
      const prefix = n2.options.redisPrefix;
      expect(await redis.hget(`${prefix}session:${a.session.userId}`, 'socketId')).toMatch(
        new RegExp(`^${n2.nodeId}/`),
      );
      expect(await redis.hget(`${prefix}handle:${info.handle}`, 'originalHandle')).toBe(String(ja.handle));
      expect(await redis.hget(`${prefix}handle:${ja.handle}`, 'state')).toBe('retired');
    } finally {
      redis.disconnect();
    }

    // Node 1 comes back on its port: a newcomer there sees everyone, and chat crosses both ways.
    const port = n1.port;
    await n1.restart();
    expect(n1.port).toBe(port);
    expect((await n1.health()).status).toBe(200);
    const d = await guest(n1.url, 'Dee');
    const jd = await d.client.join('r2');
    expect(jd.roster.map((p) => [p.name, p.handle, p.status])).toEqual([
      ['Ann', info.handle, 'connected'],
      ['Bob', jb.handle, 'connected'],
      ['Cy', jc.handle, 'connected'],
      ['Dee', jd.handle, 'connected'],
    ]);
    const fromD = await chat(d.client, jd.handle, 'hello from the restarted node');
    const fromA = await chat(a2, info.handle, 'welcome back');
    await barrier({ client: b.client, handle: jb.handle }, [a2, b.client, c.client, d.client]);
    for (const x of [a2, b.client, c.client]) {
      expect(x.events.filter((e) => e.seq === fromD.seq && e.kind === 'chat')).toHaveLength(1);
    }
    expect(d.client.events.filter((e) => e.seq === fromA.seq && e.kind === 'chat')).toHaveLength(1);

    // Nothing lost or doubled anywhere: A's history is its live events, the replay, then live again.
    expectConsecutive([...a.client.events, ...replay, ...a2.events], ja.seq, 'A');
    expectConsecutive(b.client.events, jb.seq, 'B');
    expectConsecutive(c.client.events, jc.seq, 'C');
    expectConsecutive(d.client.events, jd.seq, 'D');
    expectNoErrors(n1, n2);
    console.log(
      `cluster: kill -9 noticed by the survivor after ${noticedMs} ms (NODE_DEAD_AFTER_MS ${DEAD_AFTER_MS})`,
    );
  });
});
