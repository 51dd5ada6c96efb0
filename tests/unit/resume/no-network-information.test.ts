/**
 * The resume pipeline in a browser without the Network Information API (Firefox, Safari: no
 * `navigator.connection`), wired as the SDK wires it (meeting-client.ts passes the page's
 * `window` and `navigator` to watchNetwork and watchOnline). `online`/`offline`, ICE state, a
 * media stall and the signaling heartbeat must still start episodes, and the episodes finish
 * with the exact sequence. Virtual time.
 */
import { merge, NEVER, Observable, Subject } from 'rxjs';
import type { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import {
  type MediaTriggerReason,
  type PeerStateChange,
  watchNetwork,
  watchOnline,
} from '../../../web/src/sdk/resume/watch-network.ts';
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

const EPISODE = [
  'CONF_RESUMING_IND',
  'LOGIN_RESUMING_IND',
  'AUTH_SUCCESS',
  'LOGIN_SUCCESS',
  'LOGIN_RESUME_RESULT',
  'CONF_RESUME_RESULT',
];

/**
 * Firefox's shape: `navigator` has `onLine` and no `connection` property at all (`'connection'
 * in navigator` is false there); reading anything else from it fails the test.
 */
function firefoxNavigator() {
  const state = { onLine: true };
  const navigator = new Proxy(state, {
    get(target, key) {
      if (key === 'onLine') return target.onLine;
      if (key === 'connection') return undefined;
      throw new Error(`navigator.${String(key)} read`);
    },
    has: (_target, key) => key === 'onLine',
  });
  return { state, navigator: navigator as { readonly onLine: boolean } };
}

interface Sources {
  peerStates$?: Observable<PeerStateChange>;
  socketDisconnects$?: Observable<string>;
  mediaOutages$?: Observable<{ reason: MediaTriggerReason }>;
}

/**
 * The pipeline's inputs from a fake `window` whose `offline`/`online` events fire at the given
 * virtual times (`navigator.onLine` first, then the event, as browsers do) and a Firefox navigator.
 */
function firefoxBrowser(ts: TestScheduler, changes: [number, 'offline' | 'online'][], sources: Sources = {}) {
  const window = new EventTarget();
  const { state, navigator } = firefoxNavigator();
  expect('connection' in navigator).toBe(false);
  for (const [at, type] of changes) {
    ts.schedule(() => {
      state.onLine = type === 'online';
      window.dispatchEvent(new Event(type));
    }, at);
  }
  const inputs = { window, navigator, ...sources };
  return { triggers$: watchNetwork(inputs), online$: watchOnline(inputs) };
}

/** A cold observable that emits `value` after `ms` of virtual time and completes. */
const replyAfter = <T>(ts: TestScheduler, ms: number, value: T) =>
  new Observable<T>((subscriber) => {
    const action = ts.schedule(() => {
      subscriber.next(value);
      subscriber.complete();
    }, ms);
    return () => action.unsubscribe();
  });

/** Emits `value` once at virtual time `at` (hot). */
function at<T>(ts: TestScheduler, when: number, value: T): Observable<T> {
  const subject = new Subject<T>();
  ts.schedule(() => subject.next(value), when);
  return subject;
}

const events = (log: ReturnType<typeof runPipeline>) => summary(log).map(([event]) => event);

describe('no navigator.connection (Firefox): the browser network events still drive episodes', () => {
  it('offline for 3 s: CONF_RESUMING_IND when the 1 s grace runs out, the exact episode once online', () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    const log = runPipeline(ts, () => {
      ports = new FakePorts(ts, {
        login: [() => replyAfter(ts, 50, SESSION)],
        conf: [() => replyAfter(ts, 30, CONF_INFO)],
        probe: [() => replyAfter(ts, 0, true)],
      });
      return {
        ...firefoxBrowser(ts, [
          [0, 'offline'],
          [3000, 'online'],
        ]),
        ports,
      };
    });
    expect(summary(log)).toEqual([
      ['CONF_RESUMING_IND', H0, 0, 1000],
      ['LOGIN_RESUMING_IND', 0, 0, 1000],
      ['AUTH_SUCCESS', 0, 0, 3050],
      ['LOGIN_SUCCESS', 0, 0, 3050],
      ['LOGIN_RESUME_RESULT', 0, 0, 3050],
      ['CONF_RESUME_RESULT', H1, 0, 3080],
    ]);
    expect(notifications(log)[0]?.data).toEqual({ reason: 'offline' });
    expect(notifications(log)[5]?.data).toMatchObject({ original_handle: H0 });
    // Nothing is tried while the browser says it is offline; at once when it is back.
    expect(ports.loginCalls).toEqual([3000]);
  });

  it('offline then online 10 ms later (an address change, the only sign Firefox gives): an episode at once', () => {
    const ts = newScheduler();
    let ports!: FakePorts;
    const log = runPipeline(ts, () => {
      ports = new FakePorts(ts, {
        login: [() => replyAfter(ts, 10, SESSION)],
        conf: [() => replyAfter(ts, 0, CONF_INFO)],
        probe: [() => replyAfter(ts, 0, true)],
      });
      return {
        ...firefoxBrowser(ts, [
          [0, 'offline'],
          [10, 'online'],
        ]),
        ports,
      };
    });
    expect(summary(log)[0]).toEqual(['CONF_RESUMING_IND', H0, 0, 10]);
    expect(events(log)).toEqual(EPISODE);
    expect(summary(log).at(-1)).toEqual(['CONF_RESUME_RESULT', H1, 0, 20]);
    expect(ports.probeCalls).toEqual([]);
  });

  it('`online` alone is checked with a probe: a dead server starts the episode, a live one nothing', () => {
    for (const healthy of [false, true]) {
      const ts = newScheduler();
      let ports!: FakePorts;
      const log = runPipeline(ts, () => {
        ports = new FakePorts(ts, {
          login: [() => replyAfter(ts, 40, SESSION)],
          conf: [() => replyAfter(ts, 20, CONF_INFO)],
          probe: [() => replyAfter(ts, 30, healthy)],
        });
        return { ...firefoxBrowser(ts, [[500, 'online']]), ports };
      });
      expect(ports.probeCalls).toEqual([500]);
      if (healthy) {
        expect(log).toEqual([]);
      } else {
        expect(events(log)).toEqual(EPISODE);
        expect(summary(log)[0]).toEqual(['CONF_RESUMING_IND', H0, 0, 530]);
        expect(notifications(log)[0]?.data).toEqual({ reason: 'online' });
      }
    }
  });
});

