import { merge, NEVER, Subject } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import {
  RESUME_WINDOW_MS,
  ResultCode,
  type TSDK_S_LOCAL_ADDRESS,
  TsdkEvent,
} from '../../../shared/src/index.ts';
import { ADDRESS_CHANGE_MS, OFFLINE_GRACE_MS } from '../../../web/src/sdk/resume/confirm-trigger.ts';
import { TransportError, type Trigger } from '../../../web/src/sdk/resume/ports.ts';
import type { RetryPolicy } from '../../../web/src/sdk/resume/retry-policy.ts';
import { watchNetwork, watchOnline } from '../../../web/src/sdk/resume/watch-network.ts';
import {
  CONF_INFO,
  CONFERENCE,
  FakePorts,
  failure,
  H0,
  H1,
  JOIN_INFO,
  newScheduler,
  notifications,
  runPipeline,
  SESSION,
  stateAt,
  states,
  summary,
} from './fakes.ts';

const T = (reason: Trigger['reason']): Trigger => ({ reason });
const TIMEOUT = ResultCode.RESUME_TIMEOUT;

/** A policy with fixed delays, to make retry timing exact. */
const fixedPolicy = (...delays: number[]): RetryPolicy & { calls: unknown[] } => {
  const calls: unknown[] = [];
  return {
    calls,
    nextDelayMs(ctx) {
      calls.push(ctx);
      return delays[Math.min(ctx.retryCount, delays.length - 1)] ?? null;
    },
  };
};

describe('rule 1: in a conference, success', () => {
  it('reports CONF_RESUMING_IND → LOGIN_RESUMING_IND → progress → LOGIN_RESUME_RESULT → CONF_RESUME_RESULT(h1)', () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    const log = runPipeline(ts, ({ hot, cold }) => {
      ports = new FakePorts(ts, {
        login: [() => cold('50ms (a|)', { a: SESSION })],
        conf: [() => cold('30ms (a|)', { a: CONF_INFO })],
      });
      return { triggers$: hot('a', { a: T('socket-disconnect') }), online$: NEVER, ports };
    });

    expect(summary(log)).toEqual([
      ['CONF_RESUMING_IND', H0, 0, 0],
      ['LOGIN_RESUMING_IND', 0, 0, 0],
      ['AUTH_SUCCESS', 0, 0, 50],
      ['LOGIN_SUCCESS', 0, 0, 50],
      ['LOGIN_RESUME_RESULT', 0, 0, 50],
      ['CONF_RESUME_RESULT', H1, 0, 80],
    ]);
    const all = notifications(log);
    expect(all[0]?.data).toEqual({ reason: 'socket-disconnect' });
    expect(all[1]?.data).toEqual({ reason: 'socket-disconnect' });
    expect(all[4]?.data).toEqual({});
    expect(all[5]?.event).toBe(TsdkEvent.CONF_RESUME_RESULT);
    expect(all[5]?.data).toEqual({ original_handle: H0, join_conf_ind_info: JOIN_INFO });
    expect(H1).not.toBe(H0);

    // The conference resume starts only once the login resumed, with the original context.
    expect(ports.loginCalls).toEqual([0]);
    expect(ports.confCalls).toEqual([50]);
    expect(ports.confContexts).toEqual([CONFERENCE]);

    // The facade's actions, each before the notifications of the same instant.
    expect(log.map(({ t, out }) => [t, out.type])).toEqual([
      [0, 'state'],
      [0, 'notify'],
      [0, 'notify'],
      [0, 'state'],
      [50, 'state'],
      [50, 'login-resumed'],
      [50, 'notify'],
      [50, 'notify'],
      [50, 'notify'],
      [50, 'state'],
      [80, 'state'],
      [80, 'conference-resumed'],
      [80, 'notify'],
    ]);
    expect(log.find((e) => e.out.type === 'conference-resumed')?.out).toEqual({
      type: 'conference-resumed',
      info: CONF_INFO,
    });
    expect(states(log).map((s) => s.kind)).toEqual([
      'resuming-login',
      'resuming-login',
      'resuming-conference',
      'resuming-conference',
      'resumed',
    ]);
    const last = states(log).at(-1);
    expect(last).toMatchObject({
      kind: 'resumed',
      originalHandle: H0,
      newHandle: H1,
      startedAt: 0,
      endedAt: 80,
    });
  });
});

describe('rule 2: not in a conference', () => {
  it('reports LOGIN_RESUMING_IND → progress → LOGIN_RESUME_RESULT and no CONF event', () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    const log = runPipeline(ts, ({ hot, cold }) => {
      ports = new FakePorts(ts, { conference: null, login: [() => cold('40ms (a|)', { a: SESSION })] });
      return { triggers$: hot('a', { a: T('heartbeat-timeout') }), online$: NEVER, ports };
    });
    expect(summary(log)).toEqual([
      ['LOGIN_RESUMING_IND', 0, 0, 0],
      ['AUTH_SUCCESS', 0, 0, 40],
      ['LOGIN_SUCCESS', 0, 0, 40],
      ['LOGIN_RESUME_RESULT', 0, 0, 40],
    ]);
    expect(ports.confCalls).toEqual([]);
    expect(log.filter((e) => e.out.type === 'login-resumed').map((e) => e.out)).toEqual([
      { type: 'login-resumed', session: SESSION },
    ]);
    expect(states(log).at(-1)).toMatchObject({ kind: 'resumed', originalHandle: null, newHandle: null });
  });
});

