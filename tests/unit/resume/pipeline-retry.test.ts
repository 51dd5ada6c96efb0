/** The resume pipeline: transient failures retried silently, and attempts while the network comes and goes (rule 6). */
import { NEVER } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ResultCode } from '../../../shared/src/index.ts';
import { TransportError } from '../../../web/src/sdk/resume/ports.ts';
import {
  CONF_INFO,
  FakePorts,
  failure,
  H0,
  H1,
  newScheduler,
  runPipeline,
  SESSION,
  states,
  summary,
} from './fakes.ts';
import { fixedPolicy, T } from './pipeline-helpers.ts';

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
