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
  ResultCodeValue,
  ServerToClientEvents,
  SignalDelivery,
} from '../../../../shared/src/index.ts';
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
  createSocket?: (url: string, opts: { transports: string[]; timeout: number }) => ClientSocket;
}

const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
const DEFAULT_REQUEST_TIMEOUT_MS = 5_000;

function defaultCreateSocket(url: string, opts: { transports: string[]; timeout: number }): ClientSocket {
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

/** engine.io's description of the close it makes on the window's `offline` event. */
const OFFLINE_CLOSE = 'network connection lost';
/** Engines already patched by `keepOpenWhenOffline`. */
const KEPT_OPEN = new WeakSet<object>();

function isOfflineClose(reason: unknown, description: unknown): boolean {
  return (
    reason === 'transport close' &&
    typeof description === 'object' &&
    description !== null &&
    (description as { description?: unknown }).description === OFFLINE_CLOSE
  );
}

/**
 * engine.io closes its transport on the window's `offline` event (for every host but
 * `localhost`). Chromium's `offline` does not mean the socket is dead: `setOffline` leaves open
 * WebSockets working, and a Wi-Fi blip may too. A dead socket is still found: an address change
 * (`offline` and `online` within milliseconds; Chromium does not close the WebSocket itself,
 * measured in the netns lab) starts an episode at once (confirm-trigger.ts), a longer outage
 * when its grace runs out or when the probe on `online` finds the socket dead, and a silent one
 * by the 2 s + 2 s heartbeat or a media stall. So that one close is ignored while the engine
 * is open. It goes through a private method (`_onClose`): an
 * engine.io without it keeps its own behaviour.
 */
function keepOpenWhenOffline(engine: unknown): void {
  if (typeof engine !== 'object' || engine === null) return;
  const target = engine as { _onClose?: unknown; readyState?: unknown };
  const original = target._onClose;
  if (typeof original !== 'function' || KEPT_OPEN.has(engine)) return;
  KEPT_OPEN.add(engine);
  target._onClose = function (this: unknown, reason: unknown, description: unknown, ...rest: unknown[]) {
    if (target.readyState === 'open' && isOfflineClose(reason, description)) return;
    return original.call(this, reason, description, ...rest);
  };
}

/** Applies `keepOpenWhenOffline` to every engine the socket's manager opens. */
function keepSocketOpenWhenOffline(socket: ClientSocket): void {
  const manager: unknown = (socket as { io?: unknown }).io;
  if (typeof manager !== 'object' || manager === null) return;
  const { on } = manager as { on?: unknown };
  if (typeof on !== 'function') return;
  // The manager makes its engine on connect and says `open` once the handshake is done.
  on.call(manager, 'open', () => keepOpenWhenOffline((manager as { engine?: unknown }).engine));
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
  /** The current socket went down. Not emitted for a socket discarded by `replaceSocket()`. */
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
   * Discards the current socket (its listeners first, so its death is not reported) and
   * connects a fresh one to the same URL.
   */
  replaceSocket(): Promise<void> {
    if (this.#closed) return Promise.reject(new SignalTransportError('closed', 'signal client is closed'));
    this.#discard();
    return this.#handshake(this.#open());
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
    let abandon: (() => void) | undefined;
    try {
      // socket.io's types cannot follow an event name that is itself generic: narrow by hand.
      const timed = (timeoutMs === null ? socket : socket.timeout(timeoutMs)) as unknown as {
        emitWithAck(ev: E, req: RequestOf<E>): Promise<ReplyOf<E>>;
      };
      // A reply cannot come over a socket that went down or was discarded: fail at once
      // instead of waiting out the timeout.
      const gone = new Promise<never>((_, reject) => {
        abandon = () => reject(new Error('socket gone'));
        this.#pending.add(abandon);
        socket.once('disconnect', abandon);
      });
      return await Promise.race([timed.emitWithAck(event, payload), gone]);
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
      if (abandon) {
        this.#pending.delete(abandon);
        socket.off('disconnect', abandon);
      }
    }
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

  #open(): ClientSocket {
    const socket = this.#createSocket(this.#url, {
      transports: ['websocket'],
      timeout: this.#connectTimeoutMs,
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

  #handshake(socket: ClientSocket): Promise<void> {
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
      const timer = setTimeout(
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
