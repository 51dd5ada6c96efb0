import { describe, it } from 'vitest';
import { coalesce, coalesceTriggers } from '../../../web/src/sdk/resume/coalesce-triggers.ts';
import type { Trigger } from '../../../web/src/sdk/resume/ports.ts';
import { newScheduler } from './fakes.ts';

describe('coalesce', () => {
  it('passes the first value at once, folds the rest of the window into one at its end', () => {
    const ts = newScheduler();
    ts.run(({ hot, expectObservable }) => {
      const source = hot('a 10ms b 20ms c 200ms d');
      expectObservable(source.pipe(coalesce({ windowMs: 100, scheduler: ts }))).toBe('a 99ms c 132ms d');
    });
  });

  it('a lone value is not delayed and not repeated', () => {
    const ts = newScheduler();
    ts.run(({ hot, expectObservable }) => {
      expectObservable(hot('5ms a 500ms b').pipe(coalesce({ windowMs: 100, scheduler: ts }))).toBe(
        '5ms a 500ms b',
      );
    });
  });

  it('completes after the pending value', () => {
    const ts = newScheduler();
    ts.run(({ cold, expectObservable }) => {
      expectObservable(cold('a 10ms b|').pipe(coalesce({ windowMs: 100, scheduler: ts }))).toBe(
        'a 99ms (b|)',
      );
    });
  });
});

describe('coalesceTriggers', () => {
  it('a broken trigger outranks a suspect one in the folded value', () => {
    const ts = newScheduler();
    const values: Record<string, Trigger> = {
      c: { reason: 'connection-change' },
      s: { reason: 'socket-disconnect' },
      o: { reason: 'online' },
      p: { reason: 'peer-failed' },
    };
    ts.run(({ hot, expectObservable }) => {
      const source = hot('c 5ms s 5ms o 200ms s 5ms p', values);
      expectObservable(source.pipe(coalesceTriggers({ windowMs: 100, scheduler: ts }))).toBe(
        'c 99ms s 112ms s 99ms p',
        values,
      );
    });
  });

  it('offline outranks a suspect trigger and is outranked by a broken one', () => {
    const ts = newScheduler();
    const values: Record<string, Trigger> = {
      c: { reason: 'connection-change' },
      f: { reason: 'offline' },
      n: { reason: 'online' },
      s: { reason: 'socket-disconnect' },
    };
    ts.run(({ hot, expectObservable }) => {
      // Three windows, each opened by a connection change: offline then online → offline;
      // offline then socket-disconnect → socket-disconnect; online then offline → offline.
      const source = hot('c 5ms f 5ms n 188ms c 5ms f 5ms s 188ms c 5ms n 5ms f', values);
      expectObservable(source.pipe(coalesceTriggers({ windowMs: 100, scheduler: ts }))).toBe(
        'c 99ms f 100ms c 99ms s 100ms c 99ms f',
        values,
      );
    });
  });
});
