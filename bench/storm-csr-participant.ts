/**
 * A participant of the reference server (a plain socket.io server with connection-state
 * recovery) for the storm bench: after the drop it reconnects on the product's retry policy, so
 * only the server side differs.
 */
import { io, type Socket } from 'socket.io-client';
import { ResultCode, resultCodeName } from '../shared/src/index.ts';
import type { RetryPolicy } from '../web/src/sdk/resume/retry-policy.ts';
import { countFailure, type Hooks, killConnection, type Participant } from './storm-participant.ts';

/** The SDK's connect timeout (signal-client.ts DEFAULT_CONNECT_TIMEOUT_MS), for the CSR sockets. */
const CONNECT_TIMEOUT_MS = 5_000;

type CsrSocket = Socket<{ joined: (p: { id: string }) => void }>;

/**
 * A socket of the reference server. After the drop it reconnects the way our pipeline retries
 * (first try at once, then the policy's delays, within the window), and counts as done when
 * socket.io reports `recovered`.
 */
export class CsrParticipant implements Participant {
  doneAt = Number.NaN;
  closedAt = Number.NaN;
  readonly loginAt = Number.NaN;
  attempts = 0;
  finished = false;
  readonly #socket: CsrSocket;
  readonly #policy: RetryPolicy;
  readonly #hooks: Hooks;
  #armed = false;
  #episodeStart = 0;
  #retryTimer: NodeJS.Timeout | undefined;

  constructor(url: string, localAddress: string, room: string, policy: RetryPolicy, hooks: Hooks) {
    const options = {
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      autoConnect: false,
      timeout: CONNECT_TIMEOUT_MS,
      auth: { room },
      localAddress,
    };
    this.#socket = io(url, options);
    this.#policy = policy;
    this.#hooks = hooks;
  }

  async setup(): Promise<void> {
    const socket = this.#socket;
    // Recovery resumes from the offset of the last packet received: wait for the first one.
    const joined = new Promise<void>((resolve) => socket.once('joined', () => resolve()));
    await this.#connect();
    await joined;
    socket.on('disconnect', (reason) => {
      if (reason === 'io client disconnect') return;
      if (!this.#armed) {
        this.#hooks.tally.episodesBeforeDrop++;
        return;
      }
      this.#hooks.tally.disconnected++;
      this.#episodeStart = Date.now();
      this.closedAt = this.#episodeStart;
      this.#attempt(0);
    });
  }

  arm(): void {
    this.#armed = true;
  }

  drop(): boolean {
    return killConnection(this.#socket);
  }

  close(): void {
    clearTimeout(this.#retryTimer);
    this.#socket.removeAllListeners();
    this.#socket.disconnect();
  }

  #attempt(retryCount: number): void {
    this.attempts++;
    this.#connect().then(
      () => {
        if (this.finished) return;
        if (this.#socket.recovered) this.doneAt = Date.now();
        else countFailure(this.#hooks.tally, 'NOT_RECOVERED');
        this.#finish();
      },
      () => {
        if (this.finished) return;
        const elapsedMs = Date.now() - this.#episodeStart;
        const delay = this.#policy.nextDelayMs({ retryCount, elapsedMs, reason: 'SERVER_UNAVAILABLE' });
        if (delay === null) {
          countFailure(this.#hooks.tally, resultCodeName(ResultCode.RESUME_TIMEOUT));
          this.#finish();
          return;
        }
        this.#retryTimer = setTimeout(() => this.#attempt(retryCount + 1), delay);
      },
    );
  }

  #finish(): void {
    this.finished = true;
    this.#hooks.finished();
  }

  #connect(): Promise<void> {
    const socket = this.#socket;
    return new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        socket.off('connect', onConnect);
        socket.off('connect_error', onError);
        clearTimeout(timer);
        if (err) {
          // A half-open attempt must not connect later behind the next one's back.
          socket.disconnect();
          reject(err);
        } else resolve();
      };
      const onConnect = (): void => done();
      const onError = (err: Error): void => done(err);
      const timer = setTimeout(() => done(new Error('connect timeout')), CONNECT_TIMEOUT_MS + 500);
      socket.on('connect', onConnect);
      socket.on('connect_error', onError);
      socket.connect();
    });
  }
}
