/**
 * The full mesh: one peer link per remote participant, keyed by the participant's userId
 * (stable across a resume; handles are not). Media never talks to the server: it hands
 * outgoing signals to an injected port and is fed incoming ones.
 */
import {
  asyncScheduler,
  BehaviorSubject,
  interval,
  type Observable,
  type SchedulerLike,
  Subject,
  type Subscription,
} from 'rxjs';
import type { SignalData } from '../../../../shared/src/index.ts';
import type { LinkDiagnostics, LinkState, PeerLinkFactory, PeerLinkLike } from './peer-link.ts';
import { type StallSample, type StallTrack, trackStalls } from './stall-detector.ts';
import {
  isInitiator,
  isKeyframeRequest,
  isOutageSignal,
  isRestartSignal,
  type OutageSignal,
} from './wire.ts';

/** How the mesh reaches the remote side; the facade carries it over the signaling socket. */
export interface SignalPort {
  sendSignal(toHandle: number, data: SignalData): void;
}

export interface PeerSnapshot extends LinkState {
  userId: string;
  handle: number;
  initiator: boolean;
  /** 1 for the first link to this participant, +1 for each rebuild. */
  generation: number;
}

export interface MeshOptions {
  port: SignalPort;
  createLink: PeerLinkFactory;
  /** Obtains the local camera+microphone; called at most once. */
  getUserMedia?: () => Promise<MediaStream>;
  /** None by default: loopback / LAN. The server's configuration replaces it (`setIceConfig`). */
  iceServers?: RTCIceServer[];
  /**
   * A participant whose first link has not connected this long is reported in `unreachable$`
   * (the network blocks the path: no relay, or UDP blocked with no TURN over TCP).
   */
  unreachableAfterMs?: number;
  now?: () => number;
  /** Drives the media-stall polling (virtual time in tests). */
  scheduler?: SchedulerLike;
  /**
   * Inbound-bytes polling period and the silence that counts as a stall. Audio and video flow
   * without pause (50+ packets/s), so 700 ms of silence is a dead path, not a quiet one. With a
   * 200 ms poll a stall is seen 0.7–1.1 s after the last packet, which leaves room to tell both
   * participants within 1.5 s (the probe exchange adds a few ms, a loaded machine more).
   */
  stallPollMs?: number;
  stallMs?: number;
  /** After a broken path, get our starved decoders a keyframe from the other side (default true). */
  keyframeOnRecovery?: boolean;
  /** Where the outage protocol's messages go (outage-arbiter.ts); the mesh only carries them. */
  onOutageSignal?: (userId: string, data: OutageSignal) => void;
}

/** One link as a test or a support page sees it. */
export interface PeerDiagnostics extends LinkDiagnostics {
  userId: string;
  handle: number;
  generation: number;
}

interface Member {
  userId: string;
  handle: number;
  link: PeerLinkLike | null;
  linkSubs: Subscription | null;
  generation: number;
  createdAt: number;
  /** Signals that arrived before the link existed (local media still starting). */
  pending: SignalData[];
  /** We asked the initiator for an ICE restart and no offer has come since. */
  restartAsked: boolean;
  /** A link to this participant has been connected at least once. */
  everConnected: boolean;
  /** Runs out when no link to this participant connected in time. */
  reachDeadline: Subscription | null;
}

/**
 * A path that received something this recently works. A healthy path has grown within one poll
 * (200 ms); when one path is reported stalled (700 ms), another cut at the same instant has been
 * silent at least one poll less (500 ms). Between the two.
 */
const PATH_OK_SILENCE_MS = 400;
/**
 * A first connection takes ~0.2 s on a LAN and ~1–3 s through a relay; ten seconds without one
 * means the path is blocked, and the user should be told rather than left with a black tile.
 */
const UNREACHABLE_AFTER_MS = 10_000;
/** A rebuild request from the non-initiator is ignored while our link is this young (both sides asked). */
const REBUILD_DEDUPE_MS = 2_000;
/** Bound on signals kept for a handle we do not know yet. */
const MAX_PENDING_PER_HANDLE = 256;
const MAX_PENDING_HANDLES = 32;

function defaultGetUserMedia(): Promise<MediaStream> {
  return navigator.mediaDevices.getUserMedia({ video: true, audio: true });
}

