/**
 * The SDK's one public object. It turns the wire (`signal/`) and the mesh (`media/`) into the
 * TSDK notification surface and a few Promise methods. It holds the conference records; the
 * resume pipeline (`resume/`) will drive it through `resumePorts()`.
 */
import {
  asyncScheduler,
  BehaviorSubject,
  defer,
  exhaustMap,
  filter,
  firstValueFrom,
  forkJoin,
  map,
  merge,
  type Observable,
  of,
  type SchedulerLike,
  Subject,
  type Subscription,
  take,
  timer,
} from 'rxjs';
import {
  type ChatMessage,
  type ConfEvent,
  type ConfResumeInfo,
  type IceConfig,
  type JoinInfo,
  NO_NETWORK_ADDRESS,
  type Participant,
  parseLocalAddress,
  type Reply,
  ResultCode,
  resultCodeName,
  type SessionInfo,
  type SignalData,
  TSDK_E_CONFIG_LOCAL_ADDRESS,
  type TSDK_S_JOIN_CONF_IND_INFO,
  type TSDK_S_LOCAL_ADDRESS,
  TSDK_SUCCESS,
  TsdkEvent,
  type TsdkFailureData,
  type TsdkNotification,
} from '../../../shared/src/index.ts';
import { ChatOutbox, type OutboxEntry } from './chat-outbox.ts';
import { applyConfEvent, findByHandle } from './conference-state.ts';
import { invalidState, MeetingError } from './errors.ts';
import { type Logger, silentLogger } from './logger.ts';
import { gatherLocalAddresses } from './media/local-addresses.ts';
import { Mesh, type PeerDiagnostics, type PeerSnapshot } from './media/mesh.ts';
import { OutageArbiter, type OutageReason } from './media/outage-arbiter.ts';
import { createPeerLink, type PeerLinkFactory } from './media/peer-link.ts';
import { MediaRecovery, type RecoveryMode } from './media/recover-media.ts';
import { Notifier, type NotifyListener } from './notifier.ts';
import { createResumePipeline, type ResumeOutput } from './resume/pipeline.ts';
import { type ConferenceContext, type ResumePorts, TransportError } from './resume/ports.ts';
import type { RetryPolicy } from './resume/retry-policy.ts';
import { IDLE, isResuming, type ResumeState } from './resume/state.ts';
import {
  type NetworkInputs,
  watchBrowserEvents,
  watchLocalAddress,
  watchNetwork,
  watchOnline,
  watchPeerTroubles,
} from './resume/watch-network.ts';
import { sendLeaveBeacon } from './signal/leave-beacon.ts';
import { SignalClient, type SignalClientOptions } from './signal/signal-client.ts';
import { SignalTransportError } from './signal/transport-error.ts';

export interface MeetingClientOptions {
  /** Signaling server origin; defaults to the page's origin. */
  url?: string;
  /**
   * ICE servers for the peer connections. By default the server's (STUN, and TURN with
   * short-lived credentials, from the `login` and `resume` replies); an app that passes its own
   * keeps them for good.
   */
  iceServers?: RTCIceServer[];
  /** How long to wait for a server reply. */
  requestTimeoutMs?: number;
  /** Replaces `getUserMedia({ video: true, audio: true })`. */
  getUserMedia?: () => Promise<MediaStream>;
  /** Timestamps of notifications (`at`). */
  now?: () => number;
  logger?: Logger;
  /** For tests: how the socket is made, and how a peer link is made. */
  createSocket?: SignalClientOptions['createSocket'];
  createLink?: PeerLinkFactory;
  /**
   * How broken media paths come back: `fast` (ICE restart at the first sign, forced keyframe,
   * rebuild fallback; the default) or `naive` (restart on ICE `disconnected` only, no keyframe:
   * the benchmark baseline).
   */
  mediaRecovery?: RecoveryMode;
  /** The resume pipeline's clock, retry policy and window (tests use virtual time). */
  resume?: { scheduler?: SchedulerLike; policy?: RetryPolicy; windowMs?: number };
  /**
   * Where network signals come from: the page's `window` and `navigator` by default; null turns
   * browser signals off (Node tests drive the pipeline through sockets and peers only).
   */
  environment?: Pick<NetworkInputs, 'window' | 'navigator'> | null;
}

export interface Credentials {
  name: string;
  password?: string;
}

export interface Session {
  userId: string;
  name: string;
}

/** The conference this client is in. */
export interface ConferenceView {
  handle: number;
  room: string;
  roster: readonly Participant[];
  /** Last conference sequence number applied. */
  lastSeq: number;
}

/** Data of `TSDK_E_CONF_EVT_INFO_AND_STATUS_UPDATE`. */
export type ConfUpdateData =
  | { change: Exclude<ConfEvent['kind'], 'chat'>; event: ConfEvent; roster: Participant[] }
  /** After a resume whose replay was no longer available: the roster is the server's snapshot. */
  | { change: 'resync'; roster: Participant[] };

/** A resume whose missed events could not be replayed: the client took the server's snapshot. */
export interface Resync {
  room: string;
  /** The last sequence number this client had seen. */
  fromSeq: number;
  /** Recent chat messages the snapshot brought that were new to this client. */
  recoveredChat: number;
}

export interface SentChat {
  id: string;
  seq: number;
}

