/** The resume pipeline: how an episode ends without success, at 60 s or on a definitive failure (rules 4–5). */
import { NEVER } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { ResultCode, TsdkEvent } from '../../../shared/src/index.ts';
import { TransportError } from '../../../web/src/sdk/resume/ports.ts';
import {
  FakePorts,
  failure,
  H0,
  newScheduler,
  notifications,
  runPipeline,
  SESSION,
  stateAt,
  states,
  summary,
} from './fakes.ts';
import { fixedPolicy, T, TIMEOUT } from './pipeline-helpers.ts';

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