export class Mesh {
  readonly #port: SignalPort;
  readonly #createLink: PeerLinkFactory;
  readonly #getUserMedia: () => Promise<MediaStream>;
  #iceServers: RTCIceServer[];
  #iceTransportPolicy: RTCIceTransportPolicy = 'all';
  readonly #unreachableAfterMs: number;
  readonly #now: () => number;
  readonly #scheduler: SchedulerLike;
  readonly #stallPollMs: number;
  readonly #stallMs: number;
  readonly #keyframeOnRecovery: boolean;
  readonly #onOutageSignal: (userId: string, data: OutageSignal) => void;
  #stallWatch: Subscription | null = null;
  #stallTracks: ReadonlyMap<string, StallTrack> = new Map();

  #localUserId: string | null = null;
  #localHandle: number | null = null;
  /** The last non-null own handle: a new one means we resumed on a new socket. */
  #lastHandle: number | null = null;
  #localStream: MediaStream | null = null;
  #media: Promise<MediaStream | null> | null = null;
  #mediaSettled = false;
  #destroyed = false;
  readonly #members = new Map<string, Member>();
  readonly #userByHandle = new Map<number, string>();
  /** Signals from a handle not mapped yet (e.g. before the roster update that names it). */
  readonly #unknown = new Map<number, SignalData[]>();
  /** Outgoing signals held while we have no valid own handle (mid-resume). */
  readonly #outbox: { userId: string; data: SignalData }[] = [];

  readonly #remoteStreams = new BehaviorSubject<ReadonlyMap<string, MediaStream>>(new Map());
  readonly #peers = new BehaviorSubject<ReadonlyMap<string, PeerSnapshot>>(new Map());
  readonly #peerChanges = new Subject<PeerSnapshot>();
  readonly #localStream$ = new BehaviorSubject<MediaStream | null>(null);
  readonly #stalls = new Subject<{ userId: string }>();
  readonly #reconnecting = new BehaviorSubject<ReadonlySet<string>>(new Set());
  readonly #unreachable = new BehaviorSubject<ReadonlySet<string>>(new Set());
  readonly #recovered = new Subject<{ userId: string }>();

  /** userId → the participant's incoming stream. */
  readonly remoteStreams$: Observable<ReadonlyMap<string, MediaStream>> = this.#remoteStreams.asObservable();
  /** userId → the state of that participant's link (ICE / connection state, closed). */
  readonly peers$: Observable<ReadonlyMap<string, PeerSnapshot>> = this.#peers.asObservable();
  /** Every change of any link's state: triggers for the resume pipeline (`disconnected`/`failed`). */
  readonly peerState$: Observable<PeerSnapshot> = this.#peerChanges.asObservable();
  readonly localStream$: Observable<MediaStream | null> = this.#localStream$.asObservable();
  /** A connected peer from which no media bytes arrived for `stallMs` (once per stall). */
  readonly mediaStalls$: Observable<{ userId: string }> = this.#stalls.asObservable();
  /**
   * Participants whose media is being recovered: from a broken path (a stall, ICE trouble, a
   * restart) or a rebuilt link until their media decodes steadily again (truthful tiles).
   */
  readonly reconnecting$: Observable<ReadonlySet<string>> = this.#reconnecting.asObservable();
  /**
   * Participants no link to whom has ever connected within `unreachableAfterMs`: the network
   * blocks the path (recovery keeps trying; one that connects leaves the set).
   */
  readonly unreachable$: Observable<ReadonlySet<string>> = this.#unreachable.asObservable();
  /** A participant leaves `reconnecting$` because its media decodes again. */
  readonly mediaRecovered$: Observable<{ userId: string }> = this.#recovered.asObservable();

  constructor(options: MeshOptions) {
    this.#port = options.port;
    this.#createLink = options.createLink;
    this.#getUserMedia = options.getUserMedia ?? defaultGetUserMedia;
    this.#iceServers = options.iceServers ?? [];
    this.#unreachableAfterMs = options.unreachableAfterMs ?? UNREACHABLE_AFTER_MS;
    this.#now = options.now ?? Date.now;
    this.#scheduler = options.scheduler ?? asyncScheduler;
    this.#stallPollMs = options.stallPollMs ?? 200;
    this.#stallMs = options.stallMs ?? 700;
    this.#keyframeOnRecovery = options.keyframeOnRecovery ?? true;
    this.#onOutageSignal = options.onOutageSignal ?? (() => {});
  }