const LEAVE_TIMEOUT_MS = 2_000;
/** Chat refusals that mean "your handle is being replaced": the outbox waits for the resume. */
const SENDER_GONE: ReadonlySet<number> = new Set([
  ResultCode.HANDLE_SUPERSEDED,
  ResultCode.HANDLE_UNKNOWN,
  ResultCode.NOT_LOGGED_IN,
]);
/**
 * A chat refused with RATE_LIMITED waits the server's `retryAfterMs` (this when it names none,
 * at most the cap: a wrong value must not park the outbox for good), then goes again.
 */
const CHAT_RETRY_DEFAULT_MS = 1_000;
const CHAT_RETRY_CAP_MS = 60_000;
/**
 * `resume` and `conf:resume` wait for their reply for as long as their socket lives (a dead one
 * is found by the heartbeat in 4 s): the server may have spent the token or retired the handle,
 * and only the reply carries the new ones. Under load a timed-out attempt used to retry with
 * the spent token and fail the episode (RESUME_TOKEN_REJECTED, HANDLE_SUPERSEDED).
 */
const UNTIL_ANSWERED = { timeoutMs: null };

/** A healthy path answers a ping in milliseconds; a second means something is wrong. */
const PROBE_TIMEOUT_MS = 1_500;
/**
 * Deciding whose a media outage is. A ping our live socket does not answer this fast counts as
 * a dead socket (the outage is ours: no harm if it was only slow, the episode runs as before).
 */
const STALL_PING_MS = 300;
/** A stall this soon after our own resume belongs to the outage that episode already covered. */
const JUST_RESUMED_MS = 3_000;
/** How often a media-triggered episode checks, both ways, whether media flows again. */
const MEDIA_CHECK_MS = 250;
/** TURN credentials are renewed when this share of their lifetime is gone. */
const ICE_REFRESH_AT = 0.8;
const CREDENTIAL_FAILURES: ReadonlySet<number> = new Set([
  ResultCode.AUTH_REJECTED,
  ResultCode.GUEST_NOT_ALLOWED,
]);

function failureData(code: number, message: string): TsdkFailureData {
  return { reason: resultCodeName(code), message };
}

/** crypto.randomUUID exists only in secure contexts; a LAN http page still needs message ids. */
function messageId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

export class MeetingClient {
  readonly #logger: Logger;
  readonly #notifier: Notifier;
  readonly #signal: SignalClient;
  readonly #mesh: Mesh;
  readonly #recovery: MediaRecovery;
  readonly #networkWatch: Subscription;
  readonly #arbiter: OutageArbiter;
  /** Media outages the arbiter gave us, for the resume pipeline. */
  readonly #mediaOutages = new Subject<{ reason: OutageReason }>();
  /** Participants whose media outage the running episode covers: its RESULT waits for them. */
  readonly #episodePeers = new Set<string>();
  #episodeEndedAt = Number.NEGATIVE_INFINITY;
  /** The app's own ICE servers: then the server's are not used. */
  readonly #ownIceServers: boolean;
  #iceRefresh: Subscription | null = null;
  readonly #now: () => number;
  readonly #requestTimeoutMs: number | undefined;

  #closed = false;
  #session: Session | null = null;
  #resumeToken: string | null = null;
  #busy: 'login' | 'join' | null = null;
  /** Conference events that arrived while a join was waiting for its reply. */
  #early: ConfEvent[] = [];
  readonly #conference = new BehaviorSubject<ConferenceView | null>(null);
  readonly #chat = new Subject<ChatMessage>();
  readonly #messages: ChatMessage[] = [];
  readonly #outbox = new ChatOutbox();
  readonly #resynced = new Subject<Resync>();
  #flushing = false;
  #localAddressValue: TSDK_S_LOCAL_ADDRESS | null = null;
  readonly #localAddress = new Subject<TSDK_S_LOCAL_ADDRESS>();
  readonly #resumeOptions: NonNullable<MeetingClientOptions['resume']>;
  readonly #environment: Pick<NetworkInputs, 'window' | 'navigator'>;
  #resume: Subscription | null = null;
  #loginResume: Promise<unknown> | null = null;
  readonly #resumeState = new BehaviorSubject<ResumeState>(IDLE);
  /** A resumed conference whose replay waits until CONF_RESUME_RESULT has been reported. */
  #pendingReplay: ConfResumeInfo | null = null;
  /** A failed episode whose login did not come back: the session is dropped after its RESULTs. */
  #sessionLost: { originalHandle: number | null } | null = null;