describe('rule 3: one episode at a time', () => {
  it('flapping for 30 s: one RESUMING_IND, attempts restarted, the 60 s clock not restarted', () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    const log = runPipeline(ts, ({ hot }) => {
      // A login that never answers: only the triggers restart it.
      ports = new FakePorts(ts, { login: [() => NEVER] });
      const flapping =
        'a 2999ms b 2999ms c 2999ms a 2999ms b 2999ms c 2999ms a 2999ms b 2999ms c 2999ms a 2999ms b';
      return {
        triggers$: hot(flapping, { a: T('socket-disconnect'), b: T('offline'), c: T('local-address') }),
        online$: NEVER,
        ports,
      };
    });
    expect(ports.loginCalls).toEqual([0, 3000, 6000, 9000, 12000, 15000, 18000, 21000, 24000, 27000, 30000]);
    expect(summary(log)).toEqual([
      ['CONF_RESUMING_IND', H0, 0, 0],
      ['LOGIN_RESUMING_IND', 0, 0, 0],
      ['LOGIN_RESUME_RESULT', 0, TIMEOUT, RESUME_WINDOW_MS],
      ['CONF_RESUME_RESULT', H0, TIMEOUT, RESUME_WINDOW_MS],
    ]);
  });

  it('peer triggers during an attempt do not abort it', () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    const log = runPipeline(ts, ({ hot, cold }) => {
      ports = new FakePorts(ts, { conference: null, login: [() => cold('500ms (a|)', { a: SESSION })] });
      return {
        triggers$: hot('a 199ms b 199ms c', {
          a: T('socket-disconnect'),
          b: T('peer-disconnected'),
          c: T('peer-failed'),
        }),
        online$: NEVER,
        ports,
      };
    });
    expect(ports.loginCalls).toEqual([0]);
    expect(summary(log).at(-1)).toEqual(['LOGIN_RESUME_RESULT', 0, 0, 500]);
  });

  it('a trigger after the end starts a new episode', () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    const log = runPipeline(ts, ({ hot, cold }) => {
      ports = new FakePorts(ts, { conference: null, login: [() => cold('50ms (a|)', { a: SESSION })] });
      return {
        triggers$: hot('a 999ms b', { a: T('socket-disconnect'), b: T('peer-failed') }),
        online$: NEVER,
        ports,
      };
    });
    expect(summary(log)).toEqual([
      ['LOGIN_RESUMING_IND', 0, 0, 0],
      ['AUTH_SUCCESS', 0, 0, 50],
      ['LOGIN_SUCCESS', 0, 0, 50],
      ['LOGIN_RESUME_RESULT', 0, 0, 50],
      ['LOGIN_RESUMING_IND', 0, 0, 1000],
      ['AUTH_SUCCESS', 0, 0, 1050],
      ['LOGIN_SUCCESS', 0, 0, 1050],
      ['LOGIN_RESUME_RESULT', 0, 0, 1050],
    ]);
    expect(notifications(log)[4]?.data).toEqual({ reason: 'peer-failed' });
  });

  it('a re-login needed during the conference step is silent', () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    const log = runPipeline(ts, ({ hot, cold }) => {
      ports = new FakePorts(ts, {
        login: [() => cold('10ms (a|)', { a: SESSION })],
        conf: [
          () => cold('20ms #', undefined, new TransportError('socket closed')),
          () => cold('20ms (a|)', { a: CONF_INFO }),
        ],
      });
      return { triggers$: hot('a', { a: T('offline') }), online$: NEVER, ports, policy: fixedPolicy(0) };
    });
    // `offline` at 0 starts the episode when its grace runs out, at 1000.
    // login at 1000 → ok at 1010; conf at 1010 fails at 1030; re-login at 1030 → 1040; conf at 1040 → 1060.
    expect(ports.loginCalls).toEqual([1000, 1030]);
    expect(ports.confCalls).toEqual([1010, 1040]);
    expect(summary(log)).toEqual([
      ['CONF_RESUMING_IND', H0, 0, 1000],
      ['LOGIN_RESUMING_IND', 0, 0, 1000],
      ['AUTH_SUCCESS', 0, 0, 1010],
      ['LOGIN_SUCCESS', 0, 0, 1010],
      ['LOGIN_RESUME_RESULT', 0, 0, 1010],
      ['CONF_RESUME_RESULT', H1, 0, 1060],
    ]);
    expect(log.filter((e) => e.out.type === 'login-resumed')).toHaveLength(1);
  });

  it('a socket trigger during the conference step re-logs in before the next conference attempt', () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    runPipeline(ts, ({ hot, cold }) => {
      ports = new FakePorts(ts, {
        login: [() => cold('10ms (a|)', { a: SESSION })],
        conf: [() => NEVER, () => cold('20ms (a|)', { a: CONF_INFO })],
      });
      return {
        // `offline` at 0 starts the episode at 1000 (its grace); the socket drops at 1500.
        triggers$: hot('a 1499ms b', { a: T('offline'), b: T('socket-disconnect') }),
        online$: NEVER,
        ports,
      };
    });
    expect(ports.loginCalls).toEqual([1000, 1500]);
    expect(ports.confCalls).toEqual([1010, 1510]);
  });
});

