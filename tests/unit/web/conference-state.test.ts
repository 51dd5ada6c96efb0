import { describe, expect, it } from 'vitest';
import type { ConfEvent, Participant } from '../../../shared/src/index.ts';
import { applyConfEvent, type ConferenceState } from '../../../web/src/sdk/conference/conference-state.ts';

const p = (handle: number, userId: string, name = userId): Participant => ({
  handle,
  userId,
  name,
  status: 'connected',
});
const base = { room: 'r1', at: 0 };
const state = (roster: Participant[], lastSeq = 3): ConferenceState => ({ roster, lastSeq });

describe('applyConfEvent', () => {
  it('ignores duplicates (seq ≤ lastSeq)', () => {
    const s = state([p(1, 'a')]);
    const e: ConfEvent = { ...base, seq: 3, kind: 'joined', participant: p(2, 'b') };
    expect(applyConfEvent(s, e)).toBeNull();
    expect(applyConfEvent(s, { ...e, seq: 1 })).toBeNull();
  });

  it('adds a joined participant and advances lastSeq', () => {
    const next = applyConfEvent(state([p(1, 'a')]), {
      ...base,
      seq: 4,
      kind: 'joined',
      participant: p(2, 'b'),
    });
    expect(next).toEqual({ roster: [p(1, 'a'), p(2, 'b')], lastSeq: 4 });
  });

  it('never lists a participant twice', () => {
    const next = applyConfEvent(state([p(1, 'a'), p(2, 'b')]), {
      ...base,
      seq: 4,
      kind: 'joined',
      participant: p(2, 'b', 'B again'),
    });
    expect(next?.roster).toEqual([p(1, 'a'), p(2, 'b', 'B again')]);
  });

  it('removes a participant who left', () => {
    const next = applyConfEvent(state([p(1, 'a'), p(2, 'b')]), {
      ...base,
      seq: 4,
      kind: 'left',
      handle: 1,
      reason: 'left',
    });
    expect(next?.roster).toEqual([p(2, 'b')]);
  });

  it('replaces a handle in place: no leave, no join, no duplicate', () => {
    const next = applyConfEvent(state([p(1, 'a'), p(2, 'b'), p(3, 'c')]), {
      ...base,
      seq: 4,
      kind: 'replaced',
      oldHandle: 2,
      participant: p(9, 'b'),
    });
    expect(next?.roster).toEqual([p(1, 'a'), p(9, 'b'), p(3, 'c')]);
  });

  it('a replacement of an unknown handle appends the participant', () => {
    const next = applyConfEvent(state([p(1, 'a')]), {
      ...base,
      seq: 4,
      kind: 'replaced',
      oldHandle: 7,
      participant: p(9, 'b'),
    });
    expect(next?.roster).toEqual([p(1, 'a'), p(9, 'b')]);
  });

  it('updates a status', () => {
    const next = applyConfEvent(state([p(1, 'a'), p(2, 'b')]), {
      ...base,
      seq: 4,
      kind: 'status',
      handle: 2,
      status: 'reconnecting',
    });
    expect(next?.roster[1]?.status).toBe('reconnecting');
    expect(next?.roster[0]?.status).toBe('connected');
  });

  it('chat keeps the roster and advances lastSeq', () => {
    const s = state([p(1, 'a')]);
    const next = applyConfEvent(s, {
      ...base,
      seq: 4,
      kind: 'chat',
      message: { id: 'm1', from: 1, name: 'a', text: 'hi', at: 0 },
    });
    expect(next).toEqual({ roster: s.roster, lastSeq: 4 });
  });

  it('does not mutate its input', () => {
    const roster = [p(1, 'a')];
    const s = state(roster);
    applyConfEvent(s, { ...base, seq: 4, kind: 'status', handle: 1, status: 'reconnecting' });
    expect(roster[0]?.status).toBe('connected');
  });
});
