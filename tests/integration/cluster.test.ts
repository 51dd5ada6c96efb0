/**
 * Several real signaling processes on one real Redis (spec §9), behind a plain TCP load
 * balancer with no sticky sessions: a meeting spread over processes; a process killed with -9
 * mid-meeting (its participant resumes on another one); one process cut off from Redis (taken
 * for dead, it drops its sockets when back and they resume); Redis itself restarted mid-meeting.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { ConfEvent } from '../../shared/src/payloads.ts';
import { ResultCode } from '../../shared/src/result-codes.ts';
import { ServerProcess, TcpBalancer, waitFor } from '../support/cluster.ts';
import { type PersistentRedis, startPersistentRedis, startRedis, type TestRedis } from '../support/redis.ts';
import { ok, TestClient } from './helpers.ts';

// Whether the suite runs depends on Redis, so it is started while the file is collected:
// without redis-server, CI fails here and a developer's run skips with the reason.
const asError = (err: unknown) => (err instanceof Error ? err : new Error(String(err)));
const shared = await startRedis().then((r): TestRedis | Error => r, asError);
// The restart test needs a Redis it owns (with persistence), even when REDIS_URL is set.
const owned = await startPersistentRedis().then((r): PersistentRedis | Error => r, asError);
if (process.env.CI === 'true') {
  for (const r of [shared, owned]) {
    if (r instanceof Error)
      throw new Error(`cluster tests need redis-server (or REDIS_URL) in CI: ${r.message}`);
  }
}

/** NODE_DEAD_AFTER_MS of every process here: the smallest the server accepts. */
const DEAD_AFTER_MS = 1_500;
/** Every key of this file starts with it (a shared REDIS_URL may hold other deployments). */
const filePrefix = `test:cluster:${randomUUID()}:`;
const newPrefix = () => `${filePrefix}${randomUUID()}:`;

let nodes: ServerProcess[] = [];
let balancers: TcpBalancer[] = [];
let clients: TestClient[] = [];

afterEach(async (ctx) => {
  // A failed test shows what its processes wrote (warnings and errors; LOG_LEVEL=warn).
  if (ctx.task.result?.state === 'fail') {
    for (const n of nodes)
      console.log(`--- ${n.options.name} (${n.nodeId}) output:\n${n.output.slice(-8_000)}`);
  }
  for (const c of clients) c.socket.disconnect();
  await Promise.all(balancers.map((b) => b.close()));
  await Promise.all(nodes.map((n) => n.dispose()));
  clients = [];
  balancers = [];
  nodes = [];
  // A test that failed while Redis was stopped leaves it running for the next one.
  if (!(owned instanceof Error) && !owned.running) await owned.start();
});

afterAll(async () => {
  if (!(shared instanceof Error)) {
    const redis = new Redis(shared.url, { maxRetriesPerRequest: 1 });
    try {
      const keys: string[] = [];
      for await (const batch of redis.scanStream({ match: `${filePrefix}*`, count: 1_000 })) {
        keys.push(...(batch as string[]));
      }
      for (let i = 0; i < keys.length; i += 1_000) await redis.del(...keys.slice(i, i + 1_000));
    } finally {
      redis.disconnect();
    }
    await shared.stop();
  }
  if (!(owned instanceof Error)) await owned.dispose();
});

/**
 * One process per Redis URL (all on one deployment: one key prefix). In parallel, unless
 * `staggered`: then one after the other, so that their heartbeats do not tick in step.
 */
async function cluster(
  redisUrls: string[],
  { staggered = false, env = {} as Record<string, string> } = {},
): Promise<ServerProcess[]> {
  const redisPrefix = newPrefix();
  const start = (redisUrl: string, i: number) =>
    ServerProcess.start({ redisUrl, redisPrefix, name: `node${i + 1}`, env }).then((n) => {
      nodes.push(n);
      return n;
    });
  if (!staggered) return Promise.all(redisUrls.map(start));
  const started: ServerProcess[] = [];
  for (const [i, url] of redisUrls.entries()) started.push(await start(url, i));
  return started;
}

async function balancer(backends: () => readonly number[]): Promise<TcpBalancer> {
  const lb = new TcpBalancer(backends);
  balancers.push(lb);
  await lb.listen();
  return lb;
}

async function connect(url: string): Promise<TestClient> {
  const client = await TestClient.connect(url);
  clients.push(client);
  return client;
}

async function guest(url: string, name: string) {
  const client = await connect(url);
  return { client, session: await client.login(name) };
}

const chat = (client: TestClient, handle: number, text: string) =>
  client.call('chat:send', { handle, id: randomUUID(), text }).then(ok);

const hasSeq = (client: TestClient, seq: number) => () => client.events.some((e) => e.seq === seq);

/** Each event once, in order, none missing: seqs from `after + 1`, consecutive. */
function expectConsecutive(events: ConfEvent[], after: number, who: string): void {
  expect(
    events.map((e) => e.seq),
    who,
  ).toEqual(Array.from({ length: events.length }, (_, i) => after + 1 + i));
}

/**
 * A chat from `from`, awaited by every client: everything sent before it (by any process) has
 * arrived, so a duplicate of an earlier event would be in the lists by now.
 */
async function barrier(from: { client: TestClient; handle: number }, everyone: TestClient[]) {
  const { seq } = await chat(from.client, from.handle, 'barrier');
  await Promise.all(everyone.map((c) => c.until(hasSeq(c, seq), `barrier ${seq}`, 5_000)));
  return seq;
}

function expectNoErrors(...processes: ServerProcess[]): void {
  for (const n of processes) expect(n.logLines(50), `${n.options.name} errors`).toEqual([]);
}

const noRedis = [shared, owned].find((r) => r instanceof Error);
const describeCluster = shared instanceof Error ? describe.skip : describe;

describeCluster(
  `several processes on one Redis${shared instanceof Error ? ` (skipped: ${shared.message})` : ''}`,
  () => {
    const redisUrl = () => (shared as TestRedis).url;

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
  },
);

const describeRedisAway = noRedis ? describe.skip : describe;

describeRedisAway(`Redis away${noRedis ? ` (skipped: ${noRedis.message})` : ''}`, () => {
  it('a process cut off from Redis alone is taken for dead; back, it drops its sockets and they resume (replaced, never left)', async () => {
    // Node 1 reaches Redis through a TCP proxy: closing it is a network cut between the two.
    const redis = owned as PersistentRedis;
    const proxy = await balancer(() => [redis.port]);
    const [n1, n2] = (await cluster([`redis://127.0.0.1:${proxy.port}`, redis.url])) as [
      ServerProcess,
      ServerProcess,
    ];
    const a = await guest(n1.url, 'Ann');
    const b = await guest(n2.url, 'Bob');
    const ja = await a.client.join('r4');
    const jb = await b.client.join('r4');
    await a.client.until(() => a.client.events.length >= 1, 'B joined');
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
    const redis = owned as PersistentRedis;
    // Staggered: when Redis is back, one of them beats first and sees the other's stale beat.
    const [n1, n2] = (await cluster([redis.url, redis.url], { staggered: true })) as [
      ServerProcess,
      ServerProcess,
    ];
    const a = await guest(n1.url, 'Ann');
    const b = await guest(n2.url, 'Bob');
    const ja = await a.client.join('r3');
    const jb = await b.client.join('r3');
    await a.client.until(() => a.client.events.length >= 1, 'B joined');
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