describe('rule 4: 60 s abandon', () => {
  it('still resuming at 59 999; LOGIN_RESUME_RESULT then CONF_RESUME_RESULT(h0, timeout) at 60 000', () => {
    const ts = newScheduler();
    const log = runPipeline(ts, ({ hot, cold }) => {
      const ports = new FakePorts(ts, {
        login: [() => cold('100ms #', undefined, new TransportError('refused'))],
      });
      return {
        triggers$: hot('a', { a: T('socket-disconnect') }),
        online$: NEVER,
        ports,
        policy: fixedPolicy(0, 1000),
      };
    });
    expect(stateAt(log, 59_999)).toBe('resuming-login');
    expect(log.filter((e) => e.t < 60_000 && e.out.type === 'notify')).toHaveLength(2);
    expect(stateAt(log, 60_000)).toBe('failed');
    const results = notifications(log).slice(2);
    expect(results).toEqual([
      {
        event: TsdkEvent.LOGIN_RESUME_RESULT,
        param1: 0,
        param2: TIMEOUT,
        data: { reason: 'RESUME_TIMEOUT', message: expect.any(String) },
        at: 60_000,
      },
      {
        event: TsdkEvent.CONF_RESUME_RESULT,
        param1: H0,
        param2: TIMEOUT,
        data: { reason: 'RESUME_TIMEOUT', message: expect.any(String) },
        at: 60_000,
      },
    ]);
    expect(log.filter((e) => e.out.type === 'failed').map((e) => e.out)).toEqual([
      { type: 'failed', code: TIMEOUT, originalHandle: H0 },
    ]);
    expect(log.at(-1)?.t).toBe(60_000);
  });

  it('counts from the first RESUMING_IND (episode started at 5 s → abandoned at 65 s), login-only too', () => {
    const ts = newScheduler();
    const log = runPipeline(ts, ({ hot }) => {
      const ports = new FakePorts(ts, { conference: null, login: [() => NEVER] });
      return { triggers$: hot('5s a', { a: T('peer-failed') }), online$: NEVER, ports };
    });
    expect(summary(log)).toEqual([
      ['LOGIN_RESUMING_IND', 0, 0, 5000],
      ['LOGIN_RESUME_RESULT', 0, TIMEOUT, 65_000],
    ]);
    expect(stateAt(log, 64_999)).toBe('resuming-login');
    expect(log.filter((e) => e.out.type === 'failed').map((e) => e.out)).toEqual([
      { type: 'failed', code: TIMEOUT, originalHandle: null },
    ]);
  });

  it('login resumed but the conference never: only CONF_RESUME_RESULT(h0, timeout) at 60 000', () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    const log = runPipeline(ts, ({ hot, cold }) => {
      ports = new FakePorts(ts, {
        login: [() => cold('20ms (a|)', { a: SESSION })],
        conf: [() => cold('1s (a|)', { a: failure(ResultCode.SERVER_UNAVAILABLE) })],
      });
      return {
        triggers$: hot('a', { a: T('local-address') }),
        online$: NEVER,
        ports,
        policy: fixedPolicy(0, 2000),
      };
    });
    expect(summary(log)).toEqual([
      ['CONF_RESUMING_IND', H0, 0, 0],
      ['LOGIN_RESUMING_IND', 0, 0, 0],
      ['AUTH_SUCCESS', 0, 0, 20],
      ['LOGIN_SUCCESS', 0, 0, 20],
      ['LOGIN_RESUME_RESULT', 0, 0, 20],
      ['CONF_RESUME_RESULT', H0, TIMEOUT, 60_000],
    ]);
    expect(stateAt(log, 59_999)).toBe('resuming-conference');
    // 20 → fail 1020 → retry at once → fail 2020 → every 3 s after that, silently.
    expect(ports.confCalls.slice(0, 4)).toEqual([20, 1020, 4020, 7020]);
    expect(ports.loginCalls).toEqual([0]);
  });
});

describe('rule 5: definitive failures end the episode early', () => {
  it('resume token rejected: AUTH_FAILED, both RESULTs with that code at once, no retry', () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    const rejected = ResultCode.RESUME_TOKEN_REJECTED;
    const log = runPipeline(ts, ({ hot, cold }) => {
      ports = new FakePorts(ts, { login: [() => cold('40ms (a|)', { a: failure(rejected) })] });
      return {
        triggers$: hot('a 999ms b', { a: T('socket-disconnect'), b: T('offline') }),
        online$: NEVER,
        ports,
      };
    });
    expect(summary(log).slice(0, 5)).toEqual([
      ['CONF_RESUMING_IND', H0, 0, 0],
      ['LOGIN_RESUMING_IND', 0, 0, 0],
      ['AUTH_FAILED', 0, rejected, 40],
      ['LOGIN_RESUME_RESULT', 0, rejected, 40],
      ['CONF_RESUME_RESULT', H0, rejected, 40],
    ]);
    expect(notifications(log)[4]?.data).toEqual({
      reason: 'RESUME_TOKEN_REJECTED',
      message: `failed: ${rejected}`,
    });
    expect(ports.confCalls).toEqual([]);
    // The later trigger is a new episode (`offline` at 1000: once its grace ran out, at 2000),
    // not a retry of the old one; nothing at 60 s.
    expect(ports.loginCalls).toEqual([0, 2000]);
    expect(notifications(log).filter((n) => n.at === 60_000)).toEqual([]);
  });

  it('conference ended: CONF_RESUME_RESULT(h0, CONF_ENDED) at once, one conference call', () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    const ended = ResultCode.CONF_ENDED;
    const log = runPipeline(ts, ({ hot, cold }) => {
      ports = new FakePorts(ts, {
        login: [() => cold('10ms (a|)', { a: SESSION })],
        conf: [() => cold('15ms (a|)', { a: failure(ended) })],
      });
      return { triggers$: hot('a', { a: T('offline') }), online$: NEVER, ports };
    });
    // `offline` at 0: the episode starts when its grace runs out, at 1000.
    expect(summary(log)).toEqual([
      ['CONF_RESUMING_IND', H0, 0, 1000],
      ['LOGIN_RESUMING_IND', 0, 0, 1000],
      ['AUTH_SUCCESS', 0, 0, 1010],
      ['LOGIN_SUCCESS', 0, 0, 1010],
      ['LOGIN_RESUME_RESULT', 0, 0, 1010],
      ['CONF_RESUME_RESULT', H0, ended, 1025],
    ]);
    expect(ports.confCalls).toEqual([1010]);
    expect(ports.loginCalls).toEqual([1000]);
    expect(log.filter((e) => e.out.type === 'failed').map((e) => e.out)).toEqual([
      { type: 'failed', code: ended, originalHandle: H0 },
    ]);
    expect(states(log).at(-1)).toMatchObject({ kind: 'failed', code: ended, loginResumed: true });
  });
});

