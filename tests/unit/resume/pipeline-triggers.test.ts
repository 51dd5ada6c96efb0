/** The resume pipeline: what starts an episode: a local address, suspect triggers probed, bursts coalesced. */
import { NEVER, Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import type { TSDK_S_LOCAL_ADDRESS } from '../../../shared/src/index.ts';
import { watchNetwork, watchOnline } from '../../../web/src/sdk/resume/watch-network.ts';
import {
  CONF_INFO,
  FakePorts,
  H0,
  H1,
  newScheduler,
  notifications,
  runPipeline,
  SESSION,
  summary,
} from './fakes.ts';
import { T, TIMEOUT } from './pipeline-helpers.ts';

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
