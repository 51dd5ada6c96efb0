/**
 * The wire: one typed socket.io socket, replaceable, behind streams that outlive it.
 * socket.io-client is imported here and nowhere else.
 */
import { BehaviorSubject, type Observable, Subject } from 'rxjs';
import { io, type Socket } from 'socket.io-client';
import type {
  ClientEventName,
  ClientToServerEvents,
  ConfEvent,
  Reply,
  ResultCodeValue,
  ResumeAuth,
  ResumeInfo,
  ResumeRequest,
  ServerToClientEvents,
  SignalDelivery,
} from '../../../../shared/src/index.ts';
import { keepSocketOpenWhenOffline } from './keep-open-when-offline.ts';
import { SignalTransportError } from './transport-error.ts';

export type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** The payload a client→server event carries. */
export type RequestOf<E extends ClientEventName> = Parameters<ClientToServerEvents[E]>[0];
/** The ack reply of a client→server event (`Reply<T>`). */
export type ReplyOf<E extends ClientEventName> = Parameters<Parameters<ClientToServerEvents[E]>[1]>[0];

export interface ConfEnded {
  handle: number;
  code: ResultCodeValue;
  message: string;
}

export interface SocketDisconnect {
  /** socket.io's reason: 'transport close', 'ping timeout', 'io server disconnect', … */
  reason: Socket.DisconnectReason;
  /** Which socket (1, 2, …): lets a listener ignore news about a socket it already gave up. */
  generation: number;
}

export interface SignalClientOptions {
  /** Server origin; defaults to the page's origin. */
  url?: string;
  /** How long `connect()` waits for the handshake. */
  connectTimeoutMs?: number;
  /** Default ack timeout of `request()`. */
  requestTimeoutMs?: number;
  /** For tests: how a socket is made. */
  createSocket?: (url: string, opts: SocketOptions) => ClientSocket;
}

export interface SocketOptions {
  transports: string[];
  timeout: number;
  /** What the handshake carries (socket.io's `auth`). */
  auth?: ResumeAuth;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

function defaultCreateSocket(url: string, opts: SocketOptions): ClientSocket {
  return io(url, {
    ...opts,
    // The resume pipeline decides when to open a fresh socket; socket.io must not race it.
    reconnection: false,
    autoConnect: false,
    // Without forceNew, io() reuses a cached Manager for the URL: a "fresh" socket would ride
    // the old, possibly dead, engine connection.
    forceNew: true,
  });
}

export class SignalClient {
  readonly #url: string;
  readonly #connectTimeoutMs: number;
  readonly #requestTimeoutMs: number;
  readonly #createSocket: NonNullable<SignalClientOptions['createSocket']>;
  #socket: ClientSocket | null = null;
  /** Requests waiting for a reply on the current socket: failed at once when it is discarded. */
  readonly #pending = new Set<() => void>();
  #generation = 0;
  #closed = false;

  readonly #confEvents = new Subject<ConfEvent>();
  readonly #signals = new Subject<SignalDelivery>();
  readonly #ended = new Subject<ConfEnded>();
  readonly #connected = new BehaviorSubject<boolean>(false);
  readonly #disconnect = new Subject<SocketDisconnect>();

  /** Conference events, from whichever socket is current. */
  readonly confEvents$: Observable<ConfEvent> = this.#confEvents.asObservable();
  /** Relayed WebRTC signals addressed to this client. */
  readonly signals$: Observable<SignalDelivery> = this.#signals.asObservable();
  /** The server ended this participant's presence in a conference. */
  readonly ended$: Observable<ConfEnded> = this.#ended.asObservable();
  /** Whether the current socket is connected (replays the current value). */
  readonly connected$: Observable<boolean> = this.#connected.asObservable();
  /** The current socket went down. Not emitted for a socket discarded by `resumeOnNewSocket()`. */
  readonly disconnect$: Observable<SocketDisconnect> = this.#disconnect.asObservable();

  constructor(options: SignalClientOptions = {}) {
    this.#url = options.url ?? globalThis.location?.origin ?? 'http://localhost:3000';
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
    this.#requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    this.#createSocket = options.createSocket ?? defaultCreateSocket;
  }

  get url(): string {
    return this.#url;
  }

  get connected(): boolean {
    return this.#socket?.connected ?? false;
  }

  /** Which socket is current (0 before the first connect). */
  get generation(): number {
    return this.#generation;
  }