describe('no navigator.connection (Firefox): the other signs start and finish episodes too', () => {
  const cases: [string, (ts: TestScheduler) => Sources, string][] = [
    [
      'ICE failed on a peer',
      (ts) => ({
        peerStates$: merge(
          at(ts, 0, { userId: 'b', iceConnectionState: 'connected', connectionState: 'connected' } as const),
          at(ts, 200, { userId: 'b', iceConnectionState: 'failed', connectionState: 'failed' } as const),
        ),
      }),
      'peer-failed',
    ],
    [
      'a media stall given to this side',
      (ts) => ({ mediaOutages$: at(ts, 200, { reason: 'media-stall' as const }) }),
      'media-stall',
    ],
    [
      'the signaling heartbeat (ping timeout)',
      (ts) => ({ socketDisconnects$: at(ts, 200, 'ping timeout') }),
      'heartbeat-timeout',
    ],
  ];
  for (const [what, sources, reason] of cases) {
    it(`${what}: one episode, the exact sequence, a new handle linked to the original`, () => {
      const ts = newScheduler();
      const log = runPipeline(ts, () => {
        const ports = new FakePorts(ts, {
          login: [() => replyAfter(ts, 50, SESSION)],
          conf: [() => replyAfter(ts, 30, CONF_INFO)],
          probe: [() => replyAfter(ts, 0, true)],
          media: [() => replyAfter(ts, 500, true)],
        });
        return { ...firefoxBrowser(ts, [], sources(ts)), ports };
      });
      expect(events(log)).toEqual(EPISODE);
      expect(summary(log)[0]).toEqual(['CONF_RESUMING_IND', H0, 0, 200]);
      expect(notifications(log)[0]?.data).toEqual({ reason });
      const result = notifications(log)[5];
      expect(result).toMatchObject({ param1: H1, param2: 0, data: { original_handle: H0 } });
    });
  }

  it('a network with no events at all (NEVER): nothing happens', () => {
    const ts = newScheduler();
    const log = runPipeline(ts, () => {
      const ports = new FakePorts(ts, { login: [() => NEVER] });
      return { ...firefoxBrowser(ts, []), ports };
    });
    expect(log).toEqual([]);
  });
});
