/**
 * A product participant of the storm bench: the SDK minus the facade and media, the real
 * `SignalClient` and the real resume pipeline, with ports written as
 * `MeetingClient.resumePorts()` writes them.
 */
import { defer, map, of, type Subscription } from 'rxjs';
import { io } from 'socket.io-client';
import { type ConfResumeRequest, type Reply, type ResumeInfo, resultCodeName } from '../shared/src/index.ts';
import { createResumePipeline, type ResumeOutput } from '../web/src/sdk/resume/pipeline.ts';
import { type ConferenceContext, type ResumePorts, TransportError } from '../web/src/sdk/resume/ports.ts';
import type { RetryPolicy } from '../web/src/sdk/resume/retry-policy.ts';
import { singleRequestResume } from '../web/src/sdk/resume/single-request-resume.ts';
import { isResuming } from '../web/src/sdk/resume/state.ts';
import { watchNetwork, watchOnline } from '../web/src/sdk/resume/watch-network.ts';
import { type ClientSocket, SignalClient } from '../web/src/sdk/signal/signal-client.ts';
import { SignalTransportError } from '../web/src/sdk/signal/transport-error.ts';
import { countFailure, type Hooks, killConnection, type Participant } from './storm-participant.ts';

/**
 * MeetingClient's request option (not exported): `conf:resume` waits for its reply while its
 * socket lives, since only the reply carries the new handle (a resume waits the same way).
 */
const UNTIL_ANSWERED = { timeoutMs: null };
const PROBE_TIMEOUT_MS = 1_500;

export class ProductParticipant implements Participant {
  doneAt = Number.NaN;
  closedAt = Number.NaN;
  loginAt = Number.NaN;
  attempts = 0;
  finished = false;
  readonly #signal: SignalClient;
  readonly #name: string;
  readonly #room: string;
  readonly #policy: RetryPolicy;
  readonly #hooks: Hooks;
  #token = '';
  #conference: ConferenceContext | null = null;
  #loginResume: Promise<Reply<ResumeInfo>> | null = null;
  #armed = false;
  #sawDrop = false;
  /** The socket SignalClient made last (it keeps its own private). */
  #socket: ClientSocket | null = null;
  readonly #subscriptions: Subscription[] = [];

  constructor(
    url: string,
    localAddress: string,
    name: string,
    room: string,
    policy: RetryPolicy,
    hooks: Hooks,
  ) {
    this.#signal = new SignalClient({
      url,
      // signal-client.ts's own factory, plus the source address (engine.io passes it to ws).
      createSocket: (socketUrl, opts) => {
        const options = { ...opts, reconnection: false, autoConnect: false, forceNew: true, localAddress };
        this.#socket = io(socketUrl, options) as ClientSocket;
        return this.#socket;
      },
    });
    this.#name = name;
    this.#room = room;
    this.#policy = policy;
    this.#hooks = hooks;
  }

  async setup(): Promise<void> {
    const signal = this.#signal;
    await signal.connect();
    const login = await signal.request('login', { name: this.#name });
    if (login.code !== 0) throw new Error(resultCodeName(login.code));
    this.#token = login.resumeToken;
    this.#subscriptions.push(
      signal.confEvents$.subscribe((event) => {
        const conf = this.#conference;
        if (conf && event.room === conf.room && event.seq > conf.lastSeq) conf.lastSeq = event.seq;
      }),
      signal.disconnect$.subscribe(() => {
        if (this.#armed && !this.#sawDrop) {
          this.#sawDrop = true;
          this.closedAt = Date.now();
          this.#hooks.tally.disconnected++;
        }
      }),
    );
    // As MeetingClient does: the pipeline watches the network from the login on.
    this.#subscriptions.push(
      createResumePipeline({
        triggers$: watchNetwork({ socketDisconnects$: signal.disconnect$.pipe(map((d) => d.reason)) }),
        online$: watchOnline({}),
        ports: this.#ports(),
        policy: this.#policy,
      }).subscribe((out) => this.#onOutput(out)),
    );
    const join = await signal.request('conf:join', { room: this.#room });
    if (join.code !== 0) throw new Error(resultCodeName(join.code));
    this.#conference = { handle: join.handle, room: join.room, lastSeq: join.seq };
  }

  arm(): void {
    this.#armed = true;
    this.attempts = 0;
  }

  drop(): boolean {
    return killConnection(this.#socket);
  }

  close(): void {
    for (const s of this.#subscriptions) s.unsubscribe();
    this.#signal.close();
  }

  #onOutput(out: ResumeOutput): void {
    switch (out.type) {
      case 'state':
        if (!this.#armed && isResuming(out.state) && out.state.attempts === 0)
          this.#hooks.tally.episodesBeforeDrop++;
        return;
      case 'login-resumed':
        if (this.#armed && Number.isNaN(this.loginAt)) this.loginAt = Date.now();
        return;
      case 'conference-resumed': {
        const { info } = out;
        const replayed = info.replay.code === 0 ? info.replay.events.map((e) => e.seq) : [];
        this.#conference = { handle: info.handle, room: info.room, lastSeq: Math.max(info.seq, ...replayed) };
        if (this.#armed && !this.finished) {
          this.doneAt = Date.now();
          this.#finish();
        }
        return;
      }
      case 'failed':
        this.#conference = null;
        if (this.#armed && !this.finished) {
          countFailure(this.#hooks.tally, resultCodeName(out.code));
          this.#finish();
        }
        return;
      case 'notify':
        return;
    }
  }

  #finish(): void {
    this.finished = true;
    this.#hooks.finished();
  }

  /** `MeetingClient.resumePorts()` without media: one request resumes the login and the conference. */
  #ports(): ResumePorts {
    return {
      ...singleRequestResume({
        resumeLogin: (conference) => this.#resumeLogin(conference),
        resumeConference: (conference) =>
          transport(() => this.#signal.request('conf:resume', conference, UNTIL_ANSWERED)),
      }),
      conference: () => (this.#conference ? { ...this.#conference } : null),
      // No media here: a storm is signaling only, and no media trigger starts its episodes.
      mediaRecovered: () => of(true),
      probe: () =>
        defer(async (): Promise<boolean> => {
          if (!this.#signal.connected) return false;
          try {
            return (await this.#signal.request('ping', {}, { timeoutMs: PROBE_TIMEOUT_MS })).code === 0;
          } catch {
            return false;
          }
        }),
    };
  }

  /** As `LoginSession.resume`: one at a time, each with the newest token. */
  #resumeLogin(conference?: ConfResumeRequest): Promise<Reply<ResumeInfo>> {
    const previous = this.#loginResume ?? Promise.resolve();
    const attempt = previous
      .catch(() => undefined)
      .then(async (): Promise<Reply<ResumeInfo>> => {
        if (this.#armed) this.attempts++;
        const token = this.#token;
        const reply = await transport(() =>
          this.#signal.resumeOnNewSocket(conference ? { token, conference } : { token }),
        );
        if (reply.code === 0) this.#token = reply.resumeToken;
        return reply;
      });
    this.#loginResume = attempt;
    return attempt;
  }
}

/** As `MeetingClient.#transport`: transport failures become the pipeline's TransportError. */
async function transport<R>(run: () => Promise<R>): Promise<R> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof SignalTransportError) throw new TransportError(err.message, { cause: err });
    throw err;
  }
}