describe('rule 6: transient failures are retried silently', () => {
  it('follows the policy: first retry immediate, then the policy delays', () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    const policy = fixedPolicy(0, 125, 250);
    const log = runPipeline(ts, ({ hot, cold }) => {
      ports = new FakePorts(ts, {
        conference: null,
        login: [
          () => cold('10ms (a|)', { a: failure(ResultCode.SERVER_UNAVAILABLE) }),
          () => cold('10ms #', undefined, new TransportError('refused')),
          () => cold('10ms (a|)', { a: failure(ResultCode.SERVER_UNAVAILABLE) }),
          () => cold('10ms (a|)', { a: SESSION }),
        ],
      });
      return { triggers$: hot('a', { a: T('socket-disconnect') }), online$: NEVER, ports, policy };
    });
    expect(ports.loginCalls).toEqual([0, 10, 145, 405]);
    expect(policy.calls).toEqual([
      { retryCount: 0, elapsedMs: 10, reason: 'SERVER_UNAVAILABLE' },
      { retryCount: 1, elapsedMs: 20, reason: 'SERVER_UNAVAILABLE' },
      { retryCount: 2, elapsedMs: 155, reason: 'SERVER_UNAVAILABLE' },
    ]);
    expect(summary(log)).toEqual([
      ['LOGIN_RESUMING_IND', 0, 0, 0],
      ['AUTH_SUCCESS', 0, 0, 415],
      ['LOGIN_SUCCESS', 0, 0, 415],
      ['LOGIN_RESUME_RESULT', 0, 0, 415],
    ]);
    expect(states(log).at(-1)).toMatchObject({ kind: 'resumed' });
    expect(
      states(log)
        .filter((s) => s.kind === 'resuming-login')
        .at(-1),
    ).toMatchObject({ attempts: 4 });
  });

  it('honours retryAfterMs of RATE_LIMITED', () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    runPipeline(ts, ({ hot, cold }) => {
      ports = new FakePorts(ts, {
        conference: null,
        login: [
          () => cold('10ms (a|)', { a: failure(ResultCode.RATE_LIMITED, 2000) }),
          () => cold('10ms (a|)', { a: SESSION }),
        ],
      });
      return {
        triggers$: hot('a', { a: T('socket-disconnect') }),
        online$: NEVER,
        ports,
        policy: fixedPolicy(0),
      };
    });
    expect(ports.loginCalls).toEqual([0, 2010]);
  });

  it('the default policy (full jitter, seeded) keeps retrying inside the window', () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    runPipeline(ts, ({ hot, cold }) => {
      ports = new FakePorts(ts, {
        conference: null,
        login: [() => cold('(a|)', { a: failure(ResultCode.SERVER_UNAVAILABLE) })],
      });
      return { triggers$: hot('a', { a: T('socket-disconnect') }), online$: NEVER, ports };
    });
    // Calls: immediately, then ever more spaced out (≤ 5 s apart), never after 60 s.
    expect(ports.loginCalls.slice(0, 2)).toEqual([0, 0]);
    const gaps = ports.loginCalls.slice(1).map((t, i) => t - (ports.loginCalls[i] as number));
    expect(Math.max(...gaps)).toBeLessThanOrEqual(5000);
    expect(ports.loginCalls.every((t) => t < 60_000)).toBe(true);
    expect(ports.loginCalls.length).toBeGreaterThan(10);
  });

  it('offline: no attempt while offline, one at once when the network is back', () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    const log = runPipeline(ts, ({ hot, cold }) => {
      ports = new FakePorts(ts, {
        login: [() => cold('10ms (a|)', { a: SESSION })],
        conf: [() => cold('(a|)', { a: CONF_INFO })],
      });
      const online$ = hot('f 4999ms t', { f: false, t: true });
      const triggers$ = hot('-a 4998ms b', { a: T('offline'), b: T('online') });
      return { triggers$, online$, ports };
    });
    expect(ports.loginCalls).toEqual([5000]);
    // Offline at 1: still offline when the grace runs out, at 1001.
    expect(summary(log).at(0)).toEqual(['CONF_RESUMING_IND', H0, 0, 1001]);
    expect(summary(log).at(-1)).toEqual(['CONF_RESUME_RESULT', H1, 0, 5010]);
  });

  it('a coalesced socket trigger seen before the network came back does not abort the attempt', () => {
    // Offline at 1, the socket closes at 5 (folded, emitted when the window closes at 101),
    // online at 50 (an address change: no probe): the attempt that starts at 50 must not be
    // aborted by the late emission, or a resume the server already took would lose its
    // rotated token.
    const ts = newScheduler();
    let ports!: FakePorts;
    runPipeline(ts, ({ hot, cold }) => {
      ports = new FakePorts(ts, {
        conference: null,
        login: [() => cold('100ms (a|)', { a: SESSION })],
        probe: [() => cold('(a|)', { a: false })],
      });
      const online$ = hot('t f 48ms t', { f: false, t: true });
      const triggers$ = hot('-a 3ms b', { a: T('offline'), b: T('socket-disconnect') });
      return { triggers$, online$, ports };
    });
    expect(ports.probeCalls).toEqual([]);
    expect(ports.loginCalls).toEqual([50]);
  });

  it('a coalesced trigger emitted after a quick episode ended starts no second episode', () => {
    // Offline at 1, socket closed at 5 (folded, emitted at 101), online at 20 (an address
    // change: no probe), resumed at 30.
    const ts = newScheduler();
    let ports!: FakePorts;
    const log = runPipeline(ts, ({ hot, cold }) => {
      ports = new FakePorts(ts, {
        conference: null,
        login: [() => cold('10ms (a|)', { a: SESSION })],
        probe: [() => cold('(a|)', { a: false })],
      });
      const online$ = hot('t f 18ms t', { f: false, t: true });
      const triggers$ = hot('-a 3ms b', { a: T('offline'), b: T('socket-disconnect') });
      return { triggers$, online$, ports };
    });
    expect(ports.probeCalls).toEqual([]);
    expect(ports.loginCalls).toEqual([20]);
    expect(summary(log).filter(([event]) => event === 'LOGIN_RESUMING_IND')).toHaveLength(1);
  });

  it('20 flaps in 60 s (every attempt cut short): exactly one episode, one LOGIN and one CONF result', () => {
    // Offline at 1 + 3k s, online 1.5 s later; an attempt needs 2 s, so every one is cut by
    // the next flap until the flapping stops; the last succeeds inside the window.
    const marble = (events: [number, string][]) => {
      let out = '';
      let at = 0;
      for (const [t, c] of events) {
        if (t > at) out += ` ${t - at}ms `;
        out += c;
        at = t + 1;
      }
      return out;
    };
    const flaps = Array.from({ length: 20 }, (_, k) => 1 + k * 2_900);
    const ts = newScheduler();
    let ports!: FakePorts;
    const log = runPipeline(ts, ({ hot, cold }) => {
      ports = new FakePorts(ts, {
        login: [() => cold('2s (a|)', { a: SESSION })],
        conf: [() => cold('10ms (a|)', { a: CONF_INFO })],
      });
      // In the browser `navigator.onLine` changes before the `offline` event is dispatched, and
      // online$ listens first: so it is made (and emits) first here too.
      const online$ = hot(
        marble([
          [0, 't'],
          ...flaps.flatMap((t): [number, string][] => [
            [t, 'f'],
            [t + 1_500, 't'],
          ]),
        ]),
        { t: true, f: false },
      );
      const triggers$ = hot(
        marble(
          flaps.flatMap((t): [number, string][] => [
            [t, 'o'],
            [t + 1_500, 'n'],
          ]),
        ),
        { o: T('offline'), n: T('online') },
      );
      return { triggers$, online$, ports };
    });
    const events = summary(log).map(([event]) => event);
    expect(events.filter((e) => e === 'CONF_RESUMING_IND')).toHaveLength(1);
    expect(events.filter((e) => e === 'LOGIN_RESUMING_IND')).toHaveLength(1);
    expect(events.filter((e) => e === 'LOGIN_RESUME_RESULT')).toHaveLength(1);
    expect(events.filter((e) => e === 'CONF_RESUME_RESULT')).toHaveLength(1);
    expect(ports.loginCalls).toHaveLength(20);
    expect(summary(log).at(-1)).toEqual(['CONF_RESUME_RESULT', H1, 0, 1 + 19 * 2_900 + 1_500 + 2_000 + 10]);
  });

  it('network lost during an attempt: abort, wait, retry at once when it is back', () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    runPipeline(ts, ({ hot, cold }) => {
      ports = new FakePorts(ts, {
        conference: null,
        login: [
          () => cold('1s (a|)', { a: failure(ResultCode.SERVER_UNAVAILABLE) }),
          () => cold('(a|)', { a: SESSION }),
        ],
      });
      const online$ = hot('t 299ms f 7699ms t', { f: false, t: true });
      return {
        triggers$: hot('-a', { a: T('socket-disconnect') }),
        online$,
        ports,
        policy: fixedPolicy(0, 5000),
      };
    });
    expect(ports.loginCalls).toEqual([1, 8000]);
  });

  it('a transient failure while offline spends no retry: it waits and retries when back', () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    const policy = fixedPolicy(0, 5000);
    runPipeline(ts, ({ hot, cold }) => {
      ports = new FakePorts(ts, {
        conference: null,
        login: [
          () => cold('10ms #', undefined, new TransportError('refused')),
          () => cold('10ms #', undefined, new TransportError('refused')),
          () => cold('(a|)', { a: SESSION }),
        ],
      });
      // Offline from 15 ms (during the retry) to 9 s.
      const online$ = hot('t 14ms f 8984ms t', { f: false, t: true });
      return { triggers$: hot('a', { a: T('socket-disconnect') }), online$, ports, policy };
    });
    expect(ports.loginCalls).toEqual([0, 10, 9000]);
  });
});