  /** Connects the current socket (opening one if needed); resolves once the handshake is done. */
  connect(): Promise<void> {
    if (this.#closed) return Promise.reject(new SignalTransportError('closed', 'signal client is closed'));
    if (this.#socket?.connected) return Promise.resolve();
    const socket = this.#socket ?? this.#open();
    return this.#handshake(socket);
  }

  /**
   * Emits `event` and waits for its ack. Rejects with `SignalTransportError` when the socket
   * is not connected, goes down meanwhile, or the ack does not come within `timeoutMs`; a
   * server refusal is a resolved `Reply` with a non-zero code. `timeoutMs: null` waits for as
   * long as the socket lives: for requests whose effect only the reply carries (a resume spends
   * its token and only the reply holds the new one), giving up on a live socket would lose it.
   */
  async request<E extends ClientEventName>(
    event: E,
    payload: RequestOf<E>,
    { timeoutMs = this.#requestTimeoutMs }: { timeoutMs?: number | null } = {},
  ): Promise<ReplyOf<E>> {
    const socket = this.#socket;
    if (this.#closed) throw new SignalTransportError('closed', 'signal client is closed');
    // socket.io would buffer the packet until a reconnect that never comes: fail now instead.
    if (!socket?.connected)
      throw new SignalTransportError('not-connected', `cannot send ${event}: not connected`);
    // A reply cannot come over a socket that went down or was discarded: fail at once
    // instead of waiting out the timeout.
    const gone = this.#whileAlive(socket, () => new Error('socket gone'));
    try {
      // socket.io's types cannot follow an event name that is itself generic: narrow by hand.
      const timed = (timeoutMs === null ? socket : socket.timeout(timeoutMs)) as unknown as {
        emitWithAck(ev: E, req: RequestOf<E>): Promise<ReplyOf<E>>;
      };
      return await Promise.race([timed.emitWithAck(event, payload), gone.promise]);
    } catch (cause) {
      const kind = socket.connected ? 'timeout' : 'disconnected';
      throw new SignalTransportError(
        kind,
        `${event}: ${kind === 'timeout' ? 'no reply in time' : 'socket went down'}`,
        {
          cause,
        },
      );
    } finally {
      gone.release();
    }
  }

  /**
   * Discards the current socket (its listeners first, so its death is not reported) and resumes
   * on a fresh one to the same URL, whose handshake carries `req`
   * (`ResumeAuth`). Waits for the reply while that socket lives, as `request()` with
   * `timeoutMs: null`: the reply alone holds the rotated token.
   */
  async resumeOnNewSocket(req: ResumeRequest): Promise<Reply<ResumeInfo>> {
    if (this.#closed) throw new SignalTransportError('closed', 'signal client is closed');
    this.#discard();
    const socket = this.#open({ resume: req });
    const gone = this.#whileAlive(
      socket,
      () => new SignalTransportError('disconnected', 'resume: socket went down'),
    );
    // Listening before the handshake: the result is the first message after it.
    const result = new Promise<Reply<ResumeInfo>>((resolve) => socket.once('resume:result', resolve));
    try {
      await this.#handshake(socket, { untilOpen: true });
      return await Promise.race([result, gone.promise]);
    } finally {
      gone.release();
    }
  }

  /**
   * A promise that rejects with `error()` when `socket` goes down or is discarded; `release()`
   * when its wait is over.
   */
  #whileAlive(socket: ClientSocket, error: () => Error): { promise: Promise<never>; release(): void } {
    let abandon: () => void = () => {};
    const promise = new Promise<never>((_, reject) => {
      abandon = () => reject(error());
    });
    // Nobody may be racing it yet (a handshake still under way): never an unhandled rejection.
    promise.catch(() => {});
    this.#pending.add(abandon);
    socket.once('disconnect', abandon);
    return {
      promise,
      release: () => {
        this.#pending.delete(abandon);
        socket.off('disconnect', abandon);
      },
    };
  }

  /** Drops the current socket (its death is not reported); `connect()` opens a new one later. */
  disconnect(): void {
    this.#discard();
  }

  /** Closes the socket for good and completes every stream. */
  close(): void {
    if (this.#closed) return;
    this.#discard();
    this.#closed = true;
    this.#connected.next(false);
    for (const s of [this.#confEvents, this.#signals, this.#ended, this.#disconnect, this.#connected])
      s.complete();
  }

  #open(auth?: ResumeAuth): ClientSocket {
    const socket = this.#createSocket(this.#url, {
      transports: ['websocket'],
      timeout: this.#connectTimeoutMs,
      ...(auth ? { auth } : {}),
    });
    // Every socket, the first and each one a resume opens, comes through here.
    keepSocketOpenWhenOffline(socket);
    const generation = ++this.#generation;
    this.#socket = socket;
    socket.on('conf:event', (e) => this.#confEvents.next(e));
    socket.on('signal', (d) => this.#signals.next(d));
    socket.on('conf:ended', (p) => this.#ended.next(p));
    socket.on('connect', () => this.#connected.next(true));
    socket.on('disconnect', (reason) => {
      this.#connected.next(false);
      this.#disconnect.next({ reason, generation });
    });
    return socket;
  }

  #discard(): void {
    const old = this.#socket;
    if (!old) return;
    this.#socket = null;
    for (const abandon of [...this.#pending]) abandon();
    old.removeAllListeners();
    old.disconnect();
    if (this.#connected.value) this.#connected.next(false);
  }

  /**
   * `untilOpen`: the connect timeout ends when the engine opens and socket.io sends its CONNECT.
   * A CONNECT that carries a resume spends the token on arrival: giving up on it then would lose
   * the reply with the new token, so it waits while the socket lives (the heartbeat ends a dead one).
   */
  #handshake(socket: ClientSocket, { untilOpen = false } = {}): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (untilOpen) socket.io.once('open', () => clearTimeout(timer));
    return new Promise<void>((resolve, reject) => {
      const done = (err?: Error): void => {
        socket.off('connect', onConnect);
        socket.off('connect_error', onError);
        clearTimeout(timer);
        if (err) reject(err);
        else resolve();
      };
      const onConnect = (): void => done();
      const onError = (cause: Error): void =>
        done(
          new SignalTransportError('connect-failed', `cannot connect to ${this.#url}: ${cause.message}`, {
            cause,
          }),
        );
      timer = setTimeout(
        () => done(new SignalTransportError('timeout', `no connection to ${this.#url} in time`)),
        this.#connectTimeoutMs + 500,
      );
      socket.on('connect', onConnect);
      socket.on('connect_error', onError);
      if (socket.connected) done();
      else if (!socket.active) socket.connect();
    });
  }
}
