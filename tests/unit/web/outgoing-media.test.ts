import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { arrivedSince, OutgoingMedia } from '../../../web/src/sdk/media/outgoing-media.ts';

describe('arrivedSince', () => {
  it('sees a pair whose counter grew, and a pair new since then that received something', () => {
    const before = new Map([['p1', 10]]);
    expect(arrivedSince(before, new Map([['p1', 10]]))).toBe(false);
    expect(arrivedSince(before, new Map([['p1', 11]]))).toBe(true);
    expect(arrivedSince(before, new Map([['p2', 1]]))).toBe(true);
    expect(arrivedSince(before, new Map([['p2', 0]]))).toBe(false);
    // A pair the restart dropped is not "less arrived".
    expect(arrivedSince(before, new Map())).toBe(false);
  });
});

/** A link whose pairs' arrivals the test moves, and whose encoder toggles (by kind) it records. */
function link() {
  const pc = {} as RTCPeerConnection;
  const state = { arrived: 5, refuse: false, open: true };
  const toggles: string[] = [];
  const media = new OutgoingMedia({
    peerConnection: () => (state.open ? pc : null),
    arrivals: async () => new Map([['pair', state.arrived]]),
    setActive: async (_pc, active, kinds) => {
      toggles.push(`${kinds.join('+')} ${active ? 'on' : 'off'}`);
      return !(active && state.refuse);
    },
    pollMs: 100,
    now: () => Date.now(),
  });
  return { media, state, toggles };
}

describe('OutgoingMedia', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('leaves a path alone that carries something at every poll', async () => {
    const { media, state, toggles } = link();
    media.hold();
    for (let i = 0; i < 5; i++) {
      state.arrived += 1;
      await vi.advanceTimersByTimeAsync(100);
    }
    expect(toggles).toEqual([]);
    expect(media.held).toBe(false);
    expect(media.holds).toBe(0);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('holds once a poll sees nothing arrive, even after a first reading that did (a stale report)', async () => {
    const { media, state, toggles } = link();
    media.hold();
    state.arrived += 1;
    await vi.advanceTimersByTimeAsync(100);
    expect(toggles).toEqual([]);
    await vi.advanceTimersByTimeAsync(100);
    expect(toggles).toEqual(['audio+video off']);
    expect(media.held).toBe(true);
  });

  it('holds a silent path, audio and video, until something arrives from the other side, then sends again', async () => {
    const { media, state, toggles } = link();
    media.hold();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(toggles).toEqual(['audio+video off']);
    expect(media.held).toBe(true);
    state.arrived += 1;
    await vi.advanceTimersByTimeAsync(100);
    expect(toggles).toEqual(['audio+video off', 'audio+video on']);
    expect(media.held).toBe(false);
    expect(media.holds).toBe(1);
  });

  it('tries the release again while a sender refuses it, and holds once however often asked', async () => {
    const { media, state, toggles } = link();
    media.hold();
    media.hold();
    await vi.advanceTimersByTimeAsync(100);
    state.refuse = true;
    state.arrived += 1;
    await vi.advanceTimersByTimeAsync(300);
    expect(media.held).toBe(true);
    state.refuse = false;
    await vi.advanceTimersByTimeAsync(100);
    expect(media.held).toBe(false);
    expect(toggles.filter((t) => t === 'audio+video off')).toHaveLength(1);
    expect(toggles.at(-1)).toBe('audio+video on');
  });

  it('forces no keyframe while held (the release restarts the encoders), and spaces keyframes out', async () => {
    const { media, state, toggles } = link();
    media.hold();
    await vi.advanceTimersByTimeAsync(100);
    await media.keyframe();
    expect(toggles).toEqual(['audio+video off']);
    state.arrived += 1;
    await vi.advanceTimersByTimeAsync(100);
    await vi.advanceTimersByTimeAsync(1_000);
    await media.keyframe();
    await media.keyframe();
    // A keyframe restarts the video encoders only: audio goes on without a gap.
    expect(toggles).toEqual(['audio+video off', 'audio+video on', 'video off', 'video on']);
    expect(media.keyframesForced).toBe(1);
  });

  it('a provisional hold, lifted: sends again at once, nothing arrived; lifted before it held: never held', async () => {
    const { media, toggles } = link();
    media.hold(true);
    await vi.advanceTimersByTimeAsync(300);
    expect(toggles).toEqual(['audio+video off']);
    media.lift();
    await vi.advanceTimersByTimeAsync(0);
    expect(toggles).toEqual(['audio+video off', 'audio+video on']);
    expect(media.held).toBe(false);
    expect(vi.getTimerCount()).toBe(0);

    media.hold(true);
    media.lift();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(toggles).toHaveLength(2);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a lift ends only a provisional hold: not one asked for sure, before or since, nor a sending link', async () => {
    const { media, state, toggles } = link();
    media.lift();
    media.hold();
    media.hold(true);
    await vi.advanceTimersByTimeAsync(300);
    media.lift();
    await vi.advanceTimersByTimeAsync(500);
    expect(media.held).toBe(true);

    state.arrived += 1;
    await vi.advanceTimersByTimeAsync(100);
    media.hold(true);
    media.hold();
    await vi.advanceTimersByTimeAsync(300);
    media.lift();
    await vi.advanceTimersByTimeAsync(500);
    expect(media.held).toBe(true);
    expect(toggles).toEqual(['audio+video off', 'audio+video on', 'audio+video off']);
  });

  it('a lifted hold that a sender refuses to release is tried again at the next poll', async () => {
    const { media, state, toggles } = link();
    media.hold(true);
    await vi.advanceTimersByTimeAsync(300);
    state.refuse = true;
    media.lift();
    await vi.advanceTimersByTimeAsync(300);
    expect(media.held).toBe(true);
    state.refuse = false;
    await vi.advanceTimersByTimeAsync(100);
    expect(media.held).toBe(false);
    expect(toggles.at(-1)).toBe('audio+video on');
  });

  it('a hold asked for sure while a lifted one is still being released keeps it held', async () => {
    const { media, state } = link();
    media.hold(true);
    await vi.advanceTimersByTimeAsync(300);
    state.refuse = true;
    media.lift();
    await vi.advanceTimersByTimeAsync(100);
    media.hold();
    state.refuse = false;
    await vi.advanceTimersByTimeAsync(500);
    expect(media.held).toBe(true);
  });

  it('stops polling when the link is gone', async () => {
    const { media, state, toggles } = link();
    media.hold();
    await vi.advanceTimersByTimeAsync(100);
    expect(media.held).toBe(true);
    state.open = false;
    state.arrived += 1;
    await vi.advanceTimersByTimeAsync(1_000);
    expect(toggles).toEqual(['audio+video off']);
    expect(vi.getTimerCount()).toBe(0);
  });
});
