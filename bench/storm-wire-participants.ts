/**
 * The storm bench's cheap participants (`--clients wire`, the default): the same requests and
 * retry policy as the SDK participants (storm-product-participant.ts, storm-csr-participant.ts),
 * on `WireSocket` instead of socket.io-client and the RxJS pipeline, so that one core of load
 * generator keeps up with the server.
 *
 * What the product participant keeps of the SDK's resume: a new socket per attempt whose
 * handshake carries `resume` with the newest single-use token, naming `conf:resume`'s original
 * handle and the last sequence seen; a failure retried on the policy (or after `retryAfterMs`, if longer) inside the
 * 60 s window or final, as the SDK's `classifyError` decides (lost connections, RATE_LIMITED and
 * "log in first" refusals are retried: every attempt here starts with the login). What it leaves out: the network
 * watch, trigger coalescing and episode events; a failed conference step starts over at the login
 * (the SDK retries the step alone), which costs this client a request the SDK would not make.
 */
import { RESUME_WINDOW_MS, ResultCode, resultCodeName } from '../shared/src/index.ts';
import { classifyError } from '../web/src/sdk/resume/classify-error.ts';
import { TransportError } from '../web/src/sdk/resume/ports.ts';
import type { RetryPolicy } from '../web/src/sdk/resume/retry-policy.ts';
import { countFailure, type Hooks, type Participant } from './storm-participant.ts';
import { WireSocket } from './storm-wire.ts';

/** The SDK's connect timeout (signal-client.ts DEFAULT_CONNECT_TIMEOUT_MS). */
const CONNECT_TIMEOUT_MS = 5_000;

interface Reply {
  code: number;
  retryAfterMs?: number;
  [key: string]: unknown;
}

/** A refusal: its reply goes to the SDK's classify-error.ts. */
class Refused extends Error {
  constructor(readonly reply: Reply) {
    super(resultCodeName(reply.code));
  }
}

/** The parts every wire participant shares: milestones, the drop, the retry loop. */
abstract class WireParticipant implements Participant {
  doneAt = Number.NaN;
  closedAt = Number.NaN;
  loginAt = Number.NaN;
  attempts = 0;
  finished = false;
  protected readonly socket: WireSocket;
  #armed = false;
  #inEpisode = false;
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(
    url: string,
    localAddress: string,
    readonly policy: RetryPolicy,
    readonly hooks: Hooks,
  ) {
    this.socket = new WireSocket(url, localAddress);
    this.socket.onClose = () => this.#lost();
  }

  abstract setup(): Promise<void>;
  /** One attempt on a new connection; resolves true when resumed, throws Refused or a transport error. */
  protected abstract attempt(): Promise<boolean>;

  arm(): void {
    this.#armed = true;
    this.attempts = 0;
  }

  drop(): boolean {
    return this.socket.kill();
  }