  /** Every TSDK notification from subscription on, in order (hot). */
  readonly notify$: Observable<TsdkNotification>;
  /** The conference this client is in, or null (replays the current value). */
  readonly conference$: Observable<ConferenceView | null> = this.#conference.asObservable();
  /** Chat messages of the current conference, as they arrive. */
  readonly chat$: Observable<ChatMessage> = this.#chat.asObservable();
  /** Resumes that fell back to a snapshot because the history was gone (the app says so). */
  readonly resynced$: Observable<Resync> = this.#resynced.asObservable();
  /** Our messages not shown by the conference yet: pending (waiting for a resume), sent, failed. */
  readonly outbox$: Observable<readonly OutboxEntry[]> = this.#outbox.entries$;
  /**
   * Every `TSDK_E_CONFIG_LOCAL_ADDRESS` the app sets, as it is set (hot, no replay: each one is
   * a resume trigger). The last one is `localAddress`.
   */
  readonly localAddress$: Observable<TSDK_S_LOCAL_ADDRESS> = this.#localAddress.asObservable();
  /** userId → that participant's incoming stream. */
  readonly remoteStreams$: Observable<ReadonlyMap<string, MediaStream>>;
  /** Our camera and microphone, once started (replays the current value). */
  readonly localStream$: Observable<MediaStream | null>;
  /** userId → state of the peer connection to that participant. */
  readonly peers$: Observable<ReadonlyMap<string, PeerSnapshot>>;
  /** Every peer state change: `disconnected` / `failed` are resume triggers. */
  readonly peerState$: Observable<PeerSnapshot>;
  /** Whether the signaling socket is connected (replays the current value). */
  readonly connected$: Observable<boolean>;
  /** The signaling socket went down, with socket.io's reason ('transport close', 'ping timeout', …). */
  readonly socketDisconnects$: Observable<string>;
  /** A peer that claims to be connected but received nothing for a while. */
  readonly mediaStalls$: Observable<{ userId: string }>;
  /**
   * Participants whose media is being recovered, from a broken path until their video decodes
   * again: the app shows their tiles as "reconnecting" (replays the current value).
   */
  readonly reconnectingPeers$: Observable<ReadonlySet<string>>;
  /**
   * Participants whose media never connected within 10 s: the network blocks the path (no TURN
   * relay configured, or none reachable). The app says so on their tile instead of a black one.
   * A participant leaves the set when a link to them connects (recovery keeps trying).
   */
  readonly unreachablePeers$: Observable<ReadonlySet<string>>;
  /** The resume pipeline's state: idle, resuming-login, resuming-conference, resumed, failed. */
  readonly resumeState$: Observable<ResumeState> = this.#resumeState.asObservable();

