import { describe, expect, it } from 'vitest';
import { type IceStat, icePathOf } from '../../../web/src/sdk/media/ice-path.ts';

/** A report like Chrome's after an ICE restart (ufrag `new`) of a link first made with `old`. */
function report(
  over: { selected?: string; newPair?: Partial<IceStat>; oldPair?: Partial<IceStat> } = {},
): IceStat[] {
  return [
    { type: 'transport', id: 'T01', selectedCandidatePairId: over.selected ?? 'CP-old' },
    { type: 'local-candidate', id: 'L-old', usernameFragment: 'old' },
    { type: 'local-candidate', id: 'L-new', usernameFragment: 'new' },
    {
      type: 'candidate-pair',
      id: 'CP-old',
      localCandidateId: 'L-old',
      state: 'in-progress',
      writable: true,
      ...over.oldPair,
    },
    {
      type: 'candidate-pair',
      id: 'CP-new',
      localCandidateId: 'L-new',
      state: 'succeeded',
      writable: true,
      ...over.newPair,
    },
  ];
}

const connected = { connecting: false, ufrag: 'new' };

describe('icePathOf', () => {
  it('a working pair of the current generation while an old one stays selected is stranded', () => {
    expect(icePathOf(report(), connected)).toBe('stranded');
  });

  it('no pair of the current generation working yet, but their checks answered on one: stranded', () => {
    const answered = { state: 'waiting', writable: false, responsesSent: 1 };
    expect(icePathOf(report({ newPair: answered }), connected)).toBe('stranded');
    expect(icePathOf(report({ selected: 'CP-new', newPair: answered }), connected)).toBe('settled');
  });

  it('the current generation selected, or none of it working, is settled', () => {
    expect(icePathOf(report({ selected: 'CP-new' }), connected)).toBe('settled');
    expect(icePathOf(report({ newPair: { state: 'in-progress', writable: false } }), connected)).toBe(
      'settled',
    );
    expect(icePathOf(report({ newPair: { state: 'failed', writable: false } }), connected)).toBe('settled');
  });

  it('no restart yet (the selected pair is of the current generation) is settled', () => {
    expect(icePathOf(report(), { connecting: false, ufrag: 'old' })).toBe('settled');
  });

  it('a browser that does not name candidates by ufrag (Firefox) is never stranded', () => {
    const stats = report().map((s) => (s.type === 'local-candidate' ? { type: s.type, id: s.id } : s));
    expect(icePathOf(stats, connected)).toBe('settled');
  });

  it('a link not connected yet with checks going is checking; with all done, not', () => {
    const first = [
      report()[0],
      ...report()
        .slice(1)
        .map((s) => ({ ...s, state: 'waiting' })),
    ];
    expect(icePathOf(first, { connecting: true, ufrag: 'new' })).toBe('checking');
    const failed = report({ oldPair: { state: 'failed' }, newPair: { state: 'failed', writable: false } });
    expect(icePathOf(failed, { connecting: true, ufrag: 'new' })).toBe('settled');
  });
});
