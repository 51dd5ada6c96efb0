import { describe, expect, it } from 'vitest';
import { ResultCode } from '../../../shared/src/result-codes.ts';
import { ManualClock } from '../../../signaling-server/src/clock.ts';
import { LogThrottle } from '../../../signaling-server/src/log-throttle.ts';
import { createLogger } from '../../../signaling-server/src/logger.ts';
import { addressKey, RateLimiter } from '../../../signaling-server/src/rate-limit.ts';
import type { AppSocket, Handlers } from '../../../signaling-server/src/types.ts';
import { createSocketGate, MAX_PENDING_PER_SOCKET } from '../../../signaling-server/src/validate.ts';

describe('RateLimiter', () => {
  it('check counts nothing, note counts without refusing; `first` marks the first refusal of a window', () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter(clock, 1_000);
    expect(limiter.check('k', 1)).toEqual({ ok: true });
    limiter.note('k');
    expect(limiter.check('k', 1)).toEqual({ ok: false, retryAfterMs: 1_000, first: true });
    expect(limiter.hit('k', 1)).toEqual({ ok: false, retryAfterMs: 1_000, first: false });
    clock.advance(1_000);
    expect(limiter.hit('k', 1)).toEqual({ ok: true });
  });

  it('keeps one entry per key seen in the current window (swept once per window)', () => {
    const clock = new ManualClock(0);
    const limiter = new RateLimiter(clock, 1_000);
    for (let i = 0; i < 10_000; i++) limiter.hit(`k${i}`, 5);
    expect(limiter.size).toBe(10_000);
    clock.advance(1_000);
    limiter.hit('x', 5);
    expect(limiter.size).toBe(1);
  });
});

describe('addressKey', () => {
  it('maps IPv4-mapped IPv6 to IPv4 and IPv6 to its /64', () => {
    expect(addressKey('127.0.0.1')).toBe('127.0.0.1');
    expect(addressKey('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(addressKey('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(addressKey('2001:DB8:0001:0002::9%eth0')).toBe('2001:db8:1:2::/64');
    expect(addressKey('::1')).toBe('0:0:0:0::/64');
    expect(addressKey(undefined)).toBe('unknown');
  });
});

describe('LogThrottle', () => {
  it('lets one line per key and interval through and reports how many it held back', () => {
    const clock = new ManualClock(0);
    const throttle = new LogThrottle(clock, 1_000, 3);
    expect(throttle.take('a')).toBe(0);
    for (let i = 0; i < 5; i++) expect(throttle.take('a')).toBeNull();
    clock.advance(1_000);
    expect(throttle.take('a')).toBe(5);
    // Past maxKeys, new keys share one overflow entry: one line for all of them.
    expect(throttle.take('b')).toBe(0);
    expect(throttle.take('c')).toBe(0);
    expect(throttle.take('d')).toBe(0);
    for (let i = 0; i < 1_000; i++) expect(throttle.take(`k${i}`)).toBeNull();
    expect(throttle.size).toBe(4);
    expect(throttle.drain('a')).toBe(0);
  });
});

describe('socket gate', () => {
  it(`answers RATE_LIMITED past ${MAX_PENDING_PER_SOCKET} events in flight, then serves again`, async () => {
    const clock = new ManualClock(0);
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => {
      release = resolve;
    });
    const handlers = {
      ping: async () => {
        await blocked;
        return { code: 0, at: 0 };
      },
    } as unknown as Handlers;
    const lines: string[] = [];
    const logger = createLogger('info', { write: (l: string) => void lines.push(l) });
    const socket = { id: 's1', data: {}, handshake: { address: '127.0.0.1' } } as unknown as AppSocket;
    const gate = createSocketGate(socket, { handlers, onDisconnect: async () => undefined, logger, clock });
    const replies: { code: number; retryAfterMs?: number }[] = [];
    for (let i = 0; i < MAX_PENDING_PER_SOCKET + 10; i++)
      gate.receive('ping', [{}, (r: never) => replies.push(r)]);
    expect(gate.pending).toBe(MAX_PENDING_PER_SOCKET);
    expect(replies).toHaveLength(10);
    expect(replies.every((r) => r.code === ResultCode.RATE_LIMITED && r.retryAfterMs === 1_000)).toBe(true);
    expect(lines.filter((l) => l.includes('socket queue full'))).toHaveLength(1);
    release();
    await new Promise((r) => setImmediate(r));
    expect(gate.pending).toBe(0);
    expect(replies.filter((r) => r.code === 0)).toHaveLength(MAX_PENDING_PER_SOCKET);
  });
});
