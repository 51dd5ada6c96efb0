/**
 * A worker thread of simulated participants for the storm bench (many per thread).
 *
 * Product participants are the SDK minus the facade and media: the real `SignalClient` (one
 * socket.io socket, websocket only, no socket.io reconnection, `forceNew`) and the real resume
 * pipeline (`createResumePipeline`: trigger from the socket's disconnect, coalescing, episode,
 * login resume then conference resume, retries by the retry policy, 60 s window), with ports
 * written as `MeetingClient.resumePorts()` writes them.
 *
 * CSR participants are plain socket.io-client sockets of the reference server; after the drop
 * they reconnect on the same retry policy, so only the server side differs.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import { defer, map, of, type Subscription } from 'rxjs';
import { io, type Socket } from 'socket.io-client';
import {
  type ConfResumeInfo,
  type Reply,
  ResultCode,
  resultCodeName,
  type SessionInfo,
} from '../shared/src/index.ts';
import { createResumePipeline, type ResumeOutput } from '../web/src/sdk/resume/pipeline.ts';
import { type ConferenceContext, type ResumePorts, TransportError } from '../web/src/sdk/resume/ports.ts';
import { fullJitterPolicy, type RetryPolicy } from '../web/src/sdk/resume/retry-policy.ts';
import { isResuming } from '../web/src/sdk/resume/state.ts';
import { watchNetwork, watchOnline } from '../web/src/sdk/resume/watch-network.ts';
import { type ClientSocket, SignalClient } from '../web/src/sdk/signal/signal-client.ts';
import { SignalTransportError } from '../web/src/sdk/signal/transport-error.ts';
import {
  LOOP_RESOLUTION_MS,
  ROOM_SIZE,
  type WorkerMessage,
  type WorkerOptions,
  type WorkerRequest,
  type WorkerResults,
} from './storm-protocol.ts';

/**
 * Participant i's own loopback source address (all of 127.0.0.0/8 is local on Linux): the
 * server sees N different client addresses, as it would in the field, so its per-address rate
 * limits apply per participant at their production values; and each address has its own
 * ephemeral ports, so N sockets never queue for ports.
 */
function sourceAddress(i: number): string {
  return `127.${10 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}`;
}

/**
 * The drop: the TCP connection under a socket.io-client socket (engine.io transport → ws →
 * net.Socket, private fields) is destroyed, with no WebSocket close frame. The client sees
 * 'transport close' as a browser does when the Wi-Fi goes (the socket dies under the page); the
 * server sees the connection end while it keeps running and holds the seats.
 */
function killConnection(socket: Socket | null): boolean {
  type Engine = { engine?: { transport?: { ws?: { _socket?: { destroy(): void } | null } } } };
  const tcp = (socket?.io as unknown as Engine | undefined)?.engine?.transport?.ws?._socket;
  if (!tcp) return false;
  tcp.destroy();
  return true;
}

/**
 * MeetingClient's request options (not exported): `resume` and `conf:resume` wait for their
 * reply while their socket lives, since only the reply carries the new token or handle.
 */
const UNTIL_ANSWERED = { timeoutMs: null };
const PROBE_TIMEOUT_MS = 1_500;

/** The SDK's connect timeout (signal-client.ts DEFAULT_CONNECT_TIMEOUT_MS), for the CSR sockets. */
const CONNECT_TIMEOUT_MS = 5_000;

/**
 * The product's policy, or the same policy without its jitter. `fullJitterPolicy` has no switch
 * for that; its random source pinned to 1 makes every delay the full ceiling — plain capped
 * exponential backoff (0, 250, 500, 1000 … 5000 ms) with the same base, cap and window.
 */
function clientPolicy(jitter: boolean): RetryPolicy {
  return jitter ? fullJitterPolicy() : fullJitterPolicy({ random: () => 1 });
}

interface Tally {
  armed: boolean;
  failures: Record<string, number>;
  episodesBeforeDrop: number;
  disconnected: number;
}

interface Participant {
  readonly doneAt: number;
  readonly closedAt: number;
  readonly loginAt: number;
  readonly attempts: number;
  /** Resumed, or gave up, since the drop. */
  readonly finished: boolean;
  setup(): Promise<void>;
  arm(): void;
  /** Kills the TCP connection under the socket; false if there was none. */
  drop(): boolean;
  close(): void;
}

/** What a participant reports as it goes. */
interface Hooks {
  tally: Tally;
  finished(): void;
}

function countFailure(tally: Tally, reason: string): void {
  tally.failures[reason] = (tally.failures[reason] ?? 0) + 1;
}

class ProductParticipant implements Participant {
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
  #loginResume: Promise<Reply<SessionInfo>> | null = null;
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

