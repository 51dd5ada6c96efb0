/**
 * An episode a media trigger started reports success when media flows again, not when the
 * signaling resume alone is done (spec §5); the 60 s rule still bounds it. Virtual time.
 */
import { NEVER, type Observable } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { RESUME_WINDOW_MS, ResultCode } from '../../../shared/src/index.ts';
import type { Trigger } from '../../../web/src/sdk/resume/ports.ts';
import {
  CONF_INFO,
  CONFERENCE,
  FakePorts,
  type FakePortsScript,
  H0,
  H1,
  newScheduler,
  runPipeline,
  SESSION,
  stateAt,
  summary,
} from './fakes.ts';

const T = (reason: Trigger['reason']): Trigger => ({ reason });
const H2 = 3003;
type Cold = TestScheduler['createColdObservable'];

/**
 * One run: the login resumes in 50 ms and the conference in 30 ms unless `script` says
 * otherwise; `triggers` is a hot marble over `values`.
 */
function episode(
  triggers: string,
  values: Record<string, Trigger>,
  script: (cold: Cold) => FakePortsScript,
): { log: ReturnType<typeof runPipeline>; ports: FakePorts } {
  const ts = newScheduler();
  let ports!: FakePorts;
  const log = runPipeline(ts, ({ hot, cold }) => {
    ports = new FakePorts(ts, {
      login: [() => cold('50ms (a|)', { a: SESSION })],
      conf: [() => cold('30ms (a|)', { a: CONF_INFO })],
      ...script(cold as Cold),
    });
    return { triggers$: hot(triggers, values) as Observable<Trigger>, online$: NEVER, ports };
  });
  return { log, ports };
}

describe('a media-triggered episode', () => {
  for (const reason of ['media-stall', 'peer-disconnected', 'peer-failed'] as const) {
    it(`${reason}: takes the new handle at once, reports CONF_RESUME_RESULT when media is back`, () => {
      const { log, ports } = episode('a', { a: T(reason) }, (cold) => ({
        media: [() => cold('8000ms a', { a: true })],
      }));
      expect(summary(log)).toEqual([
        ['CONF_RESUMING_IND', H0, 0, 0],
        ['LOGIN_RESUMING_IND', 0, 0, 0],
        ['AUTH_SUCCESS', 0, 0, 50],
        ['LOGIN_SUCCESS', 0, 0, 50],
        ['LOGIN_RESUME_RESULT', 0, 0, 50],
        ['CONF_RESUME_RESULT', H1, 0, 8_080],
      ]);
      // The facade adopts h1 when the server gave it (renegotiation needs it), once.
      const adopted = log.filter(({ out }) => out.type === 'conference-resumed').map(({ t }) => t);
      expect(adopted).toEqual([80]);
      expect(ports.mediaCalls).toEqual([80]);
      expect(stateAt(log, 8_079)).toBe('resuming-conference');
      expect(stateAt(log, 8_080)).toBe('resumed');
    });
  }

  it('a signaling trigger keeps its meaning: the RESULT when the conference resumed, no media wait', () => {
    const { log, ports } = episode('a', { a: T('socket-disconnect') }, () => ({ media: [() => NEVER] }));
    expect(summary(log).at(-1)).toEqual(['CONF_RESUME_RESULT', H1, 0, 80]);
    expect(ports.mediaCalls).toEqual([]);
  });

  it('media never back: still resuming at 59 999, CONF_RESUME_RESULT(h0, timeout) at 60 000 (login already resumed)', () => {
    const { log } = episode('a', { a: T('media-stall') }, () => ({ media: [() => NEVER] }));
    expect(stateAt(log, RESUME_WINDOW_MS - 1)).toBe('resuming-conference');
    expect(summary(log).slice(-2)).toEqual([
      ['LOGIN_RESUME_RESULT', 0, 0, 50],
      ['CONF_RESUME_RESULT', H0, ResultCode.RESUME_TIMEOUT, RESUME_WINDOW_MS],
    ]);
    expect(stateAt(log, RESUME_WINDOW_MS)).toBe('failed');
  });

  it('more media triggers while waiting start nothing: one episode for a 20 s outage', () => {
    const { log } = episode(
      'a 6000ms b 9999ms c',
      { a: T('media-stall'), b: T('peer-disconnected'), c: T('peer-failed') },
      (cold) => ({ media: [() => cold('20000ms a', { a: true })] }),
    );
    const events = summary(log).map(([e]) => e);
    expect(events.filter((e) => e === 'CONF_RESUMING_IND')).toHaveLength(1);
    expect(summary(log).at(-1)).toEqual(['CONF_RESUME_RESULT', H1, 0, 20_080]);
  });

  it('the socket dies while waiting for media: silent re-login, the conference resumed from the new handle, RESULT names the original', () => {
    const { log, ports } = episode(
      'a 2999ms b',
      { a: T('media-stall'), b: T('socket-disconnect') },
      (cold) => ({
        conf: [
          () => cold('30ms (a|)', { a: CONF_INFO }),
          () => cold('30ms (a|)', { a: { ...CONF_INFO, handle: H2, originalHandle: H1 } }),
        ],
        media: [() => NEVER, () => cold('1000ms a', { a: true })],
      }),
    );
    expect(ports.loginCalls).toEqual([0, 3_000]);
    expect(ports.confContexts).toEqual([CONFERENCE, { ...CONFERENCE, handle: H1 }]);
    // Each login resume names the conference resume that follows it (one request on the wire).
    expect(ports.loginContexts).toEqual(ports.confContexts);
    const result = summary(log).filter(([e]) => e === 'CONF_RESUME_RESULT');
    expect(result).toEqual([['CONF_RESUME_RESULT', H2, 0, 4_080]]);
    const last = log.flatMap(({ out }) => (out.type === 'notify' ? [out.notification] : [])).at(-1);
    expect(last?.data).toMatchObject({ original_handle: H0 });
    // One LOGIN_RESUME_RESULT for the episode: the second login is silent.
    expect(summary(log).filter(([e]) => e === 'LOGIN_RESUME_RESULT')).toHaveLength(1);
  });
});
