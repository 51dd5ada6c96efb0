import { describe, expect, it } from 'vitest';
import type { ConfResumeInfo } from '../../../shared/src/index.ts';
import { IDLE, type ResumeState, reduceResumeState } from '../../../web/src/sdk/resume/state.ts';
import { CONF_INFO, CONFERENCE, H0, H1, SESSION } from './fakes.ts';

const session = SESSION as Extract<typeof SESSION, { code: 0 }>;
const info = CONF_INFO as Extract<typeof CONF_INFO, { code: 0 }> as ConfResumeInfo;
const start = (conference = CONFERENCE as typeof CONFERENCE | null) =>
  reduceResumeState(IDLE, {
    type: 'episode-started',
    at: 1000,
    windowMs: 60_000,
    reason: 'offline',
    conference,
  });

describe('reduceResumeState', () => {
  it('idle → resuming-login with the episode facts', () => {
    expect(start()).toEqual({
      kind: 'resuming-login',
      startedAt: 1000,
      deadline: 61_000,
      reason: 'offline',
      originalHandle: H0,
      conference: CONFERENCE,
      attempts: 0,
    });
    expect(start(null)).toMatchObject({ kind: 'resuming-login', originalHandle: null, conference: null });
  });

  it('counts attempts; ignores them when not resuming', () => {
    const s = reduceResumeState(reduceResumeState(start(), { type: 'attempt-started' }), {
      type: 'attempt-started',
    });
    expect(s).toMatchObject({ kind: 'resuming-login', attempts: 2 });
    expect(reduceResumeState(IDLE, { type: 'attempt-started' })).toBe(IDLE);
  });

  it('login-resumed → resuming-conference in a conference, resumed otherwise', () => {
    expect(reduceResumeState(start(), { type: 'login-resumed', at: 1200, session })).toMatchObject({
      kind: 'resuming-conference',
      originalHandle: H0,
    });
    expect(
      JSON.stringify(reduceResumeState(start(), { type: 'login-resumed', at: 1200, session })),
    ).not.toContain(session.resumeToken);
    expect(reduceResumeState(start(null), { type: 'login-resumed', at: 1200, session })).toMatchObject({
      kind: 'resumed',
      endedAt: 1200,
      newHandle: null,
    });
  });

  it('conference-resumed → resumed with the new handle', () => {
    const s = reduceResumeState(reduceResumeState(start(), { type: 'login-resumed', at: 1200, session }), {
      type: 'conference-resumed',
      at: 1300,
      info,
    });
    expect(s).toMatchObject({
      kind: 'resumed',
      originalHandle: H0,
      newHandle: H1,
      startedAt: 1000,
      endedAt: 1300,
    });
  });

  it('failed keeps the code and whether the login had resumed', () => {
    expect(reduceResumeState(start(), { type: 'failed', at: 2000, code: 7 })).toMatchObject({
      kind: 'failed',
      code: 7,
      loginResumed: false,
      endedAt: 2000,
    });
    const afterLogin = reduceResumeState(start(), { type: 'login-resumed', at: 1200, session });
    expect(reduceResumeState(afterLogin, { type: 'failed', at: 2000, code: 7 })).toMatchObject({
      loginResumed: true,
    });
  });

  it('one episode at a time: episode-started while resuming changes nothing', () => {
    const s = start();
    expect(
      reduceResumeState(s, {
        type: 'episode-started',
        at: 5000,
        windowMs: 60_000,
        reason: 'online',
        conference: null,
      }),
    ).toBe(s);
  });

  it('a new episode may start after the end; reset returns to idle', () => {
    const ended: ResumeState = reduceResumeState(start(), { type: 'failed', at: 2000, code: 7 });
    expect(
      reduceResumeState(ended, {
        type: 'episode-started',
        at: 9000,
        windowMs: 60_000,
        reason: 'online',
        conference: null,
      }),
    ).toMatchObject({ kind: 'resuming-login', startedAt: 9000 });
    expect(reduceResumeState(ended, { type: 'reset' })).toBe(IDLE);
  });

  it('out-of-order events leave the state unchanged', () => {
    expect(reduceResumeState(IDLE, { type: 'login-resumed', at: 1, session })).toBe(IDLE);
    expect(reduceResumeState(IDLE, { type: 'conference-resumed', at: 1, info })).toBe(IDLE);
    expect(reduceResumeState(IDLE, { type: 'failed', at: 1, code: 7 })).toBe(IDLE);
    const s = start();
    expect(reduceResumeState(s, { type: 'conference-resumed', at: 1, info })).toBe(s);
  });

  it('is pure: the input state is not mutated', () => {
    const s = start();
    const copy = structuredClone(s);
    reduceResumeState(s, { type: 'attempt-started' });
    reduceResumeState(s, { type: 'login-resumed', at: 1, session });
    expect(s).toEqual(copy);
  });
});