describe('local address (TSDK_E_CONFIG_LOCAL_ADDRESS)', () => {
  const wire = (addresses: Subject<TSDK_S_LOCAL_ADDRESS>) => ({
    triggers$: watchNetwork({ localAddress$: addresses }),
    online$: watchOnline({ localAddress$: addresses }),
  });

  it('is_try_resume: false only records the address: no episode, no port call', () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    const log = runPipeline(ts, ({ cold }) => {
      ports = new FakePorts(ts, { login: [() => cold('(a|)', { a: SESSION })] });
      const addresses = new Subject<TSDK_S_LOCAL_ADDRESS>();
      ts.schedule(() => addresses.next({ ip_address: '10.0.0.2', is_try_resume: false }), 100);
      return { ...wire(addresses), ports };
    });
    expect(log).toEqual([]);
    expect(ports.loginCalls).toEqual([]);
    expect(ports.probeCalls).toEqual([]);
  });

  it('is_try_resume: true starts an episode at once', () => {
    const ts = newScheduler();
    const log = runPipeline(ts, ({ cold }) => {
      const ports = new FakePorts(ts, {
        login: [() => cold('(a|)', { a: SESSION })],
        conf: [() => cold('(a|)', { a: CONF_INFO })],
      });
      const addresses = new Subject<TSDK_S_LOCAL_ADDRESS>();
      ts.schedule(() => addresses.next({ ip_address: '10.0.0.2', is_try_resume: true }), 100);
      return { ...wire(addresses), ports };
    });
    expect(summary(log).map(([e, , , at]) => [e, at])).toEqual([
      ['CONF_RESUMING_IND', 100],
      ['LOGIN_RESUMING_IND', 100],
      ['AUTH_SUCCESS', 100],
      ['LOGIN_SUCCESS', 100],
      ['LOGIN_RESUME_RESULT', 100],
      ['CONF_RESUME_RESULT', 100],
    ]);
    expect(notifications(log)[0]?.data).toEqual({ reason: 'local-address' });
  });

  it("'0.0.0.0' waits without attempts until a real address", () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    const log = runPipeline(ts, ({ cold }) => {
      ports = new FakePorts(ts, {
        login: [() => cold('(a|)', { a: SESSION })],
        conf: [() => cold('(a|)', { a: CONF_INFO })],
      });
      const addresses = new Subject<TSDK_S_LOCAL_ADDRESS>();
      ts.schedule(() => addresses.next({ ip_address: '0.0.0.0', is_try_resume: true }), 100);
      ts.schedule(() => addresses.next({ ip_address: '10.0.0.3', is_try_resume: true }), 7000);
      return { ...wire(addresses), ports };
    });
    expect(ports.loginCalls).toEqual([7000]);
    expect(summary(log)[0]).toEqual(['CONF_RESUMING_IND', H0, 0, 100]);
    expect(summary(log).filter(([e]) => e.endsWith('RESUMING_IND'))).toHaveLength(2);
    expect(summary(log).at(-1)).toEqual(['CONF_RESUME_RESULT', H1, 0, 7000]);
  });
});

