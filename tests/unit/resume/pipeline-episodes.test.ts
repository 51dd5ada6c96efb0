/** The resume pipeline: a successful episode, in and out of a conference, and one episode at a time (rules 1–3). */
import { NEVER } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { RESUME_WINDOW_MS, TsdkEvent } from '../../../shared/src/index.ts';
import { TransportError } from '../../../web/src/sdk/resume/ports.ts';
import {
  CONF_INFO,
  CONFERENCE,
  FakePorts,
  H0,
  H1,
  JOIN_INFO,
  newScheduler,
  notifications,
  runPipeline,
  SESSION,
  states,
  summary,
} from './fakes.ts';
import { fixedPolicy, T, TIMEOUT } from './pipeline-helpers.ts';

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
    expect(ports.loginContexts).toEqual([CONFERENCE]);

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
