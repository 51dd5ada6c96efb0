import type { Redis } from 'ioredis';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../signaling-server/src/clock.ts';
import { RedisStore } from '../../../signaling-server/src/store/redis-store.ts';
import { describeWithRedis } from '../../support/redis-suite.ts';
import { describeStore } from './store-suite.ts';

await describeWithRedis('RedisStore', ({ connect, prefix }) => {
  let redis: Redis;

  beforeAll(() => {
    redis = connect();
  });

  describeStore(
    'RedisStore',
    (clock, { maxEvents, maxEventBytes }) =>
      new RedisStore(redis, {
        clock,
        keyPrefix: prefix(),
        maxEventsPerConference: maxEvents,
        maxEventBytesPerConference: maxEventBytes,
      }),
  );

  describe('RedisStore across processes (two nodes, one Redis)', () => {
    let clock: ManualClock;
    let nodeA: RedisStore;
    let nodeB: RedisStore;

    beforeEach(() => {
      clock = new ManualClock();
      const keyPrefix = prefix();
      // Separate connections, as two server processes would have.
      nodeA = new RedisStore(redis, { clock, keyPrefix });
      nodeB = new RedisStore(connect(), { clock, keyPrefix });
    });

    it('both see the same sessions, handles, members and events', async () => {
      await nodeA.createSession({ userId: 'u1', name: 'Ann', tokenHash: 'h1', socketId: 'sA' });
      await nodeA.detachSession('u1', clock.now() + 60_000);
      expect(await nodeB.getSession('u1')).toEqual({
        userId: 'u1',
        name: 'Ann',
        tokenHash: 'h1',
        socketId: null,
        expiresAt: clock.now() + 60_000,
      });
      // A resume landing on the other process.
      expect(await nodeB.takeToken('h1')).toMatchObject({ userId: 'u1', tokenHash: 'h1' });
      await nodeB.attachSession('u1', 'sB');
      await nodeB.setToken('u1', 'h2');
      expect(await nodeA.getSession('u1')).toMatchObject({
        socketId: 'sB',
        tokenHash: 'h2',
        expiresAt: null,
      });
      expect(await nodeA.takeToken('h1')).toBeNull();

      const h = await nodeA.allocateHandle('u1', 'r1', 'sA');
      await nodeB.bindHandle(h, 'sB');
      expect(await nodeA.getHandle(h)).toMatchObject({ handle: h, userId: 'u1', room: 'r1', socketId: 'sB' });
      expect((await nodeB.handlesOf('u1')).map((r) => r.handle)).toEqual([h]);

      const conf = await nodeA.openConference('r1');
      expect(await nodeB.openConference('r1')).toEqual(conf);
      await nodeA.addMember('r1', { handle: h, userId: 'u1', name: 'Ann', status: 'connected' });
      await nodeB.setMemberStatus('r1', h, 'reconnecting');
      expect(await nodeA.members('r1')).toEqual([
        { handle: h, userId: 'u1', name: 'Ann', status: 'reconnecting' },
      ]);

      const at = clock.now();
      const e1 = await nodeA.appendEvent('r1', {
        kind: 'status',
        room: 'r1',
        at,
        handle: h,
        status: 'reconnecting',
      });
      const e2 = await nodeB.appendEvent('r1', {
        kind: 'left',
        room: 'r1',
        at,
        handle: h,
        reason: 'timeout',
      });
      expect([e1.seq, e2.seq]).toEqual([1, 2]);
      expect(await nodeA.eventsSince('r1', 0)).toEqual([e1, e2]);
      expect(await nodeB.lastSeq('r1')).toBe(2);
      await nodeA.recordChat('r1', 'u1', 'm1', 2);
      expect(await nodeB.chatSeq('r1', 'u1', 'm1')).toBe(2);
    });

    it('gives one token to exactly one of 100 parallel takes from two nodes', async () => {
      await nodeA.createSession({ userId: 'u1', name: 'Ann', tokenHash: 'h1', socketId: 'sA' });
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) => (i % 2 === 0 ? nodeA : nodeB).takeToken('h1')),
      );
      expect(results.filter((r) => r !== null)).toHaveLength(1);
      expect((await nodeB.getSession('u1'))?.tokenHash).toBeNull();
    });

    it('never hands out the same handle on two nodes (1 000 each, in parallel)', async () => {
      const [a, b] = await Promise.all(
        [nodeA, nodeB].map((node, n) =>
          Promise.all(
            Array.from({ length: 1_000 }, (_, i) => node.allocateHandle(`u${n}-${i % 7}`, 'r', 's')),
          ),
        ),
      );
      const all = new Set([...a, ...b]);
      expect(all.size).toBe(2_000);
      for (const h of all) expect(h >= 1 && h <= 0xffff_ffff && Number.isInteger(h)).toBe(true);
    });

    it('numbers events appended concurrently from two nodes 1…n without gaps, trimmed to the cap', async () => {
      const keyPrefix = prefix();
      const a = new RedisStore(redis, { clock, keyPrefix, maxEventsPerConference: 50 });
      const b = new RedisStore(connect(), { clock, keyPrefix, maxEventsPerConference: 50 });
      await Promise.all([a.openConference('r'), b.openConference('r')]);
      const events = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          (i % 2 === 0 ? a : b).appendEvent('r', {
            kind: 'status',
            room: 'r',
            at: i,
            handle: 1,
            status: 'connected',
          }),
        ),
      );
      expect(events.map((e) => e.seq).sort((x, y) => x - y)).toEqual(
        Array.from({ length: 200 }, (_, i) => i + 1),
      );
      expect((await b.eventsSince('r', 150))?.map((e) => e.seq)).toEqual(
        Array.from({ length: 50 }, (_, i) => 151 + i),
      );
      expect(await a.eventsSince('r', 149)).toBeNull();
      expect(await a.eventsSince('r', 200)).toEqual([]);
    });
  });

  describe('RedisStore specifics', () => {
    let clock: ManualClock;
    let keyPrefix: string;
    let store: RedisStore;

    beforeEach(() => {
      clock = new ManualClock();
      keyPrefix = prefix();
      store = new RedisStore(redis, {
        clock,
        keyPrefix,
        maxEventsPerConference: 1_000,
        maxChatIdsPerConference: 3,
      });
    });

    it('finds recent chat across many non-chat events (XREVRANGE in batches)', async () => {
      await store.openConference('r');
      const at = clock.now();
      const chat = (id: string) => ({
        kind: 'chat' as const,
        room: 'r',
        at,
        message: { id, from: 1, name: 'n', text: id, at },
      });
      await store.appendEvent('r', chat('old'));
      for (let i = 0; i < 250; i++) {
        await store.appendEvent('r', { kind: 'status', room: 'r', at, handle: 1, status: 'connected' });
      }
      await store.appendEvent('r', chat('new'));
      expect((await store.recentChat('r', 10)).map((m) => m.id)).toEqual(['old', 'new']);
      expect((await store.recentChat('r', 1)).map((m) => m.id)).toEqual(['new']);
      expect(await store.recentChat('r', 0)).toEqual([]);
    });

    it('forgets the oldest chat ids past the cap; re-recording keeps the place', async () => {
      await store.openConference('r');
      await store.recordChat('r', 'u', 'a', 1);
      await store.recordChat('r', 'u', 'b', 2);
      await store.recordChat('r', 'u', 'c', 3);
      await store.recordChat('r', 'u', 'a', 4);
      await store.recordChat('r', 'u', 'd', 5);
      expect(await store.chatSeq('r', 'u', 'a')).toBeNull();
      expect(await store.chatSeq('r', 'u', 'b')).toBe(2);
      expect(await store.chatSeq('r', 'u', 'd')).toBe(5);
    });

    it('keeps members intact through a status change (unicode, large handles)', async () => {
      await store.openConference('r');
      const p = { handle: 0xffff_fffe, userId: 'ü/1', name: 'Zoë "Z" 李', status: 'connected' as const };
      await store.addMember('r', p);
      await store.setMemberStatus('r', p.handle, 'reconnecting');
      expect(await store.members('r')).toEqual([{ ...p, status: 'reconnecting' }]);
    });

    it('refuses members and events for a conference that does not exist', async () => {
      await expect(
        store.addMember('nope', { handle: 1, userId: 'u', name: 'n', status: 'connected' }),
      ).rejects.toThrow(/no conference nope/);
      await expect(
        store.appendEvent('nope', { kind: 'status', room: 'nope', at: 0, handle: 1, status: 'connected' }),
      ).rejects.toThrow(/no conference nope/);
      expect(await store.getConference('nope')).toBeNull();
    });

    it('reloads its scripts after SCRIPT FLUSH', async () => {
      await store.openConference('r');
      await redis.script('FLUSH');
      expect(
        (await store.appendEvent('r', { kind: 'status', room: 'r', at: 0, handle: 1, status: 'connected' }))
          .seq,
      ).toBe(1);
    });

    it('gives a detached session a Redis TTL (garbage collection) and removes it on attach', async () => {
      await store.createSession({ userId: 'u1', name: 'Ann', tokenHash: 'h1', socketId: 's1' });
      await store.detachSession('u1', clock.now() + 60_000);
      expect(await redis.pttl(`${keyPrefix}session:u1`)).toBeGreaterThan(60_000);
      expect(await redis.pttl(`${keyPrefix}token:h1`)).toBeGreaterThan(60_000);
      await store.attachSession('u1', 's2');
      expect(await redis.pttl(`${keyPrefix}session:u1`)).toBe(-1);
      expect(await redis.pttl(`${keyPrefix}token:h1`)).toBe(-1);
      await store.deleteSession('u1');
      expect(await redis.exists(`${keyPrefix}session:u1`, `${keyPrefix}token:h1`)).toBe(0);
    });
  });
});