  constructor(options: MeetingClientOptions = {}) {
    this.#logger = options.logger ?? silentLogger;
    this.#now = options.now ?? Date.now;
    this.#notifier = new Notifier(this.#now, this.#logger);
    this.#requestTimeoutMs = options.requestTimeoutMs;
    this.#resumeOptions = options.resume ?? {};
    this.#ownIceServers = options.iceServers !== undefined;
    this.#environment =
      options.environment === null
        ? {}
        : (options.environment ?? (typeof window === 'undefined' ? {} : { window, navigator }));
    const signalOptions: SignalClientOptions = {};
    if (options.url !== undefined) signalOptions.url = options.url;
    if (options.requestTimeoutMs !== undefined) signalOptions.requestTimeoutMs = options.requestTimeoutMs;
    if (options.createSocket) signalOptions.createSocket = options.createSocket;
    this.#signal = new SignalClient(signalOptions);
    this.#mesh = new Mesh({
      port: { sendSignal: (to, data) => this.#sendSignal(to, data) },
      createLink: options.createLink ?? createPeerLink,
      ...(options.getUserMedia ? { getUserMedia: options.getUserMedia } : {}),
      ...(options.iceServers ? { iceServers: options.iceServers } : {}),
      keyframeOnRecovery: (options.mediaRecovery ?? 'fast') === 'fast',
      onOutageSignal: (userId, data) => this.#arbiter.handle(userId, data),
    });
    this.#arbiter = new OutageArbiter(
      {
        send: (userId, data) => this.#mesh.sendOutageSignal(userId, data),
        initiates: (userId) => this.#mesh.peers.get(userId)?.initiator ?? false,
        pathsOkExcept: (userId) => this.#mesh.pathsOkExcept(userId),
        flowingFrom: (userId) => this.#mesh.flowingFrom(userId),
        socketAlive: () => this.#socketAnswers(STALL_PING_MS),
        resuming: () => isResuming(this.#resumeState.value),
        justResumed: () =>
          this.#resumeState.value.kind === 'resumed' && this.#now() - this.#episodeEndedAt < JUST_RESUMED_MS,
        away: (userId) =>
          this.#conference.value?.roster.find((p) => p.userId === userId)?.status === 'reconnecting',
      },
      this.#resumeOptions.scheduler ? { scheduler: this.#resumeOptions.scheduler } : {},
    );
    this.#recovery = new MediaRecovery(this.#mesh, {
      mode: options.mediaRecovery ?? 'fast',
      ...(typeof RTCPeerConnection === 'undefined' ? {} : { localAddresses: () => gatherLocalAddresses() }),
    });

    this.notify$ = this.#notifier.notify$;
    this.remoteStreams$ = this.#mesh.remoteStreams$;
    this.localStream$ = this.#mesh.localStream$;
    this.peers$ = this.#mesh.peers$;
    this.peerState$ = this.#mesh.peerState$;
    this.connected$ = this.#signal.connected$;
    this.socketDisconnects$ = this.#signal.disconnect$.pipe(map((d) => d.reason));
    this.mediaStalls$ = this.#mesh.mediaStalls$;
    this.reconnectingPeers$ = this.#mesh.reconnecting$;
    this.unreachablePeers$ = this.#mesh.unreachable$;

    // Our own network changed: every path may be dead, restart them now rather than wait for ICE
    // to notice (~7 s). Offers wait in the mesh's outbox while signaling is being resumed. Not on
    // `offline`: nothing can be gathered or checked then, and a restart begun while offline
    // only stalls media the other side still receives; `online` follows a real change at once.
    this.#networkWatch = merge(
      watchBrowserEvents(this.#environment).pipe(filter((t) => t.reason !== 'offline')),
      watchLocalAddress(this.#localAddress).pipe(filter((t) => t.address !== NO_NETWORK_ADDRESS)),
    ).subscribe(() => {
      if (this.#conference.value) this.#recovery.networkChanged();
    });
    // Every sign that a path broke goes to the arbiter; only outages it gives us become triggers.
    merge(
      this.#mesh.mediaStalls$.pipe(map(({ userId }) => ({ userId, reason: 'media-stall' as const }))),
      watchPeerTroubles(this.#mesh.peerState$),
    ).subscribe(({ userId, reason }) => {
      if (this.#conference.value) this.#arbiter.trouble(userId, reason);
    });
    this.#mesh.mediaRecovered$.subscribe(({ userId }) => this.#arbiter.recovered(userId));
    this.#arbiter.ours$.subscribe(({ userId, reason, covered }) => {
      if (!this.#conference.value) return;
      // Ours: the path will not heal by itself, so restart now rather than after the stall's grace.
      this.#recovery.stallsAreOurs();
      if (isResuming(this.#resumeState.value)) this.#episodePeers.add(userId);
      else if (!covered) this.#mediaOutages.next({ reason });
    });
    this.#signal.confEvents$.subscribe((e) => this.#onConfEvent(e));
    this.#signal.signals$.subscribe((d) => this.#mesh.handleSignal(d.from, d.data));
    this.#signal.ended$.subscribe(({ handle, code, message }) => {
      if (this.#conference.value?.handle === handle) this.#endConference(code, message);
    });
  }

  // ---- observing (allowed on a closed client too) ----

  /** Every notification so far, in order. */
  get history(): TsdkNotification[] {
    return this.#notifier.history;
  }

  /** Calls `listener` for every later notification; returns the unsubscribe function. */
  onNotify(listener: NotifyListener): () => void {
    return this.#notifier.onNotify(listener);
  }

  get session(): Session | null {
    return this.#session;
  }

  get conference(): ConferenceView | null {
    return this.#conference.value;
  }

  /** Chat messages of the current conference so far. */
  get messages(): ChatMessage[] {
    return [...this.#messages];
  }

  get localStream(): MediaStream | null {
    return this.#mesh.localStream;
  }

  get localAddress(): TSDK_S_LOCAL_ADDRESS | null {
    return this.#localAddressValue;
  }

  get resumeState(): ResumeState {
    return this.#resumeState.value;
  }

  /** Per peer: link generation (rebuilds), ICE credentials (restarts), remote tracks, keyframes. */
  mediaDiagnostics(): PeerDiagnostics[] {
    return this.#mesh.diagnostics();
  }

  /** True after `logout()` or `destroy()`: every action then fails with INVALID_STATE. */
  get closed(): boolean {
    return this.#closed;
  }

  // ---- acting ----

  /** Opens the socket and logs in (as a guest when there is no password). */
  async login(credentials: Credentials): Promise<Session> {
    this.#assertOpen('login');
    if (this.#session || this.#busy)
      throw invalidState(this.#session ? 'already logged in' : `${this.#busy} in progress`);
    this.#busy = 'login';
    try {
      const reply = await this.#call(
        () => {
          const req = credentials.password === undefined ? { name: credentials.name } : { ...credentials };
          return this.#signal.connect().then(() => this.#signal.request('login', req, this.#timeout()));
        },
        {
          failure: (code, message) =>
            this.#notifier.emit(TsdkEvent.LOGIN_FAILED, 0, code, failureData(code, message)),
        },
      );
      if (reply.code !== 0) {
        const event = CREDENTIAL_FAILURES.has(reply.code) ? TsdkEvent.AUTH_FAILED : TsdkEvent.LOGIN_FAILED;
        this.#notifier.emit(event, 0, reply.code, failureData(reply.code, reply.message));
        throw new MeetingError(reply.code, `login failed: ${reply.message}`);
      }
      return this.#startSession(reply);
    } finally {
      this.#busy = null;
    }
  }

  /** Joins `room`; media starts with everyone already there. */
  async join(room: string): Promise<JoinInfo> {
    this.#assertOpen('join');
    if (!this.#session) throw invalidState('join needs a login first');
    if (this.#conference.value || this.#busy) {
      throw invalidState(this.#conference.value ? 'already in a conference' : `${this.#busy} in progress`);
    }
    this.#busy = 'join';
    this.#early = [];
    // Camera start-up overlaps the join round trip.
    void this.#mesh.startLocalMedia();
    try {
      const reply = await this.#call(() => this.#signal.request('conf:join', { room }, this.#timeout()), {
        failure: (code, message) =>
          this.#notifier.emit(TsdkEvent.JOIN_CONF_RESULT, 0, code, failureData(code, message)),
      });
      if (reply.code !== 0) {
        this.#notifier.emit(
          TsdkEvent.JOIN_CONF_RESULT,
          0,
          reply.code,
          failureData(reply.code, reply.message),
        );
        throw new MeetingError(reply.code, `join failed: ${reply.message}`);
      }
      const { code: _, ...info } = reply;
      this.#adoptConference(info);
      this.#notifier.emit<TSDK_S_JOIN_CONF_IND_INFO>(TsdkEvent.JOIN_CONF_RESULT, info.handle, 0, info.info);
      const early = this.#early;
      this.#early = [];
      for (const e of early) this.#onConfEvent(e);
      return info;
    } finally {
      this.#busy = null;
      this.#early = [];
    }
  }

  /** Leaves the conference (best effort on the server; always locally). */
  async leave(): Promise<void> {
    this.#assertOpen('leave');
    const conf = this.#conference.value;
    if (!conf) throw invalidState('not in a conference');
    this.#teardownConference();
    try {
      await this.#signal.request('conf:leave', { handle: conf.handle }, { timeoutMs: LEAVE_TIMEOUT_MS });
    } catch (err) {
      // The server releases the seat when the socket or the resume window goes anyway.
      this.#logger.debug('conf:leave not acknowledged', err);
    }
    this.#notifier.emit(TsdkEvent.CONF_END_IND, conf.handle, TSDK_SUCCESS, failureData(TSDK_SUCCESS, 'left'));
  }

  /** Leaves any conference, ends the login session and closes the client for good. */
  async logout(): Promise<void> {
    this.#assertOpen('logout');
    if (this.#conference.value) await this.leave();
    const wasLoggedIn = this.#session !== null;
    if (wasLoggedIn) {
      try {
        await this.#signal.request('logout', {}, { timeoutMs: LEAVE_TIMEOUT_MS });
      } catch (err) {
        this.#logger.debug('logout not acknowledged', err);
      }
    }
    this.#close();
    if (wasLoggedIn) this.#notifier.emit(TsdkEvent.LOGOUT_SUCCESS, 0, TSDK_SUCCESS, {});
  }

  /** Sends a chat message to the conference; resolves once the server has sequenced it. */
  /**
   * Sends a chat message; resolves once the server has sequenced it. While the connection is
   * being resumed the message waits in the outbox (`outbox$`: pending → sent, or failed) and
   * goes out after the resume, under the same id so a retry never posts twice.
   */
  async sendChat(text: string): Promise<SentChat> {
    this.#assertOpen('sendChat');
    if (!this.#conference.value) throw invalidState('not in a conference');
    const id = messageId();
    const sent = this.#outbox.add(id, text);
    void this.#flushOutbox();
    return { id, seq: await sent };
  }

  /** TSDK's configuration call; returns a result code, as TSDK does. */
  tsdk_set_config_param(id: string, value: unknown): number {
    this.#assertOpen('tsdk_set_config_param');
    if (id !== TSDK_E_CONFIG_LOCAL_ADDRESS) return ResultCode.INVALID_PARAM;
    const address = parseLocalAddress(value);
    if (!address) return ResultCode.INVALID_PARAM;
    this.#localAddressValue = address;
    this.#localAddress.next(address);
    return TSDK_SUCCESS;
  }

  /**
   * Closes everything at once (the page is going away): no notifications, and no waiting. The
   * server is told the participant left, so the others do not keep a seat for a closed tab for
   * the whole resume window: over the socket (fastest, when it is up) and by a beacon (which the
   * browser delivers even when the page dies before the socket frame leaves; it also ends the
   * login session, whose token nobody holds any more).
   */
  destroy(): void {
    if (this.#closed) return;
    const conf = this.#conference.value;
    if (conf) {
      this.#signal
        .request('conf:leave', { handle: conf.handle }, { timeoutMs: LEAVE_TIMEOUT_MS })
        .catch(() => {
          // The page is gone; the beacon below says the same.
        });
    }
    if (this.#resumeToken !== null) sendLeaveBeacon(this.#signal.url, this.#resumeToken);
    this.#teardownConference();
    this.#close();
  }

  /**
   * What the resume pipeline needs (resume/ports.ts); its outputs come back through
   * `#onResumeOutput`. Public so a test can drive the pipeline against a real server.
   */
  resumePorts(): ResumePorts {
    return {
      resumeLogin: () => defer(() => this.#resumeLogin()),
      resumeConference: (ctx: ConferenceContext) =>
        defer(
          (): Promise<Reply<ConfResumeInfo>> =>
            this.#transport(() =>
              this.#signal.request(
                'conf:resume',
                { handle: ctx.handle, lastSeq: ctx.lastSeq },
                UNTIL_ANSWERED,
              ),
            ),
        ),
      conference: () => {
        const c = this.#conference.value;
        return c ? { handle: c.handle, room: c.room, lastSeq: c.lastSeq } : null;
      },
      probe: () =>
        defer(async (): Promise<boolean> => {
          const peersHealthy = [...this.#mesh.peers.values()].every(
            (p) => !p.closed && (p.connectionState === 'connected' || p.connectionState === 'connecting'),
          );
          return peersHealthy && this.#socketAnswers(PROBE_TIMEOUT_MS);
        }),
      mediaRecovered: () => this.#mediaRecovered(),
    };
  }

  // ---- internals ----

  /** Sends pending chat messages in order, one at a time, while the conference is reachable. */
  async #flushOutbox(): Promise<void> {
    if (this.#flushing) return;
    this.#flushing = true;
    try {
      for (;;) {
        const conf = this.#conference.value;
        const next = this.#outbox.pending[0];
        if (!next || !conf || this.#pendingReplay || isResuming(this.#resumeState.value)) return;
        let reply: Reply<{ seq: number }>;
        try {
          reply = await this.#signal.request(
            'chat:send',
            { handle: conf.handle, id: next.id, text: next.text },
            this.#timeout(),
          );
        } catch {
          return; // Transport trouble: the message stays pending until the resume.
        }
        if (reply.code === 0) this.#outbox.markSent(next.id, reply.seq);
        else if (reply.code === ResultCode.RATE_LIMITED) {
          // The server's chat quota: this message and everything behind it wait, in order, then
          // the loop sends it again (the conference, a resume or a close are checked anew).
          const wait = Math.min(CHAT_RETRY_CAP_MS, Math.max(0, reply.retryAfterMs ?? CHAT_RETRY_DEFAULT_MS));
          await firstValueFrom(timer(wait, this.#resumeOptions.scheduler ?? asyncScheduler));
        } else if (SENDER_GONE.has(reply.code))
          return; // Our handle is being replaced: wait.
        else this.#outbox.markFailed(next.id, reply.code, new MeetingError(reply.code, reply.message));
      }
    } finally {
      this.#flushing = false;
    }
  }

  /**
   * One login resume at a time, even when the pipeline aborts an attempt: an aborted attempt
   * whose `resume` already reached the server has spent the token, and only its reply carries
   * the rotated one. So a new attempt first lets the previous one settle (a dead socket fails it
   * at once), then goes on with whatever token is current.
   */
  #resumeLogin(): Promise<Reply<SessionInfo>> {
    const previous = this.#loginResume ?? Promise.resolve();
    const attempt = previous
      .catch(() => undefined)
      .then(async (): Promise<Reply<SessionInfo>> => {
        this.#assertOpen('resumeLogin');
        const token = this.#resumeToken;
        if (!token) return { code: ResultCode.RESUME_TOKEN_REJECTED, message: 'no resume token' };
        const reply = await this.#transport(async () => {
          await this.#signal.replaceSocket();
          return this.#signal.request('resume', { token }, UNTIL_ANSWERED);
        });
        if (reply.code === 0) {
          this.#resumeToken = reply.resumeToken;
          // Fresh credentials, and perhaps the relay this new network needs: restarts use them.
          this.#applyIceConfig(reply);
          this.#recovery.iceConfigChanged();
        }
        return reply;
      });
    this.#loginResume = attempt;
    return attempt;
  }

  #startSession(info: SessionInfo): Session {
    const session = { userId: info.userId, name: info.name };
    this.#session = session;
    this.#resumeToken = info.resumeToken;
    this.#applyIceConfig(info);
    this.#mesh.setLocalUser(info.userId);
    this.#notifier.emit(TsdkEvent.AUTH_SUCCESS, 0, TSDK_SUCCESS, {});
    this.#notifier.emit(TsdkEvent.LOGIN_SUCCESS, 0, TSDK_SUCCESS, { ...session });
    this.#startResume();
    return { ...session };
  }

  /** Watches the network for as long as the login session lives (spec §4), and resumes it. */
  #startResume(): void {
    this.#resume?.unsubscribe();
    const inputs: NetworkInputs = {
      ...this.#environment,
      socketDisconnects$: this.socketDisconnects$,
      localAddress$: this.#localAddress,
      mediaOutages$: this.#mediaOutages,
    };
    this.#resume = createResumePipeline({
      triggers$: watchNetwork(inputs),
      online$: watchOnline(inputs),
      ports: this.resumePorts(),
      ...this.#resumeOptions,
    }).subscribe({
      next: (out) => this.#onResumeOutput(out),
      error: (err: unknown) => this.#logger.warn('resume pipeline failed', err),
    });
  }

  /**
   * The server's STUN/TURN servers, unless the app brought its own; and a renewal before the TURN
   * credentials expire, so a meeting longer than their lifetime can still gather relay candidates.
   */
  #applyIceConfig(config: IceConfig): void {
    if (this.#ownIceServers) return;
    this.#mesh.setIceConfig(config.iceServers, config.iceTransportPolicy ?? 'all');
    this.#iceRefresh?.unsubscribe();
    this.#iceRefresh = null;
    const expiries = config.iceServers.flatMap((s) => {
      const expiry = Number(s.username?.split(':')[0]);
      return Number.isFinite(expiry) && expiry > 0 ? [expiry * 1_000] : [];
    });
    if (expiries.length === 0) return;
    const now = this.#now();
    const lifetime = Math.min(...expiries) - now;
    if (lifetime <= 0) return;
    const scheduler = this.#resumeOptions.scheduler ?? asyncScheduler;
    this.#iceRefresh = timer(lifetime * ICE_REFRESH_AT, scheduler).subscribe(() => {
      this.#signal.request('ice:refresh', {}, this.#timeout()).then(
        (reply) => {
          if (reply.code === 0) this.#applyIceConfig(reply);
        },
        // Not reachable now: the resume that follows brings fresh credentials anyway.
        (err: unknown) => this.#logger.debug('ice:refresh failed', err),
      );
    });
  }

  /** Whether our signaling socket answers a `ping` within `timeoutMs`. */
  async #socketAnswers(timeoutMs: number): Promise<boolean> {
    if (!this.#signal.connected) return false;
    try {
      return (await this.#signal.request('ping', {}, { timeoutMs })).code === 0;
    } catch {
      return false;
    }
  }

  /**
   * Media flows again, both ways, with every participant whose outage the running episode
   * covers: we decode them, and they say they decode us. Checked every MEDIA_CHECK_MS.
   */
  #mediaRecovered(): Observable<unknown> {
    const scheduler = this.#resumeOptions.scheduler ?? asyncScheduler;
    const flowingBothWays = (userId: string): Observable<boolean> =>
      this.#mesh.flowingFrom(userId) ? this.#arbiter.remoteFlowing(userId) : of(false);
    return timer(0, MEDIA_CHECK_MS, scheduler).pipe(
      exhaustMap(() => {
        const peers = [...this.#episodePeers].filter((userId) => this.#mesh.peers.has(userId));
        if (peers.length === 0) return of(true);
        return forkJoin(peers.map(flowingBothWays)).pipe(map((answers) => answers.every(Boolean)));
      }),
      filter(Boolean),
      take(1),
    );
  }

  #onResumeOutput(out: ResumeOutput): void {
    switch (out.type) {
      case 'state': {
        const was = this.#resumeState.value;
        // Signals (restart offers included) wait for the new handle instead of being refused.
        if (!isResuming(was) && isResuming(out.state)) {
          this.#episodePeers.clear();
          for (const userId of this.#arbiter.owned) this.#episodePeers.add(userId);
          if (out.state.originalHandle !== null) this.#mesh.setLocalHandle(null);
          // An episode means our own connectivity broke, not one peer's: a stalled path will
          // not heal by itself, so restart now rather than after the stall's grace.
          if (this.#conference.value) this.#recovery.stallsAreOurs();
        }
        this.#resumeState.next(out.state);
        if (isResuming(was) && !isResuming(out.state)) {
          this.#episodeEndedAt = this.#now();
          this.#episodePeers.clear();
          this.#arbiter.episodeEnded();
        }
        return;
      }
      case 'login-resumed':
        this.#session = { userId: out.session.userId, name: out.session.name };
        return;
      case 'conference-resumed':
        this.#adoptResumedConference(out.info);
        return;
      case 'failed':
        this.#onResumeFailed(out.originalHandle);
        return;
      case 'notify': {
        const n = out.notification;
        this.#notifier.publish(n);
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
        if (n.event === TsdkEvent.CONF_RESUME_RESULT && this.#pendingReplay) {
          const info = this.#pendingReplay;
          this.#pendingReplay = null;
          this.#applyReplay(info);
        }
        return;
      }
    }
  }

  /** The new handle is ours from now on; healthy peers stay, re-keyed by the server's `replaced`. */
  #adoptResumedConference(info: ConfResumeInfo): void {
    const conf = this.#conference.value;
    if (!conf) return;
    this.#conference.next({ ...conf, handle: info.handle });
    this.#mesh.setLocalHandle(info.handle);
    this.#pendingReplay = info;
    // Media needs only the new handle, not the replay: a dead peer is rebuilt, a struggling one
    // recovered, healthy ones are never touched. (A media-triggered RESULT waits for this.)
    for (const [userId, peer] of this.#mesh.peers) {
      if (peer.closed || peer.connectionState === 'failed') this.#mesh.rebuildPeer(userId);
      else if (peer.iceConnectionState === 'disconnected') this.#recovery.recover(userId);
    }
  }

  /** Applies what was missed, exactly once and in order, then takes the server's roster as truth. */
  #applyReplay(info: ConfResumeInfo): void {
    const early = this.#early;
    this.#early = [];
    if (info.replay.code === 0) {
      for (const e of info.replay.events) this.#onConfEvent(e);
    }
    const conf = this.#conference.value;
    if (!conf) return;
    this.#conference.next({ ...conf, roster: info.roster, lastSeq: Math.max(conf.lastSeq, info.seq) });
    if (info.replay.code !== 0) {
      // History aged out: resync from the snapshot (roster above, recent chat here), and say so.
      const known = new Set(this.#messages.map((m) => m.id));
      const fresh = info.replay.chat.filter((m) => !known.has(m.id));
      for (const m of fresh) {
        this.#outbox.delivered(m.id);
        this.#messages.push(m);
        this.#chat.next(m);
      }
      this.#notifier.emit<ConfUpdateData>(TsdkEvent.INFO_AND_STATUS_UPDATE, info.handle, TSDK_SUCCESS, {
        change: 'resync',
        roster: [...info.roster],
      });
      this.#resynced.next({ room: conf.room, fromSeq: conf.lastSeq, recoveredChat: fresh.length });
    }
    const me = this.#session?.userId;
    const present = new Set(info.roster.map((p) => p.userId));
    for (const userId of this.#mesh.peers.keys()) if (!present.has(userId)) this.#mesh.removePeer(userId);
    for (const p of info.roster) if (p.userId !== me) this.#mesh.addPeer(p.userId, p.handle);
    for (const e of early) this.#onConfEvent(e);
    void this.#flushOutbox();
  }

  #onResumeFailed(originalHandle: number | null): void {
    const state = this.#resumeState.value;
    this.#pendingReplay = null;
    this.#early = [];
    // A media-triggered episode may fail after the conference resumed (media never came back):
    // the seat under the new handle is live, so say we leave, as `leave()` would.
    const adopted = this.#conference.value?.handle;
    if (adopted !== undefined && adopted !== originalHandle) {
      this.#signal.request('conf:leave', { handle: adopted }, { timeoutMs: LEAVE_TIMEOUT_MS }).catch(() => {
        // The seat is released when the socket or the resume window goes anyway.
      });
    }
    if (originalHandle !== null) this.#teardownConference();
    // A login that did not come back is gone on the server too: start over from login, once the
    // pipeline has reported the episode's RESULTs (dropping it now would cut them off).
    if (state.kind !== 'failed' || !state.loginResumed) this.#sessionLost = { originalHandle };
  }

  #dropSession(): void {
    this.#iceRefresh?.unsubscribe();
    this.#resume?.unsubscribe();
    this.#resume = null;
    this.#session = null;
    this.#resumeToken = null;
    this.#signal.disconnect();
  }

  /** Takes a join (or resume) reply as the truth: handle, roster, sequence; media follows it. */
  #adoptConference(info: JoinInfo): void {
    this.#conference.next({ handle: info.handle, room: info.room, roster: info.roster, lastSeq: info.seq });
    this.#mesh.setLocalHandle(info.handle);
    for (const p of info.roster) this.#mesh.addPeer(p.userId, p.handle);
  }

  #onConfEvent(event: ConfEvent): void {
    // During a join or a conference resume, live events wait for the reply (and its replay),
    // so nothing is applied out of order; duplicates are then dropped by seq.
    if (this.#busy === 'join' || this.#pendingReplay || this.#resumingConference()) {
      this.#early.push(event);
      // Media cannot wait for the replay: signals to a participant's retired handle are lost.
      if (event.kind === 'replaced') this.#mesh.rekey(event.participant.userId, event.participant.handle);
      return;
    }
    const conf = this.#conference.value;
    if (!conf || event.room !== conf.room) return;
    const next = applyConfEvent(conf, event);
    if (!next) return;
    const view: ConferenceView = { ...conf, roster: next.roster, lastSeq: next.lastSeq };
    this.#conference.next(view);
    const me = this.#session?.userId;
    // Our own presence is reported by JOIN/RESUME results, not as a roster update.
    const aboutMe =
      (event.kind === 'replaced' || event.kind === 'joined') && event.participant.userId === me
        ? true
        : (event.kind === 'status' || event.kind === 'left') &&
          findByHandle(conf.roster, event.handle)?.userId === me;
    if (aboutMe) return;
    switch (event.kind) {
      case 'joined':
        this.#mesh.addPeer(event.participant.userId, event.participant.handle);
        break;
      case 'left': {
        const gone = findByHandle(conf.roster, event.handle);
        if (gone && gone.userId !== this.#session?.userId) {
          this.#recovery.forget(gone.userId);
          this.#arbiter.forget(gone.userId);
          this.#mesh.removePeer(gone.userId);
        }
        break;
      }
      case 'replaced':
        this.#mesh.rekey(event.participant.userId, event.participant.handle);
        break;
      case 'chat':
        this.#outbox.delivered(event.message.id);
        this.#messages.push(event.message);
        this.#chat.next(event.message);
        return;
      case 'status':
        break;
    }
    this.#notifier.emit<ConfUpdateData>(TsdkEvent.INFO_AND_STATUS_UPDATE, view.handle, TSDK_SUCCESS, {
      change: event.kind,
      event,
      roster: [...view.roster],
    });
  }

  #endConference(code: number, message: string): void {
    const conf = this.#conference.value;
    if (!conf) return;
    this.#teardownConference();
    this.#notifier.emit(TsdkEvent.CONF_END_IND, conf.handle, code, failureData(code, message));
  }

  #teardownConference(): void {
    this.#outbox.failPending(
      ResultCode.CONF_ENDED,
      new MeetingError(ResultCode.CONF_ENDED, 'left the conference'),
    );
    this.#outbox.clear();
    this.#mesh.setLocalHandle(null);
    this.#mesh.clear();
    this.#messages.length = 0;
    if (this.#conference.value) this.#conference.next(null);
  }

  #resumingConference(): boolean {
    const state = this.#resumeState.value;
    return isResuming(state) && state.originalHandle !== null && this.#conference.value !== null;
  }

  #close(): void {
    this.#networkWatch.unsubscribe();
    this.#iceRefresh?.unsubscribe();
    this.#recovery.stop();
    this.#arbiter.stop();
    this.#resume?.unsubscribe();
    this.#resume = null;
    this.#closed = true;
    this.#session = null;
    this.#resumeToken = null;
    this.#mesh.destroy();
    this.#signal.close();
    this.#conference.complete();
    this.#resumeState.complete();
    this.#chat.complete();
    this.#localAddress.complete();
  }

  #sendSignal(to: number, data: SignalData): void {
    const from = this.#mesh.localHandle;
    if (from === null || this.#closed) return;
    this.#signal.request('signal', { from, to, data }, this.#timeout()).then(
      (reply) => {
        if (reply.code !== 0) this.#logger.warn('signal refused', resultCodeName(reply.code), reply.message);
      },
      (err) => this.#logger.debug('signal not delivered', err),
    );
  }

  /** Runs a request; a transport failure becomes SERVER_UNAVAILABLE (reported via `failure`). */
  async #call<R>(
    run: () => Promise<R>,
    { failure }: { failure?: (code: number, message: string) => void } = {},
  ): Promise<R> {
    try {
      return await run();
    } catch (err) {
      if (!(err instanceof SignalTransportError)) throw err;
      const code = ResultCode.SERVER_UNAVAILABLE;
      failure?.(code, err.message);
      throw new MeetingError(code, err.message, { cause: err });
    }
  }

  /** Runs a request for the resume pipeline: transport failures become its `TransportError`. */
  async #transport<R>(run: () => Promise<R>): Promise<R> {
    try {
      return await run();
    } catch (err) {
      if (err instanceof SignalTransportError) throw new TransportError(err.message, { cause: err });
      throw err;
    }
  }

  #timeout(): { timeoutMs?: number } {
    return this.#requestTimeoutMs === undefined ? {} : { timeoutMs: this.#requestTimeoutMs };
  }

  #assertOpen(method: string): void {
    if (this.#closed) throw invalidState(`${method}: the client is closed (logged out or destroyed)`);
  }
}