  get localStream(): MediaStream | null {
    return this.#localStream;
  }

  get localHandle(): number | null {
    return this.#localHandle;
  }

  /** userId → the current state of the link to that participant. */
  get peers(): ReadonlyMap<string, PeerSnapshot> {
    return this.#peers.value;
  }

  /** Who we are: decides which side of each pair initiates. */
  setLocalUser(userId: string): void {
    this.#localUserId = userId;
  }

  /** Our current conference handle; null holds outgoing signals until a new one is set. */
  setLocalHandle(handle: number | null): void {
    this.#localHandle = handle;
    if (handle === null) return;
    const queued = this.#outbox.splice(0);
    for (const { userId, data } of queued) this.#send(userId, data);
    // Our previous socket may have died with offers or restart requests in it.
    if (this.#lastHandle !== null && handle !== this.#lastHandle)
      for (const member of this.#members.values()) this.#renegotiateLost(member);
    this.#lastHandle = handle;
  }

  /**
   * Starts the camera and microphone once; later calls return the same stream. Resolves with
   * null when media is unavailable (the mesh then only receives).
   */
  startLocalMedia(): Promise<MediaStream | null> {
    this.#media ??= this.#getUserMedia()
      .then(
        (stream) => stream,
        () => null,
      )
      .then((stream) => {
        this.#mediaSettled = true;
        if (this.#destroyed) {
          for (const t of stream?.getTracks() ?? []) t.stop();
          return null;
        }
        this.#localStream = stream;
        this.#localStream$.next(stream);
        for (const m of this.#members.values()) if (!m.link) this.#connect(m);
        return stream;
      });
    return this.#media;
  }

  /** Opens a link to a participant (no-op for ourselves or someone already known). */
  addPeer(userId: string, handle: number): void {
    this.#assertOpen();
    if (userId === this.#localUserId) return;
    const existing = this.#members.get(userId);
    if (existing) {
      this.rekey(userId, handle);
      return;
    }
    const member: Member = {
      userId,
      handle,
      link: null,
      linkSubs: null,
      generation: 0,
      createdAt: this.#now(),
      pending: [],
      restartAsked: false,
      everConnected: false,
      reachDeadline: null,
    };
    this.#members.set(userId, member);
    this.#userByHandle.set(handle, userId);
    this.#adoptUnknown(member);
    if (this.#mediaSettled) this.#connect(member);
    else void this.startLocalMedia();
  }

  /** The participant's handle changed (a resume): the link is left untouched. */
  rekey(userId: string, handle: number): void {
    this.#assertOpen();
    const member = this.#members.get(userId);
    if (!member || member.handle === handle) return;
    this.#userByHandle.delete(member.handle);
    member.handle = handle;
    this.#userByHandle.set(handle, userId);
    this.#adoptUnknown(member);
    this.#publishPeer(member);
    this.#renegotiateLost(member);
  }

  /** A signal relayed from `fromHandle`. */
  handleSignal(fromHandle: number, data: SignalData): void {
    if (this.#destroyed) return;
    const userId = this.#userByHandle.get(fromHandle);
    const member = userId === undefined ? undefined : this.#members.get(userId);
    if (!member) {
      this.#holdUnknown(fromHandle, data);
      return;
    }
    this.#deliver(member, data);
  }

  removePeer(userId: string): void {
    const member = this.#members.get(userId);
    if (!member) return;
    this.#members.delete(userId);
    this.#userByHandle.delete(member.handle);
    this.#closeLink(member);
    member.reachDeadline?.unsubscribe();
    this.#publishReconnecting(userId, false, { recovered: false });
    this.#publishUnreachable(userId, false);
    const peers = new Map(this.#peers.value);
    peers.delete(userId);
    this.#peers.next(peers);
    for (let i = this.#outbox.length - 1; i >= 0; i--)
      if (this.#outbox[i]?.userId === userId) this.#outbox.splice(i, 1);
  }

  /**
   * A new connection to the participant, on the same local stream. Both sides must start over,
   * so the other side is told with a `restart` signal (before our new offer, if we offer).
   */
  rebuildPeer(userId: string): void {
    this.#assertOpen();
    const member = this.#members.get(userId);
    if (!member || !this.#mediaSettled) return;
    if (this.#initiates(member)) {
      this.#send(userId, { type: 'restart', rebuild: true });
      this.#connect(member);
    } else {
      this.#connect(member);
      this.#send(userId, { type: 'restart', rebuild: true });
    }
  }

  /**
   * The fast path: ICE restart on a live connection. Only the initiator can restart, so the
   * other side asks it to. A dead link is rebuilt instead.
   */
  restartIce(userId: string): void {
    this.#assertOpen();
    const member = this.#members.get(userId);
    if (!member?.link) return;
    if (member.link.closed) this.rebuildPeer(userId);
    else if (member.link.initiator) member.link.restartIce();
    else {
      member.restartAsked = true;
      this.#send(userId, { type: 'restart', rebuild: false });
    }
  }

  /**
   * The STUN/TURN servers to use from now on (the server's, with fresh credentials): every live
   * link takes them for its next gathering, every new link is made with them.
   */
  setIceConfig(iceServers: RTCIceServer[], iceTransportPolicy: RTCIceTransportPolicy = 'all'): void {
    this.#iceServers = iceServers;
    this.#iceTransportPolicy = iceTransportPolicy;
    for (const m of this.#members.values()) m.link?.setIceConfig(iceServers, iceTransportPolicy);
  }

  /** Sends one of the outage protocol's messages to the participant (held while we have no handle). */
  sendOutageSignal(userId: string, data: OutageSignal): void {
    this.#send(userId, data);
  }

  /**
   * Whether some participant other than `userId` still sends us media: a connected link whose
   * bytes grew within PATH_OK_SILENCE_MS at the last poll.
   */
  pathsOkExcept(userId: string): boolean {
    const now = this.#now();
    for (const m of this.#members.values()) {
      if (m.userId === userId || !m.link || m.link.closed || m.link.state.connectionState !== 'connected')
        continue;
      const track = this.#stallTracks.get(m.userId);
      if (track && now - track.since < PATH_OK_SILENCE_MS) return true;
    }
    return false;
  }

  /** Whether the participant's media reaches us: a connected link that is not being recovered. */
  flowingFrom(userId: string): boolean {
    const link = this.#members.get(userId)?.link;
    return !!link && !link.closed && !link.recovering && link.state.connectionState === 'connected';
  }

  /** Whether the link to the participant has never connected and its ICE checks are still going. */
  iceChecking(userId: string): Promise<boolean> {
    const link = this.#members.get(userId)?.link;
    return link && !link.closed ? link.iceChecking().catch(() => false) : Promise.resolve(false);
  }

  /** Media bytes received from the participant (null: no live link). */
  inboundBytes(userId: string): Promise<number | null> {
    const link = this.#members.get(userId)?.link;
    return link && !link.closed ? link.inboundBytes().catch(() => null) : Promise.resolve(null);
  }

  diagnostics(): PeerDiagnostics[] {
    return [...this.#members.values()].flatMap((m) =>
      m.link
        ? [{ userId: m.userId, handle: m.handle, generation: m.generation, ...m.link.diagnostics() }]
        : [],
    );
  }

  /** Closes every link and stops the local tracks. The mesh cannot be used again. */
  destroy(): void {
    if (this.#destroyed) return;
    for (const userId of [...this.#members.keys()]) this.removePeer(userId);
    this.#destroyed = true;
    this.#stallWatch?.unsubscribe();
    for (const t of this.#localStream?.getTracks() ?? []) t.stop();
    this.#localStream = null;
    this.#localStream$.next(null);
    this.#outbox.length = 0;
    this.#unknown.clear();
    for (const s of [
      this.#remoteStreams,
      this.#peers,
      this.#peerChanges,
      this.#localStream$,
      this.#stalls,
      this.#reconnecting,
      this.#unreachable,
      this.#recovered,
    ])
      s.complete();
  }

  /** Closes every link but keeps the local stream (leaving a conference, staying logged in). */
  clear(): void {
    for (const userId of [...this.#members.keys()]) this.removePeer(userId);
    this.#outbox.length = 0;
    this.#unknown.clear();
  }

  /** Polls inbound bytes of connected links while there are any. */
  #watchStalls(): void {
    if (this.#stallWatch || this.#destroyed) return;
    let polling = false;
    this.#stallWatch = interval(this.#stallPollMs, this.#scheduler).subscribe(() => {
      if (polling) return;
      const links = [...this.#members.values()].flatMap((m) =>
        m.link && !m.link.closed && m.link.state.connectionState === 'connected'
          ? [{ userId: m.userId, link: m.link }]
          : [],
      );
      polling = true;
      void Promise.all(
        links.map(
          ({ userId, link }): Promise<StallSample> =>
            link.inboundBytes().then(
              (bytesReceived) => ({
                userId,
                bytesReceived: member(this.#members, userId, link) ? bytesReceived : null,
              }),
              () => ({ userId, bytesReceived: null }),
            ),
        ),
      ).then((samples) => {
        polling = false;
        if (this.#destroyed) return;
        const { tracks, stalled } = trackStalls(this.#stallTracks, samples, this.#now(), this.#stallMs);
        this.#stallTracks = tracks;
        for (const userId of stalled) {
          this.#members.get(userId)?.link?.markBroken();
          this.#stalls.next({ userId });
        }
      });
    });
  }

  #initiates(member: Member): boolean {
    if (this.#localUserId === null) throw new Error('mesh: local user is not set');
    return isInitiator(this.#localUserId, member.userId);
  }

  #deliver(member: Member, data: SignalData): void {
    if (isRestartSignal(data)) {
      this.#onRestart(member, data.rebuild);
      return;
    }
    if (isKeyframeRequest(data)) {
      void member.link?.forceKeyframe();
      return;
    }
    if (isOutageSignal(data)) {
      this.#onOutageSignal(member.userId, data);
      return;
    }
    if ('type' in data && data.type === 'offer') member.restartAsked = false;
    if (!member.link) {
      member.pending.push(data);
      return;
    }
    member.link.signal(data);
  }

  /**
   * What we sent to a socket that had died by then is lost, and nothing tells us: an offer never
   * answered would stall simple-peer's negotiation for good, and a restart request never acted
   * on leaves the path dead until a rebuild. Sent again once either side has a new socket.
   */
  #renegotiateLost(member: Member): void {
    const link = member.link;
    if (!link || link.closed) return;
    if (link.initiator) {
      if (link.awaitingAnswer) link.restartIce({ replaceUnanswered: true });
    } else if (member.restartAsked) {
      this.#send(member.userId, { type: 'restart', rebuild: false });
    }
  }

  #onRestart(member: Member, rebuild: boolean): void {
    if (!this.#mediaSettled) return;
    const link = member.link;
    if (this.#initiates(member)) {
      if (!rebuild && link && !link.closed) {
        link.restartIce();
        return;
      }
      // The other side reset its end (or ours is dead): offer on a new link, unless ours is
      // brand new — then both sides asked at once and our fresh offer already answers it.
      if (link && !link.closed && this.#now() - member.createdAt < REBUILD_DEDUPE_MS) return;
      this.#connect(member);
    } else if (rebuild) {
      // The initiator started over: wait for its new offer on a fresh link.
      this.#connect(member);
    }
  }

  /** (Re)creates the member's link, replacing any old one. */
  #connect(member: Member): void {
    this.#closeLink(member);
    member.generation += 1;
    member.createdAt = this.#now();
    const link = this.#createLink({
      initiator: this.#initiates(member),
      stream: this.#localStream,
      iceServers: this.#iceServers,
      iceTransportPolicy: this.#iceTransportPolicy,
      keyframeOnRecovery: this.#keyframeOnRecovery,
      onSignal: (data) => {
        if (member.link === link) this.#send(member.userId, data);
      },
      onKeyframeNeeded: () => {
        if (member.link === link) this.#send(member.userId, { type: 'keyframe' });
      },
    });
    member.link = link;
    // A rebuilt link replaces a broken path: reconnecting until its media decodes.
    if (member.generation > 1) link.markBroken();
    // state$ replays the current state at once: that publishes the new link.
    member.reachDeadline ??= this.#scheduler.schedule(() => {
      if (!member.everConnected && this.#members.get(member.userId) === member)
        this.#publishUnreachable(member.userId, true);
    }, this.#unreachableAfterMs);
    const subs = link.state$.subscribe(() => {
      if (member.link !== link) return;
      if (link.state.connectionState === 'connected' && !member.everConnected) {
        member.everConnected = true;
        this.#publishUnreachable(member.userId, false);
      }
      this.#publishPeer(member);
      this.#publishReconnecting(member.userId, link.closed || link.recovering);
    });
    subs.add(
      link.recovering$.subscribe((recovering) => {
        if (member.link === link) this.#publishReconnecting(member.userId, link.closed || recovering);
      }),
    );
    subs.add(
      link.stream$.subscribe((stream) => {
        if (member.link === link) this.#setRemoteStream(member.userId, stream);
      }),
    );
    member.linkSubs = subs;
    this.#watchStalls();
    for (const data of member.pending.splice(0)) this.#deliver(member, data);
  }

  #closeLink(member: Member): void {
    const link = member.link;
    member.linkSubs?.unsubscribe();
    member.linkSubs = null;
    member.link = null;
    link?.destroy();
    this.#setRemoteStream(member.userId, null);
  }

  #publishUnreachable(userId: string, unreachable: boolean): void {
    if (!this.#destroyed) setMembership(this.#unreachable, userId, unreachable);
  }

  #publishReconnecting(userId: string, reconnecting: boolean, { recovered = true } = {}): void {
    if (this.#destroyed || !setMembership(this.#reconnecting, userId, reconnecting)) return;
    if (!reconnecting && recovered) this.#recovered.next({ userId });
  }

  #send(userId: string, data: SignalData): void {
    const member = this.#members.get(userId);
    if (!member || this.#destroyed) return;
    if (this.#localHandle === null) {
      this.#outbox.push({ userId, data });
      return;
    }
    this.#port.sendSignal(member.handle, data);
  }

  #holdUnknown(handle: number, data: SignalData): void {
    let list = this.#unknown.get(handle);
    if (!list) {
      if (this.#unknown.size >= MAX_PENDING_HANDLES) return;
      list = [];
      this.#unknown.set(handle, list);
    }
    if (list.length < MAX_PENDING_PER_HANDLE) list.push(data);
  }

  #adoptUnknown(member: Member): void {
    const held = this.#unknown.get(member.handle);
    if (!held) return;
    this.#unknown.delete(member.handle);
    for (const data of held) this.#deliver(member, data);
  }

  #setRemoteStream(userId: string, stream: MediaStream | null): void {
    const current = this.#remoteStreams.value;
    if ((current.get(userId) ?? null) === stream) return;
    const next = new Map(current);
    if (stream) next.set(userId, stream);
    else next.delete(userId);
    this.#remoteStreams.next(next);
  }

  #publishPeer(member: Member): void {
    if (this.#destroyed) return;
    const state: LinkState = member.link
      ? member.link.state
      : { iceConnectionState: 'new', connectionState: 'new', closed: false };
    const snapshot: PeerSnapshot = {
      ...state,
      userId: member.userId,
      handle: member.handle,
      initiator: this.#localUserId !== null && this.#initiates(member),
      generation: member.generation,
    };
    const peers = new Map(this.#peers.value);
    peers.set(member.userId, snapshot);
    this.#peers.next(peers);
    this.#peerChanges.next(snapshot);
  }

  #assertOpen(): void {
    if (this.#destroyed) throw new Error('mesh is destroyed');
  }
}

/** Whether `link` is still the current link of `userId` (a sample from a replaced link is void). */
function member(members: ReadonlyMap<string, Member>, userId: string, link: PeerLinkLike): boolean {
  return members.get(userId)?.link === link;
}

/** Adds `userId` to the set or takes it out, publishing a new set; false when nothing changed. */
function setMembership(
  subject: BehaviorSubject<ReadonlySet<string>>,
  userId: string,
  member: boolean,
): boolean {
  if (subject.value.has(userId) === member) return false;
  const next = new Set(subject.value);
  if (member) next.add(userId);
  else next.delete(userId);
  subject.next(next);
  return true;
}