describe('suspect triggers', () => {
  it('a connection change with a healthy probe starts no episode', () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    const log = runPipeline(ts, ({ hot, cold }) => {
      ports = new FakePorts(ts, {
        login: [() => cold('(a|)', { a: SESSION })],
        probe: [() => cold('20ms (a|)', { a: true })],
      });
      return { triggers$: hot('a', { a: T('connection-change') }), online$: NEVER, ports };
    });
    expect(ports.probeCalls).toEqual([0]);
    expect(ports.loginCalls).toEqual([]);
    expect(log).toEqual([]);
  });

  it('an unhealthy probe starts the episode when it answers; the window counts from there', () => {
    const ts = newScheduler();
    const log = runPipeline(ts, ({ hot, cold }) => {
      const ports = new FakePorts(ts, {
        login: [() => NEVER],
        probe: [() => cold('20ms (a|)', { a: false })],
      });
      return { triggers$: hot('a', { a: T('online') }), online$: NEVER, ports };
    });
    expect(summary(log)).toEqual([
      ['CONF_RESUMING_IND', H0, 0, 20],
      ['LOGIN_RESUMING_IND', 0, 0, 20],
      ['LOGIN_RESUME_RESULT', 0, TIMEOUT, 60_020],
      ['CONF_RESUME_RESULT', H0, TIMEOUT, 60_020],
    ]);
    expect(notifications(log)[0]?.data).toEqual({ reason: 'online' });
  });

  it('a broken trigger during the probe starts the episode at once', () => {
    const ts = newScheduler();
    const log = runPipeline(ts, ({ hot, cold }) => {
      const ports = new FakePorts(ts, {
        conference: null,
        login: [() => cold('(a|)', { a: SESSION })],
        probe: [() => cold('2s (a|)', { a: true })],
      });
      return {
        triggers$: hot('a 499ms b', { a: T('connection-change'), b: T('heartbeat-timeout') }),
        online$: NEVER,
        ports,
      };
    });
    expect(summary(log)[0]).toEqual(['LOGIN_RESUMING_IND', 0, 0, 500]);
    expect(notifications(log)[0]?.data).toEqual({ reason: 'heartbeat-timeout' });
  });

  it('a probe that never answers counts as unhealthy after the probe timeout', () => {
    const ts = newScheduler();
    const log = runPipeline(ts, ({ hot, cold }) => {
      const ports = new FakePorts(ts, {
        conference: null,
        login: [() => cold('(a|)', { a: SESSION })],
        probe: [() => NEVER],
      });
      return {
        triggers$: hot('a', { a: T('connection-change') }),
        online$: NEVER,
        ports,
        probeTimeoutMs: 1500,
      };
    });
    expect(summary(log)[0]).toEqual(['LOGIN_RESUMING_IND', 0, 0, 1500]);
  });
});

describe('coalescing inside the pipeline', () => {
  it('a burst of triggers is one episode started by the first, with no added latency', () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    const log = runPipeline(ts, ({ hot, cold }) => {
      ports = new FakePorts(ts, { conference: null, login: [() => cold('300ms (a|)', { a: SESSION })] });
      return {
        triggers$: hot('a 2ms b 2ms c 2ms d', {
          a: T('socket-disconnect'),
          b: T('online'),
          c: T('offline'),
          d: T('connection-change'),
        }),
        online$: NEVER,
        ports,
      };
    });
    expect(summary(log)[0]).toEqual(['LOGIN_RESUMING_IND', 0, 0, 0]);
    expect(notifications(log)[0]?.data).toEqual({ reason: 'socket-disconnect' });
    // The folded trailing trigger (offline outranks the suspect ones, at 100) restarts the attempt once.
    expect(ports.loginCalls).toEqual([0, 100]);
    expect(summary(log).at(-1)).toEqual(['LOGIN_RESUME_RESULT', 0, 0, 400]);
  });

  it('a burst led by offline: the broken trigger folded into it starts the episode when the window closes', () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    const log = runPipeline(ts, ({ hot, cold }) => {
      ports = new FakePorts(ts, { conference: null, login: [() => cold('300ms (a|)', { a: SESSION })] });
      return {
        triggers$: hot('a 2ms b 2ms c 2ms d', {
          a: T('offline'),
          b: T('online'),
          c: T('socket-disconnect'),
          d: T('connection-change'),
        }),
        online$: NEVER,
        ports,
      };
    });
    // `offline` (at 0) waits for its grace; the socket-disconnect folded behind it comes out
    // at 100 and starts the episode at once, without waiting out the grace.
    expect(summary(log)[0]).toEqual(['LOGIN_RESUMING_IND', 0, 0, 100]);
    expect(notifications(log)[0]?.data).toEqual({ reason: 'socket-disconnect' });
    expect(ports.loginCalls).toEqual([100]);
    expect(summary(log).at(-1)).toEqual(['LOGIN_RESUME_RESULT', 0, 0, 400]);
  });
});

/**
 * A browser whose `offline`/`online` events fire at the given virtual times, as
 * `context.setOffline` or a Wi-Fi blip make them: `navigator.onLine` first, then the event. The
 * pipeline is wired to it as the SDK wires it (watchOnline listens before watchNetwork).
 */
