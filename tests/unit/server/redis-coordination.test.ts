import { beforeEach, expect, it } from 'vitest';
import { ManualClock } from '../../../signaling-server/src/clock.ts';
import { NodeRegistry } from '../../../signaling-server/src/cluster/node-registry.ts';
import { RedisDeadlines } from '../../../signaling-server/src/cluster/redis-deadlines.ts';
import { RedisLocks } from '../../../signaling-server/src/cluster/redis-locks.ts';
import { RedisRateLimiter } from '../../../signaling-server/src/cluster/redis-rate-limiter.ts';
import { createLogger } from '../../../signaling-server/src/logger.ts';
import { describeWithRedis } from '../../support/redis-suite.ts';

const logger = createLogger('silent');

/** Lets the pollers' Redis round trips finish after a clock step. */
const settle = (ms = 30) => new Promise((resolve) => setTimeout(resolve, ms));

await describeWithRedis('Coordination on Redis (two processes, one Redis)', ({ connect, prefix }) => {
  let clock: ManualClock;
  let keyPrefix: string;

  beforeEach(() => {
    clock = new ManualClock(0);
    keyPrefix = prefix();
  });

  it('rate limits: the same window rules as in one process, counted once across processes', async () => {
    const a = new RedisRateLimiter(connect(), { clock, keyPrefix, windowMs: 1_000 });
    const b = new RedisRateLimiter(connect(), { clock, keyPrefix, windowMs: 1_000 });
    expect(await a.check('k', 1)).toEqual({ ok: true });
    await b.note('k');
    expect(await a.check('k', 1)).toEqual({ ok: false, retryAfterMs: 1_000, first: true });
    clock.advance(400);
    expect(await b.hit('k', 1)).toEqual({ ok: false, retryAfterMs: 600, first: false });
    clock.advance(600);
    expect(await a.hit('k', 1)).toEqual({ ok: true });

    // 20 attempts spread over both processes against a limit of 10: exactly 10 pass.
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).hit('spread', 10)),
    );
    expect(results.filter((r) => r.ok)).toHaveLength(10);
  });

  it('locks: critical sections of one key never overlap across processes', async () => {
    const a = new RedisLocks(connect(), { keyPrefix });
    const b = new RedisLocks(connect(), { keyPrefix });
    let inside = 0;
    let maxInside = 0;
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        (i % 2 ? a : b).run('room', async () => {
          inside += 1;
          maxInside = Math.max(maxInside, inside);
          await new Promise((resolve) => setTimeout(resolve, 1));
          order.push(i);
          inside -= 1;
        }),
      ),
    );
    expect(maxInside).toBe(1);
    expect(order).toHaveLength(40);
    // A failing section releases the lock.
    await expect(a.run('room', async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await b.run('room', async () => 'next')).toBe('next');
  });

  it('locks: the lease of a process that died holding it runs out', async () => {
    const redis = connect();
    // A holder that vanished: its lease is there, nobody renews it.
    await redis.set(`${keyPrefix}lock:room`, 'dead-holder', 'PX', 150);
    const locks = new RedisLocks(connect(), { keyPrefix, leaseMs: 150 });
    const started = Date.now();
    expect(await locks.run('room', async () => 'mine')).toBe('mine');
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
  });

  it('deadlines: the first deadline of a key stands, cancel removes it, each fires once in one process', async () => {
    const fired: [string, string][] = [];
    const a = new RedisDeadlines(connect(), { clock, keyPrefix, logger, pollMs: 100 });
    const b = new RedisDeadlines(connect(), { clock, keyPrefix, logger, pollMs: 100 });
    a.start((key) => fired.push(['a', key]));
    b.start((key) => fired.push(['b', key]));
    try {
      expect(await a.schedule('seat:1', 60_000)).toBe(true);
      clock.advance(10_000);
      // Rescheduling keeps the first deadline (the window starts at the first loss).
      expect(await b.schedule('seat:1', 60_000)).toBe(false);
      expect(await b.schedule('seat:2', 50_000)).toBe(true);
      await a.cancel('seat:2');
      for (let i = 0; i < 499; i++) clock.advance(100);
      await settle();
      expect(fired).toEqual([]); // 59 900 ms
      for (let i = 0; i < 20; i++) {
        clock.advance(100);
        await settle(5);
      }
      await settle();
      expect(fired.map(([, key]) => key)).toEqual(['seat:1']);
    } finally {
      a.close();
      b.close();
    }
  });

  it('node registry: a process that stops beating is claimed by exactly one survivor, after deadAfterMs', async () => {
    const claims: string[] = [];
    const make = (nodeId: string) =>
      new NodeRegistry(connect(), { nodeId, keyPrefix, clock, logger, deadAfterMs: 5_000 });
    // A process that beat once, at 0, and was then killed with -9: no goodbye.
    await connect().zadd(`${keyPrefix}nodes`, clock.now(), 'killed');
    const a = make('a');
    const b = make('b');
    a.start(async (node) => void claims.push(`a:${node}`));
    b.start(async (node) => void claims.push(`b:${node}`));
    try {
      for (let i = 0; i < 4; i++) {
        clock.advance(1_000);
        await settle();
      }
      expect(claims).toEqual([]); // 4 s of silence: still alive
      for (let i = 0; i < 3; i++) {
        clock.advance(1_000);
        await settle();
      }
      expect(claims.map((c) => c.split(':')[1])).toEqual(['killed']);
      // A clean exit marks itself dead at once: claimed on the next beat, not after 5 s.
      await a.close();
      clock.advance(1_000);
      await settle();
      expect(claims.at(-1)).toBe('b:a');
    } finally {
      await b.close();
    }
  });
});