  close(): void {
    clearTimeout(this.#retryTimer);
    this.socket.onClose = () => {};
    this.socket.close();
  }

  protected get armed(): boolean {
    return this.#armed;
  }

  protected async request(name: string, payload: object): Promise<Reply> {
    const [reply] = (await this.socket.request(name, payload)) as [Reply];
    if (reply.code !== ResultCode.TSDK_SUCCESS) throw new Refused(reply);
    return reply;
  }

  #lost(): void {
    if (!this.#armed) this.hooks.tally.episodesBeforeDrop++;
    else if (Number.isNaN(this.closedAt)) {
      this.closedAt = Date.now();
      this.hooks.tally.disconnected++;
    }
    if (this.#inEpisode) return;
    this.#inEpisode = true;
    this.#try(Date.now(), 0);
  }

  #try(startedAt: number, retryCount: number): void {
    if (this.#armed) this.attempts++;
    this.attempt().then(
      (resumed) => this.#end(resumed ? null : 'NOT_RECOVERED'),
      (err: unknown) => {
        // The SDK's own verdict: a refusal by its code; anything else lost the connection.
        const failure = classifyError(err instanceof Refused ? err.reply : new TransportError(String(err)));
        if (!failure.retryable) {
          this.#end(failure.reason);
          return;
        }
        const elapsedMs = Date.now() - startedAt;
        const delay = this.policy.nextDelayMs({ retryCount, elapsedMs, reason: failure.reason });
        if (delay === null) {
          this.#end(resultCodeName(ResultCode.RESUME_TIMEOUT));
          return;
        }
        const wait = Math.min(Math.max(delay, failure.retryAfterMs ?? 0), RESUME_WINDOW_MS - elapsedMs);
        this.#retryTimer = setTimeout(() => this.#try(startedAt, retryCount + 1), wait);
      },
    );
  }

  #end(failure: string | null): void {
    this.#inEpisode = false;
    if (!this.#armed || this.finished) return;
    if (failure === null) this.doneAt = Date.now();
    else countFailure(this.hooks.tally, failure);
    this.finished = true;
    this.hooks.finished();
  }
}

/** Our server: login, join; after the drop a new connection whose handshake resumes the login and the conference. */
export class WireProductParticipant extends WireParticipant {
  #token = '';
  #handle = 0;
  #lastSeq = 0;

  constructor(
    url: string,
    localAddress: string,
    readonly name: string,
    readonly room: string,
    policy: RetryPolicy,
    hooks: Hooks,
  ) {
    super(url, localAddress, policy, hooks);
    this.socket.onEvent = (event, [payload]) => {
      const e = payload as { room?: string; seq?: number };
      if (event === 'conf:event' && e.room === this.room && (e.seq ?? 0) > this.#lastSeq)
        this.#lastSeq = e.seq ?? 0;
    };
  }

  async setup(): Promise<void> {
    await this.socket.connect(undefined, CONNECT_TIMEOUT_MS);
    this.#token = String((await this.request('login', { name: this.name })).resumeToken);
    const join = await this.request('conf:join', { room: this.room });
    this.#handle = Number(join.handle);
    this.#lastSeq = Math.max(this.#lastSeq, Number(join.seq));
  }

  protected async attempt(): Promise<boolean> {
    // As the SDK: the resume rides on the handshake and names the conference; a refused
    // conference part is a failed attempt.
    const conference = { handle: this.#handle, lastSeq: this.#lastSeq };
    const auth = { resume: { token: this.#token, conference } };
    const connecting = this.socket.connect(auth, CONNECT_TIMEOUT_MS, { untilOpen: true });
    const result = this.socket.once('resume:result');
    await connecting;
    const [login] = (await result) as [Reply];
    if (login.code !== ResultCode.TSDK_SUCCESS) throw new Refused(login);
    this.#token = String(login.resumeToken);
    if (this.armed && Number.isNaN(this.loginAt)) this.loginAt = Date.now();
    const conf = login.conference as Reply;
    if (conf.code !== 0) throw new Refused(conf);
    const replay = conf.replay as { code: number; events?: { seq: number }[] };
    const replayed = replay.code === 0 ? (replay.events ?? []).map((e) => e.seq) : [];
    this.#handle = Number(conf.handle);
    this.#lastSeq = Math.max(Number(conf.seq), ...replayed);
    return true;
  }
}

/**
 * The reference server (socket.io with connection-state recovery): done when the CONNECT reply
 * names the same session (`pid`), as socket.io-client sets `recovered`. Like socket.io-client,
 * it remembers the offset CSR appends to every event and sends it back with the session id.
 */
export class WireCsrParticipant extends WireParticipant {
  #pid: string | undefined;
  #offset: string | undefined;
  #joined: (() => void) | null = null;

  constructor(
    url: string,
    localAddress: string,
    readonly room: string,
    policy: RetryPolicy,
    hooks: Hooks,
  ) {
    super(url, localAddress, policy, hooks);
    this.socket.onEvent = (event, args) => {
      const last = args.at(-1);
      if (typeof last === 'string') this.#offset = last;
      if (event === 'joined') this.#joined?.();
    };
  }

  async setup(): Promise<void> {
    const joined = new Promise<void>((resolve) => {
      this.#joined = resolve;
    });
    this.#pid = (await this.socket.connect({ room: this.room }, CONNECT_TIMEOUT_MS)).pid;
    await joined;
    this.#joined = null;
  }

  protected async attempt(): Promise<boolean> {
    const auth = { pid: this.#pid, offset: this.#offset, room: this.room };
    const { pid } = await this.socket.connect(auth, CONNECT_TIMEOUT_MS);
    const recovered = pid !== undefined && pid === this.#pid;
    this.#pid = pid;
    return recovered;
  }
}