function browserFlapping(ts: TestScheduler, changes: [number, 'offline' | 'online'][]) {
  const window = new EventTarget();
  const navigator = { onLine: true };
  for (const [at, type] of changes) {
    ts.schedule(() => {
      navigator.onLine = type === 'online';
      window.dispatchEvent(new Event(type));
    }, at);
  }
  const inputs = { window, navigator };
  return { triggers$: watchNetwork(inputs), online$: watchOnline(inputs) };
}

/** `count` blips: offline at start + k·period for `offMs`, then online again. */
const blips = (
  start: number,
  count: number,
  offMs: number,
  period: number,
): [number, 'offline' | 'online'][] =>
  Array.from({ length: count }, (_, k): [number, 'offline' | 'online'][] => [
    [start + k * period, 'offline'],
    [start + k * period + offMs, 'online'],
  ]).flat();

const count = (log: ReturnType<typeof runPipeline>, event: string) =>
  summary(log).filter(([e]) => e === event).length;

describe('offline: suspect until its grace runs out', () => {
  it('exports a 1 s grace', () => {
    expect(OFFLINE_GRACE_MS).toBe(1_000);
  });

  it('offline for 500 ms, back with a healthy probe: no episode, no TSDK event at all', () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    const log = runPipeline(ts, ({ cold }) => {
      ports = new FakePorts(ts, {
        login: [() => cold('(a|)', { a: SESSION })],
        probe: [() => cold('20ms (a|)', { a: true })],
      });
      return { ...browserFlapping(ts, blips(0, 1, 500, 1000)), ports };
    });
    expect(log).toEqual([]);
    expect(ports.probeCalls).toEqual([500]);
    expect(ports.loginCalls).toEqual([]);
  });

  it('still offline when the grace runs out: CONF_RESUMING_IND at exactly 1000, the usual sequence once online', () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    const log = runPipeline(ts, ({ cold }) => {
      ports = new FakePorts(ts, {
        login: [() => cold('50ms (a|)', { a: SESSION })],
        conf: [() => cold('30ms (a|)', { a: CONF_INFO })],
        probe: [() => cold('(a|)', { a: true })],
      });
      return {
        ...browserFlapping(ts, [
          [0, 'offline'],
          [3000, 'online'],
        ]),
        ports,
      };
    });
    expect(stateAt(log, 999)).toBe('idle');
    expect(summary(log)).toEqual([
      ['CONF_RESUMING_IND', H0, 0, 1000],
      ['LOGIN_RESUMING_IND', 0, 0, 1000],
      ['AUTH_SUCCESS', 0, 0, 3050],
      ['LOGIN_SUCCESS', 0, 0, 3050],
      ['LOGIN_RESUME_RESULT', 0, 0, 3050],
      ['CONF_RESUME_RESULT', H1, 0, 3080],
    ]);
    expect(notifications(log)[0]?.data).toEqual({ reason: 'offline' });
    expect(notifications(log)[5]?.data).toEqual({ original_handle: H0, join_conf_ind_info: JOIN_INFO });
    // No attempt while offline, one at once when it is back; no probe inside an episode.
    expect(ports.loginCalls).toEqual([3000]);
    expect(ports.confCalls).toEqual([3050]);
    expect(ports.probeCalls).toEqual([]);
  });

  it('the 60 s window counts from that CONF_RESUMING_IND (grace end at 1000 → abandoned at 61 000)', () => {
    const ts = newScheduler();
    const log = runPipeline(ts, () => {
      const ports = new FakePorts(ts, { login: [() => NEVER] });
      return { ...browserFlapping(ts, [[0, 'offline']]), ports };
    });
    expect(summary(log)).toEqual([
      ['CONF_RESUMING_IND', H0, 0, 1000],
      ['LOGIN_RESUMING_IND', 0, 0, 1000],
      ['LOGIN_RESUME_RESULT', 0, TIMEOUT, 61_000],
      ['CONF_RESUME_RESULT', H0, TIMEOUT, 61_000],
    ]);
    expect(stateAt(log, 60_999)).toBe('resuming-login');
  });

  it('the grace is an option', () => {
    const ts = newScheduler();
    const log = runPipeline(ts, () => {
      const ports = new FakePorts(ts, { login: [() => NEVER] });
      return { ...browserFlapping(ts, [[0, 'offline']]), ports, offlineGraceMs: 250 };
    });
    expect(summary(log)[0]).toEqual(['CONF_RESUMING_IND', H0, 0, 250]);
  });

  it('offline then online 10 ms later (an address change): the episode starts at once, no probe', () => {
    expect(ADDRESS_CHANGE_MS).toBe(250);
    const ts = newScheduler();
    let ports!: FakePorts;
    const log = runPipeline(ts, ({ cold }) => {
      ports = new FakePorts(ts, {
        login: [() => cold('10ms (a|)', { a: SESSION })],
        conf: [() => cold('(a|)', { a: CONF_INFO })],
        probe: [() => cold('(a|)', { a: true })],
      });
      return { ...browserFlapping(ts, blips(0, 1, 10, 1000)), ports };
    });
    expect(summary(log)[0]).toEqual(['CONF_RESUMING_IND', H0, 0, 10]);
    expect(notifications(log)[0]?.data).toEqual({ reason: 'offline' });
    expect(ports.probeCalls).toEqual([]);
    expect(ports.loginCalls).toEqual([10]);
    expect(summary(log).at(-1)).toEqual(['CONF_RESUME_RESULT', H1, 0, 20]);
  });

  it('back 250 ms after offline is a blip, not an address change: probed', () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    const log = runPipeline(ts, ({ cold }) => {
      ports = new FakePorts(ts, {
        login: [() => cold('(a|)', { a: SESSION })],
        probe: [() => cold('10ms (a|)', { a: true })],
      });
      return { ...browserFlapping(ts, blips(0, 1, 250, 1000)), ports };
    });
    expect(log).toEqual([]);
    expect(ports.probeCalls).toEqual([250]);
  });

  it('a socket disconnect during the grace starts the episode at once', () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    const log = runPipeline(ts, ({ hot, cold }) => {
      ports = new FakePorts(ts, {
        login: [() => cold('10ms (a|)', { a: SESSION })],
        conf: [() => cold('(a|)', { a: CONF_INFO })],
        probe: [() => cold('(a|)', { a: true })],
      });
      const browser = browserFlapping(ts, [
        [0, 'offline'],
        [5000, 'online'],
      ]);
      return {
        triggers$: merge(browser.triggers$, hot('200ms s', { s: T('socket-disconnect') })),
        online$: browser.online$,
        ports,
      };
    });
    expect(summary(log)[0]).toEqual(['CONF_RESUMING_IND', H0, 0, 200]);
    expect(notifications(log)[0]?.data).toEqual({ reason: 'socket-disconnect' });
    // The episode waits for the network as usual.
    expect(ports.loginCalls).toEqual([5000]);
    expect(summary(log).at(-1)).toEqual(['CONF_RESUME_RESULT', H1, 0, 5010]);
    expect(count(log, 'CONF_RESUMING_IND')).toBe(1);
  });

  it('back within the grace but the probe finds the path broken: the episode starts when it answers', () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    const log = runPipeline(ts, ({ cold }) => {
      ports = new FakePorts(ts, {
        login: [() => cold('10ms (a|)', { a: SESSION })],
        conf: [() => cold('(a|)', { a: CONF_INFO })],
        probe: [() => cold('30ms (a|)', { a: false })],
      });
      return { ...browserFlapping(ts, blips(0, 1, 400, 1000)), ports };
    });
    expect(ports.probeCalls).toEqual([400]);
    expect(summary(log)[0]).toEqual(['CONF_RESUMING_IND', H0, 0, 430]);
    expect(notifications(log)[0]?.data).toEqual({ reason: 'offline' });
    expect(ports.loginCalls).toEqual([430]);
  });

  it('10 blips of 500 ms: no episode, one probe per return', () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    const log = runPipeline(ts, ({ cold }) => {
      ports = new FakePorts(ts, {
        login: [() => cold('(a|)', { a: SESSION })],
        probe: [() => cold('20ms (a|)', { a: true })],
      });
      return { ...browserFlapping(ts, blips(0, 10, 500, 1000)), ports };
    });
    expect(log).toEqual([]);
    expect(ports.probeCalls).toEqual(Array.from({ length: 10 }, (_, k) => 500 + k * 1000));
    expect(ports.loginCalls).toEqual([]);
  });

  it('offline for 3 s, then 8 blips of 500 ms: exactly one episode and one pair of RESULTs', () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    const log = runPipeline(ts, ({ cold }) => {
      ports = new FakePorts(ts, {
        login: [() => cold('50ms (a|)', { a: SESSION })],
        conf: [() => cold('30ms (a|)', { a: CONF_INFO })],
        probe: [() => cold('20ms (a|)', { a: true })],
      });
      return { ...browserFlapping(ts, [...blips(0, 1, 3000, 3000), ...blips(3500, 8, 500, 1000)]), ports };
    });
    expect(count(log, 'CONF_RESUMING_IND')).toBe(1);
    expect(count(log, 'LOGIN_RESUMING_IND')).toBe(1);
    expect(count(log, 'LOGIN_RESUME_RESULT')).toBe(1);
    expect(count(log, 'CONF_RESUME_RESULT')).toBe(1);
    expect(summary(log).filter(([e]) => e.includes('RESUM'))).toEqual([
      ['CONF_RESUMING_IND', H0, 0, 1000],
      ['LOGIN_RESUMING_IND', 0, 0, 1000],
      ['LOGIN_RESUME_RESULT', 0, 0, 3050],
      ['CONF_RESUME_RESULT', H1, 0, 3080],
    ]);
    expect(ports.loginCalls).toEqual([3000]);
    expect(ports.probeCalls).toEqual(Array.from({ length: 8 }, (_, k) => 4000 + k * 1000));
  });

  it('an offline folded behind an online that came after it counts as back: probed, no episode', () => {
    // offline 0 (passes, grace), online 300 (back: probe), offline 320 and online 600 fold into
    // the offline of 320, emitted at 420: the network came back (600) after it, so a probe.
    const ts = newScheduler();
    let ports!: FakePorts;
    const log = runPipeline(ts, ({ cold }) => {
      ports = new FakePorts(ts, {
        login: [() => cold('(a|)', { a: SESSION })],
        probe: [() => cold('10ms (a|)', { a: true })],
      });
      return {
        ...browserFlapping(ts, [
          [0, 'offline'],
          [300, 'online'],
          [320, 'offline'],
          [600, 'online'],
        ]),
        ports,
      };
    });
    expect(log).toEqual([]);
    expect(ports.probeCalls).toEqual([300, 600]);
  });

  it('an offline while a connection change is being probed gets its own grace', () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    const log = runPipeline(ts, ({ hot, cold }) => {
      ports = new FakePorts(ts, {
        conference: null,
        login: [() => NEVER],
        probe: [() => cold('2s (a|)', { a: true })],
      });
      const browser = browserFlapping(ts, [[500, 'offline']]);
      return {
        triggers$: merge(hot('c', { c: T('connection-change') }), browser.triggers$),
        online$: browser.online$,
        ports,
      };
    });
    expect(ports.probeCalls).toEqual([0]);
    expect(summary(log)[0]).toEqual(['LOGIN_RESUMING_IND', 0, 0, 1500]);
    expect(notifications(log)[0]?.data).toEqual({ reason: 'offline' });
  });

  it('inside an episode offline is not graced: it aborts the attempt in flight, which restarts when online', () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    runPipeline(ts, ({ hot, cold }) => {
      ports = new FakePorts(ts, {
        conference: null,
        login: [() => cold('1s (a|)', { a: SESSION })],
      });
      const browser = browserFlapping(ts, blips(300, 1, 500, 1000));
      return {
        triggers$: merge(hot('s', { s: T('socket-disconnect') }), browser.triggers$),
        online$: browser.online$,
        ports,
      };
    });
    expect(ports.loginCalls).toEqual([0, 800]);
  });
});
