/**
 * The resume pipeline (resume/pipeline.ts) wired to the client's parts for as long as the login
 * session lives (spec §4): its ports call the server and read the conference and the media; its
 * outputs go back to them, in the order ARCHITECTURE.md's path of one resume describes.
 */
import { BehaviorSubject, defer, type Observable, type Subscription } from 'rxjs';
import { type TSDK_S_LOCAL_ADDRESS, TsdkEvent } from '../../../shared/src/index.ts';
import type { MeetingClientOptions } from './client-types.ts';
import type { ConferenceRoom } from './conference/conference-room.ts';
import type { Logger } from './logger.ts';
import type { MeetingMedia } from './meeting-media.ts';
import type { Notifier } from './notifier.ts';
import { pipelineCall, socketAnswers, UNTIL_ANSWERED } from './requests.ts';
import { createResumePipeline, type ResumeOutput } from './resume/pipeline.ts';
import type { ResumePorts } from './resume/ports.ts';
import { singleRequestResume } from './resume/single-request-resume.ts';
import { IDLE, isResuming, type ResumeState } from './resume/state.ts';
import { type NetworkInputs, watchNetwork, watchOnline } from './resume/watch-network.ts';
import type { LoginSession } from './session/login-session.ts';
import type { SignalClient } from './signal/signal-client.ts';

/** A healthy path answers a ping in milliseconds; a second means something is wrong. */
const PROBE_TIMEOUT_MS = 1_500;

export interface ResumeWiringDeps {
  signal: SignalClient;
  login: LoginSession;
  room: ConferenceRoom;
  media: MeetingMedia;
  notifier: Notifier;
  logger: Logger;
  options: NonNullable<MeetingClientOptions['resume']>;
  environment: Pick<NetworkInputs, 'window' | 'navigator'>;
  socketDisconnects$: Observable<string>;
  localAddress$: Observable<TSDK_S_LOCAL_ADDRESS>;
  assertOpen(): void;
}

export class ResumeWiring {
  readonly #deps: ResumeWiringDeps;
  readonly #state = new BehaviorSubject<ResumeState>(IDLE);
  #pipeline: Subscription | null = null;
  /** A failed episode whose login did not come back: the session is dropped after its RESULTs. */
  #sessionLost: { originalHandle: number | null } | null = null;
  readonly state$: Observable<ResumeState> = this.#state.asObservable();

  constructor(deps: ResumeWiringDeps) {
    this.#deps = deps;
  }

  get state(): ResumeState {
    return this.#state.value;
  }

  /** Watches the network and resumes the login session (and its conference) when it breaks. */
  start(): void {
    this.stop();
    const { environment, socketDisconnects$, localAddress$, media, options, logger } = this.#deps;
    const inputs: NetworkInputs = {
      ...environment,
      socketDisconnects$,
      localAddress$,
      mediaOutages$: media.outages$,
      addressLosses$: media.addressLosses$,
    };
    this.#pipeline = createResumePipeline({
      triggers$: watchNetwork(inputs),
      online$: watchOnline(inputs),
      ports: this.ports(),
      ...options,
    }).subscribe({
      next: (out) => this.#onOutput(out),
      error: (err: unknown) => logger.warn('resume pipeline failed', err),
    });
  }

  stop(): void {
    this.#pipeline?.unsubscribe();
    this.#pipeline = null;
  }

  complete(): void {
    this.#state.complete();
  }

  /** What the pipeline needs (resume/ports.ts). Public so a test can drive it against a real server. */
  ports(): ResumePorts {
    const { signal, login, room, media, assertOpen } = this.#deps;
    return {
      ...singleRequestResume({
        resumeLogin: (conference) => login.resume(assertOpen, conference),
        resumeConference: (conference) =>
          pipelineCall(() => signal.request('conf:resume', conference, UNTIL_ANSWERED)),
      }),
      conference: () => {
        const c = room.view;
        return c ? { handle: c.handle, room: c.room, lastSeq: c.lastSeq } : null;
      },
      probe: () =>
        defer(async (): Promise<boolean> => media.linksHealthy && socketAnswers(signal, PROBE_TIMEOUT_MS)),
      mediaRecovered: () => media.mediaRecovered(),
    };
  }

  #onOutput(out: ResumeOutput): void {
    const { login, room, media, notifier } = this.#deps;
    switch (out.type) {
      case 'state': {
        const was = this.#state.value;
        // Signals (restart offers included) wait for the new handle instead of being refused.
        if (!isResuming(was) && isResuming(out.state)) media.episodeStarted(out.state);
        this.#state.next(out.state);
        if (isResuming(was) && !isResuming(out.state)) media.episodeEnded();
        return;
      }
      case 'login-resumed':
        login.adopt(out.session);
        return;
      case 'conference-resumed':
        room.resumed(out.info);
        return;
      case 'failed':
        this.#onFailed(out.originalHandle);
        return;
      case 'notify': {
        const n = out.notification;
        notifier.publish(n);
        const lost = this.#sessionLost;
        if (
          lost &&
          (n.event === TsdkEvent.CONF_RESUME_RESULT ||
            (n.event === TsdkEvent.LOGIN_RESUME_RESULT && lost.originalHandle === null))
        ) {
          this.#sessionLost = null;
          this.#dropSession();
        }
        // Replayed events come after the result, as events after a join come after JOIN_CONF_RESULT.
        if (n.event === TsdkEvent.CONF_RESUME_RESULT) room.resultReported();
        return;
      }
    }
  }

  #onFailed(originalHandle: number | null): void {
    const { room } = this.#deps;
    const state = this.#state.value;
    room.resumeFailed();
    // A media-triggered episode may fail after the conference resumed (media never came back):
    // the seat under the new handle is live, so say we leave, as `leave()` would.
    const adopted = room.view?.handle;
    if (adopted !== undefined && adopted !== originalHandle) room.sayLeaving(adopted);
    if (originalHandle !== null) room.teardown();
    // A login that did not come back is gone on the server too: start over from login, once the
    // pipeline has reported the episode's RESULTs (dropping it now would cut them off).
    if (state.kind !== 'failed' || !state.loginResumed) this.#sessionLost = { originalHandle };
  }

  #dropSession(): void {
    this.stop();
    this.#deps.login.clear();
    this.#deps.signal.disconnect();
  }
}
