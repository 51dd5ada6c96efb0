/** The resume pipeline: `offline` is suspect until its grace runs out, with a browser flapping on virtual time. */
import { merge, NEVER } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { ADDRESS_CHANGE_MS, OFFLINE_GRACE_MS } from '../../../web/src/sdk/resume/confirm-trigger.ts';
import { watchNetwork, watchOnline } from '../../../web/src/sdk/resume/watch-network.ts';
import {
  CONF_INFO,
  FakePorts,
  H0,
  H1,
  JOIN_INFO,
  newScheduler,
  notifications,
  runPipeline,
  SESSION,
  stateAt,
  summary,
} from './fakes.ts';
import { T, TIMEOUT } from './pipeline-helpers.ts';

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
