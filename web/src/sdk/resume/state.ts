/**
 * The resume state: a discriminated union changed only by `reduceResumeState`, a pure function
 * of (state, internal event). Side effects (port calls, timers, notifications) live in the stages.
 */
import type { ConfResumeInfo, SessionInfo } from '../../../../shared/src/index.ts';
import type { ConferenceContext, TriggerReason } from './ports.ts';

interface EpisodeFacts {
  /** Scheduler time of the episode's first RESUMING_IND. */
  startedAt: number;
  /** startedAt + the resume window: the instant the episode is abandoned. */
  deadline: number;
  /** What started the episode. */
  reason: TriggerReason;
  /** The conference handle when the episode started; null for a login-only episode. */
  originalHandle: number | null;
  conference: ConferenceContext | null;
}

export type ResumeState =
  | { kind: 'idle' }
  | (EpisodeFacts & { kind: 'resuming-login'; attempts: number })
  | (EpisodeFacts & {
      kind: 'resuming-conference';
      conference: ConferenceContext;
      originalHandle: number;
      attempts: number;
    })
  | (EpisodeFacts & { kind: 'resumed'; endedAt: number; newHandle: number | null })
  | (EpisodeFacts & { kind: 'failed'; endedAt: number; code: number; loginResumed: boolean });

export type ResumeStateKind = ResumeState['kind'];

/** Internal events (not the public TSDK notifications). */
export type ResumeEvent =
  | {
      type: 'episode-started';
      at: number;
      windowMs: number;
      reason: TriggerReason;
      conference: ConferenceContext | null;
    }
  /** A port call (login or conference resume) is about to be made. */
  | { type: 'attempt-started' }
  | { type: 'login-resumed'; at: number; session: SessionInfo }
  | { type: 'conference-resumed'; at: number; info: ConfResumeInfo }
  | { type: 'failed'; at: number; code: number }
  | { type: 'reset' };

export const IDLE: ResumeState = { kind: 'idle' };

export type ResumingState = Extract<ResumeState, { kind: 'resuming-login' | 'resuming-conference' }>;

/** True while an episode is running. */
export function isResuming(state: ResumeState): state is ResumingState {
  return state.kind === 'resuming-login' || state.kind === 'resuming-conference';
}

function facts(state: EpisodeFacts): EpisodeFacts {
  const { startedAt, deadline, reason, originalHandle, conference } = state;
  return { startedAt, deadline, reason, originalHandle, conference };
}

/** Pure. Events that make no sense in the current state leave it unchanged. */
export function reduceResumeState(state: ResumeState, event: ResumeEvent): ResumeState {
  switch (event.type) {
    case 'episode-started':
      // One episode at a time: a running episode is never restarted (spec §3.3).
      if (isResuming(state)) return state;
      return {
        kind: 'resuming-login',
        startedAt: event.at,
        deadline: event.at + event.windowMs,
        reason: event.reason,
        originalHandle: event.conference?.handle ?? null,
        conference: event.conference,
        attempts: 0,
      };
    case 'attempt-started':
      if (state.kind === 'resuming-login') return { ...state, attempts: state.attempts + 1 };
      if (state.kind === 'resuming-conference') return { ...state, attempts: state.attempts + 1 };
      return state;
    case 'login-resumed':
      if (state.kind !== 'resuming-login') return state;
      if (state.conference === null) {
        return { kind: 'resumed', ...facts(state), endedAt: event.at, newHandle: null };
      }
      return {
        kind: 'resuming-conference',
        ...facts(state),
        conference: state.conference,
        originalHandle: state.conference.handle,
        attempts: state.attempts,
        // Not the session: it holds the resume token, and states end up in logs and UIs.
      };
    case 'conference-resumed':
      if (state.kind !== 'resuming-conference') return state;
      return { kind: 'resumed', ...facts(state), endedAt: event.at, newHandle: event.info.handle };
    case 'failed':
      if (!isResuming(state)) return state;
      return {
        kind: 'failed',
        ...facts(state),
        endedAt: event.at,
        code: event.code,
        loginResumed: state.kind === 'resuming-conference',
      };
    case 'reset':
      return IDLE;
  }
}
