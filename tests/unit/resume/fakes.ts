/** Test doubles for the resume pipeline: scripted ports on virtual time and a log of outputs. */
import { defer, type Observable, of } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { expect } from 'vitest';
import type {
  ConfResumeInfo,
  Reply,
  SessionInfo,
  TSDK_S_JOIN_CONF_IND_INFO,
  TsdkNotification,
} from '../../../shared/src/index.ts';
import { type ResultCode, TsdkConfEnvType, TsdkConfMediaType } from '../../../shared/src/index.ts';
import {
  createResumePipeline,
  type ResumeOutput,
  type ResumePipelineOptions,
} from '../../../web/src/sdk/resume/pipeline.ts';
import type { ConferenceContext, ResumePorts } from '../../../web/src/sdk/resume/ports.ts';
import type { ResumeState } from '../../../web/src/sdk/resume/state.ts';

export const H0 = 1001;
export const H1 = 2002;
export const CONFERENCE: ConferenceContext = { handle: H0, room: 'room-1', lastSeq: 7 };

export const SESSION: Reply<SessionInfo> = {
  code: 0,
  userId: 'u1',
  name: 'Ann',
  resumeToken: 'token-2',
  iceServers: [],
};

export const JOIN_INFO: TSDK_S_JOIN_CONF_IND_INFO = {
  call_id: 42,
  conf_media_type: TsdkConfMediaType.VIDEO,
  is_hd_conf: true,
  conf_env_type: TsdkConfEnvType.ON_PREMISES,
  is_svc_conf: false,
  svc_label_count: 2,
  svc_label: [1, 2],
};

export const CONF_INFO: Reply<ConfResumeInfo> = {
  code: 0,
  handle: H1,
  room: 'room-1',
  info: JOIN_INFO,
  roster: [],
  seq: 9,
  originalHandle: H0,
  replay: { code: 0, events: [] },
};

export const failure = (
  code: Exclude<(typeof ResultCode)[keyof typeof ResultCode], 0>,
  retryAfterMs?: number,
) =>
  retryAfterMs === undefined
    ? { code, message: `failed: ${code}` }
    : { code, message: `failed: ${code}`, retryAfterMs };

type Script<T> = () => Observable<T>;

export interface FakePortsScript {
  conference?: ConferenceContext | null;
  /** One entry per call; the last one repeats. */
  login?: Script<Reply<SessionInfo>>[];
  conf?: Script<Reply<ConfResumeInfo>>[];
  probe?: Script<boolean>[];
  /** `mediaRecovered`: one entry per call, the last repeats; default: at once. */
  media?: Script<unknown>[];
}

/** Ports that record the virtual time of every call. */
export class FakePorts implements ResumePorts {
  readonly loginCalls: number[] = [];
  /** The conference each login resume was told the next conference resume will name. */
  readonly loginContexts: (ConferenceContext | null | undefined)[] = [];
  readonly confCalls: number[] = [];
  readonly confContexts: ConferenceContext[] = [];
  readonly probeCalls: number[] = [];
  readonly mediaCalls: number[] = [];

  constructor(
    private readonly scheduler: TestScheduler,
    private readonly script: FakePortsScript,
  ) {}

  private pick<T>(list: Script<T>[] | undefined, index: number, what: string): Observable<T> {
    if (!list || list.length === 0) throw new Error(`no script for ${what}`);
    return (list[Math.min(index, list.length - 1)] as Script<T>)();
  }

  resumeLogin(ctx?: ConferenceContext | null): Observable<Reply<SessionInfo>> {
    return defer(() => {
      this.loginCalls.push(this.scheduler.now());
      this.loginContexts.push(ctx);
      return this.pick(this.script.login, this.loginCalls.length - 1, 'login');
    });
  }

  resumeConference(ctx: ConferenceContext): Observable<Reply<ConfResumeInfo>> {
    return defer(() => {
      this.confCalls.push(this.scheduler.now());
      this.confContexts.push(ctx);
      return this.pick(this.script.conf, this.confCalls.length - 1, 'conference');
    });
  }

  conference(): ConferenceContext | null {
    return this.script.conference === undefined ? CONFERENCE : this.script.conference;
  }

  probe(): Observable<boolean> {
    return defer(() => {
      this.probeCalls.push(this.scheduler.now());
      return this.pick(this.script.probe, this.probeCalls.length - 1, 'probe');
    });
  }

  mediaRecovered(): Observable<unknown> {
    return defer(() => {
      this.mediaCalls.push(this.scheduler.now());
      return this.pick(this.script.media ?? [() => of(true)], this.mediaCalls.length - 1, 'media');
    });
  }
}

export interface Logged {
  t: number;
  out: ResumeOutput;
}

export function newScheduler(): TestScheduler {
  return new TestScheduler((actual, expected) => expect(actual).toEqual(expected));
}

/** Short event name: TSDK_E_CONF_EVT_CONF_RESUMING_IND → CONF_RESUMING_IND. */
export const short = (event: string): string => event.replace(/^TSDK_E_(LOGIN|CONF)_EVT_/, '');

export function notifications(log: Logged[]): TsdkNotification[] {
  return log.flatMap(({ out }) => (out.type === 'notify' ? [out.notification] : []));
}

/** [event, param1, param2, at] for each notification: exact order and timing. */
export function summary(log: Logged[]): [string, number, number, number][] {
  return notifications(log).map((n) => [short(n.event), n.param1, n.param2, n.at]);
}

export function states(log: Logged[]): ResumeState[] {
  return log.flatMap(({ out }) => (out.type === 'state' ? [out.state] : []));
}

export function stateAt(log: Logged[], t: number): ResumeState['kind'] {
  const before = states(log.filter((entry) => entry.t <= t));
  return before.length === 0 ? 'idle' : (before[before.length - 1] as ResumeState).kind;
}

/**
 * Runs a pipeline on virtual time. `build` gets the marble helpers and returns the pipeline's
 * inputs; the scheduler is injected. Runs until nothing is scheduled (or `until`).
 */
export function runPipeline(
  scheduler: TestScheduler,
  build: (
    helpers: Parameters<Parameters<TestScheduler['run']>[0]>[0],
  ) => Omit<ResumePipelineOptions, 'scheduler'>,
  until = 200_000,
): Logged[] {
  const log: Logged[] = [];
  scheduler.run((helpers) => {
    const sub = createResumePipeline({ ...build(helpers), scheduler }).subscribe((out) =>
      log.push({ t: scheduler.now(), out }),
    );
    scheduler.schedule(() => sub.unsubscribe(), until);
  });
  return log;
}