  /** `MeetingClient.resumePorts()` without media. */
  #ports(): ResumePorts {
    return {
      resumeLogin: () => defer(() => this.#resumeLogin()),
      resumeConference: (ctx) =>
        defer(
          (): Promise<Reply<ConfResumeInfo>> =>
            transport(() =>
              this.#signal.request(
                'conf:resume',
                { handle: ctx.handle, lastSeq: ctx.lastSeq },
                UNTIL_ANSWERED,
              ),
            ),
        ),
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

  /** As `MeetingClient.#resumeLogin`: one at a time, each with the newest token. */
  #resumeLogin(): Promise<Reply<SessionInfo>> {
    const previous = this.#loginResume ?? Promise.resolve();
    const attempt = previous
      .catch(() => undefined)
      .then(async (): Promise<Reply<SessionInfo>> => {
        if (this.#armed) this.attempts++;
        const token = this.#token;
        const reply = await transport(async () => {
          await this.#signal.replaceSocket();
          return this.#signal.request('resume', { token }, UNTIL_ANSWERED);
        });
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

type CsrSocket = Socket<{ joined: (p: { id: string }) => void }>;

/**
 * A socket of the reference server. After the drop it reconnects the way our pipeline retries
 * (first try at once, then the policy's delays, within the window), and counts as done when
 * socket.io reports `recovered`.
 */
class CsrParticipant implements Participant {
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

async function runPool(count: number, concurrency: number, task: (i: number) => Promise<void>) {
  let next = 0;
  const runner = async (): Promise<void> => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, runner));
}

function post(message: WorkerMessage): void {
  parentPort?.postMessage(message);
}

async function main(): Promise<void> {
  const options = workerData as WorkerOptions;
  const policy = clientPolicy(options.jitter);
  const tally: Tally = { armed: false, failures: {}, episodesBeforeDrop: 0, disconnected: 0 };
  const participants: Participant[] = [];
  let finished = 0;
  /** Participants that got through setup: only they can finish. */
  let expected = 0;
  let reported = false;
  const loop = monitorEventLoopDelay({ resolution: LOOP_RESOLUTION_MS });
  const beyondInterval = (ns: number): number => Math.max(0, ns / 1e6 - LOOP_RESOLUTION_MS);

  const results = (): WorkerResults => {
    const n = participants.length;
    const out: WorkerResults = {
      doneAt: new Float64Array(n),
      loginAt: new Float64Array(n),
      closedAt: new Float64Array(n),
      attempts: new Uint16Array(n),
      disconnected: tally.disconnected,
      failures: { ...tally.failures },
      episodesBeforeDrop: tally.episodesBeforeDrop,
      loopLagP99Ms: beyondInterval(loop.percentile(99)),
      loopLagMaxMs: beyondInterval(loop.max),
    };
    participants.forEach((p, i) => {
      out.doneAt[i] = p.doneAt;
      out.loginAt[i] = p.loginAt;
      out.closedAt[i] = p.closedAt;
      out.attempts[i] = Math.min(p.attempts, 0xffff);
    });
    return out;
  };
  const report = (complete: boolean): void => {
    if (reported) return;
    reported = true;
    loop.disable();
    post({ type: 'results', complete, results: results() });
  };
  const hooks: Hooks = {
    tally,
    finished() {
      finished++;
      if (tally.armed && finished === expected) report(true);
    },
  };

  for (let i = options.from; i < options.to; i++) {
    const room = `${options.tag}-r${Math.floor(i / ROOM_SIZE)}`;
    participants.push(
      options.system === 'product'
        ? new ProductParticipant(options.url, sourceAddress(i), `${options.tag}-p${i}`, room, policy, hooks)
        : new CsrParticipant(options.url, sourceAddress(i), room, policy, hooks),
    );
  }
  const setupFailures: Record<string, number> = {};
  let connected = 0;
  // In index order per room, so every conference fills from its first member.
  await runPool(participants.length, options.setupConcurrency, async (i) => {
    try {
      await participants[i]?.setup();
      connected++;
      expected++;
    } catch (err) {
      // Out of the storm: it was never seated, so it must not report a resume either.
      participants[i]?.close();
      const reason = err instanceof Error ? err.message : String(err);
      setupFailures[reason] = (setupFailures[reason] ?? 0) + 1;
    }
  });
  post({ type: 'ready', connected, setupFailures });

  parentPort?.on('message', (request: WorkerRequest) => {
    switch (request.type) {
      case 'arm':
        tally.armed = true;
        loop.enable();
        for (const p of participants) p.arm();
        post({ type: 'armed' });
        if (expected === 0) report(true);
        return;
      case 'drop': {
        const at = Date.now();
        let sockets = 0;
        for (const p of participants) if (p.drop()) sockets++;
        post({ type: 'dropped', at, sockets, tookMs: Date.now() - at });
        return;
      }
      case 'report':
        report(false);
        return;
      case 'close':
        for (const p of participants) p.close();
        post({ type: 'closed' });
        return;
    }
  });
}

main().catch((err: unknown) => {
  post({ type: 'error', message: err instanceof Error ? (err.stack ?? err.message) : String(err) });
});
