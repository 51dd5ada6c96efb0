/**
 * The conference's media: the mesh of peer links, their recovery, and the arbiter that decides
 * whose a media outage is. Only an outage that is ours becomes a resume trigger; an episode's
 * RESULT waits until media flows again, both ways, with the participants it covers.
 */
import {
  asyncScheduler,
  exhaustMap,
  filter,
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
import { NO_NETWORK_ADDRESS, type SignalData, type TSDK_S_LOCAL_ADDRESS } from '../../../shared/src/index.ts';
import type { MeetingClientOptions } from './client-types.ts';
import type { ConferenceMedia } from './conference/conference-room.ts';
import { gatherFirstBurst, gatherLocalAddresses } from './media/local-addresses.ts';
import { LOST_ADDRESS_POLL_MS, watchLostAddresses } from './media/lost-address.ts';
import { Mesh } from './media/mesh.ts';
import { OutageArbiter, type OutageReason } from './media/outage-arbiter.ts';
import { handlePathsLost, idleTask, REBUILD_IDLE_MAX_MS } from './media/paths-lost.ts';
import { createPeerLink } from './media/peer-link.ts';
import { MediaRecovery } from './media/recover-media.ts';
import { isResuming, type ResumeState } from './resume/state.ts';
import {
  type NetworkInputs,
  watchBrowserEvents,
  watchLocalAddress,
  watchPeerTroubles,
} from './resume/watch-network.ts';

/** A stall this soon after our own resume belongs to the outage that episode already covered. */
const JUST_RESUMED_MS = 3_000;
/** How often a media-triggered episode checks, both ways, whether media flows again. */
const MEDIA_CHECK_MS = 250;

export interface MeetingMediaDeps {
  options: Pick<MeetingClientOptions, 'createLink' | 'getUserMedia' | 'iceServers' | 'mediaRecovery'>;
  sendSignal(to: number, data: SignalData): void;
  /** Whether our signaling socket still answers (an outage with a live socket may be theirs). */
  socketAlive(patient: boolean): Promise<boolean>;
  /** When (`now()`) our signaling socket last connected. */
  socketConnectedAt(): number;
  resumeState(): ResumeState;
  inConference(): boolean;
  /** The roster says this participant is away (their own resume runs). */
  away(userId: string): boolean;
  environment: Pick<NetworkInputs, 'window' | 'navigator'>;
  localAddress$: Observable<TSDK_S_LOCAL_ADDRESS>;
  now(): number;
  scheduler?: SchedulerLike | undefined;
}

export class MeetingMedia implements ConferenceMedia {
  readonly mesh: Mesh;
  readonly recovery: MediaRecovery;
  readonly #arbiter: OutageArbiter;
  readonly #deps: MeetingMediaDeps;
  readonly #subs: Subscription[] = [];
  readonly #outages = new Subject<{ reason: OutageReason }>();
  /** Participants whose media outage the running episode covers: its RESULT waits for them. */
  readonly #episodePeers = new Set<string>();
  #episodeEndedAt = Number.NEGATIVE_INFINITY;
  /** Media outages that are ours: resume triggers. */
  readonly outages$: Observable<{ reason: OutageReason }> = this.#outages.asObservable();
  readonly #addressLosses = new Subject<void>();
  /** The address our media rode is gone, another is up: a resume trigger (lost-address.ts). */
  readonly addressLosses$: Observable<void> = this.#addressLosses.asObservable();

  constructor(deps: MeetingMediaDeps) {
    this.#deps = deps;
    const { options } = deps;
    this.mesh = new Mesh({
      port: { sendSignal: deps.sendSignal },
      createLink: options.createLink ?? createPeerLink,
      ...(options.getUserMedia ? { getUserMedia: options.getUserMedia } : {}),
      ...(options.iceServers ? { iceServers: options.iceServers } : {}),
      keyframeOnRecovery: (options.mediaRecovery ?? 'fast') === 'fast',
      onOutageSignal: (userId, data) => this.#arbiter.handle(userId, data),
    });
    const mesh = this.mesh;
    this.#arbiter = new OutageArbiter(
      {
        send: (userId, data) => mesh.sendOutageSignal(userId, data),
        initiates: (userId) => mesh.peers.get(userId)?.initiator ?? false,
        pathsOkExcept: (userId) => mesh.pathsOkExcept(userId),
        flowingFrom: (userId) => mesh.flowingFrom(userId),
        socketAlive: deps.socketAlive,
        resuming: () => isResuming(deps.resumeState()),
        justResumed: () =>
          deps.resumeState().kind === 'resumed' && deps.now() - this.#episodeEndedAt < JUST_RESUMED_MS,
        away: deps.away,
        theirNetworkGone: (userId) => this.recovery.mode === 'fast' && mesh.holdSending(userId),
        theirNetworkInDoubt: (userId, inDoubt) =>
          this.recovery.mode === 'fast' && (inDoubt ? mesh.holdSending(userId, true) : mesh.liftHold(userId)),
      },
      deps.scheduler ? { scheduler: deps.scheduler } : {},
    );
    this.recovery = new MediaRecovery(mesh, {
      mode: options.mediaRecovery ?? 'fast',
      ...(typeof RTCPeerConnection === 'undefined' ? {} : { localAddresses: () => gatherLocalAddresses() }),
    });
    this.#wire();
  }

  /** An episode starts: it covers the outages already ours; signals wait for the new handle. */
  episodeStarted(state: ResumeState): void {
    this.#episodePeers.clear();
    for (const userId of this.#arbiter.owned) this.#episodePeers.add(userId);
    if (isResuming(state) && state.originalHandle !== null) this.mesh.setLocalHandle(null);
    // An episode means our own connectivity broke, not one peer's: a stalled path will not heal
    // by itself, so restart now rather than after the stall's grace.
    if (this.#deps.inConference()) this.recovery.stallsAreOurs();
  }

  episodeEnded(): void {
    this.#episodeEndedAt = this.#deps.now();
    this.#episodePeers.clear();
    this.#arbiter.episodeEnded();
  }

  /** Every peer link is up (or coming up): part of the resume pipeline's cheap probe. */
  get linksHealthy(): boolean {
    return [...this.mesh.peers.values()].every(
      (p) => !p.closed && (p.connectionState === 'connected' || p.connectionState === 'connecting'),
    );
  }

  /** Media flows both ways (we decode them, they say they decode us) with all the episode covers. */
  mediaRecovered(): Observable<unknown> {
    const flowingBothWays = (userId: string): Observable<boolean> =>
      this.mesh.flowingFrom(userId) ? this.#arbiter.remoteFlowing(userId) : of(false);
    return timer(0, MEDIA_CHECK_MS, this.#deps.scheduler ?? asyncScheduler).pipe(
      exhaustMap(() => {
        const peers = [...this.#episodePeers].filter((userId) => this.mesh.peers.has(userId));
        if (peers.length === 0) return of(true);
        return forkJoin(peers.map(flowingBothWays)).pipe(map((answers) => answers.every(Boolean)));
      }),
      filter(Boolean),
      take(1),
    );
  }

  // ---- ConferenceMedia ----

  startLocalMedia(): void {
    void this.mesh.startLocalMedia();
  }
  setLocalHandle(handle: number | null): void {
    this.mesh.setLocalHandle(handle);
  }
  addPeer(userId: string, handle: number): void {
    this.mesh.addPeer(userId, handle);
  }
  removePeer(userId: string): void {
    this.mesh.removePeer(userId);
  }
  peerLeft(userId: string): void {
    this.recovery.forget(userId);
    this.#arbiter.forget(userId);
    this.mesh.removePeer(userId);
  }
  rekey(userId: string, handle: number): void {
    this.mesh.rekey(userId, handle);
  }
  peerIds(): Iterable<string> {
    return this.mesh.peers.keys();
  }
  recoverAfterResume(): void {
    for (const [userId, peer] of this.mesh.peers) {
      if (peer.closed || peer.connectionState === 'failed') this.mesh.rebuildPeer(userId);
      else if (peer.iceConnectionState === 'disconnected') this.recovery.recover(userId);
    }
  }
  clear(): void {
    this.mesh.clear();
  }
  stop(): void {
    for (const sub of this.#subs) sub.unsubscribe();
    this.recovery.stop();
    this.#arbiter.stop();
    this.mesh.destroy();
  }

  #wire(): void {
    const { environment, localAddress$, inConference, scheduler = asyncScheduler } = this.#deps;
    const mesh = this.mesh;
    // Our own network changed: every path may be dead, restart them now rather than wait for ICE
    // to notice (~7 s). Offers wait in the mesh's outbox while signaling is being resumed. Not on
    // `offline`: nothing can be gathered or checked then, and a restart begun while offline
    // only stalls media the other side still receives; `online` follows a real change at once.
    this.#subs.push(
      merge(
        watchBrowserEvents(environment).pipe(filter((t) => t.reason !== 'offline')),
        watchLocalAddress(localAddress$).pipe(filter((t) => t.address !== NO_NETWORK_ADDRESS)),
      ).subscribe(() => {
        if (inConference()) this.recovery.networkChanged();
      }),
      // No network at all: what we send now would be queued and played late (outgoing-media.ts).
      watchBrowserEvents(environment)
        .pipe(filter((t) => t.reason === 'offline'))
        .subscribe(() => {
          if (inConference() && this.recovery.mode === 'fast') mesh.holdSending();
        }),
      // Every sign that a path broke goes to the arbiter; only outages it gives us become triggers.
      merge(
        mesh.mediaStalls$.pipe(map(({ userId }) => ({ userId, reason: 'media-stall' as const }))),
        watchPeerTroubles(mesh.peerState$),
      ).subscribe(({ userId, reason }) => {
        if (inConference()) this.#arbiter.trouble(userId, reason);
      }),
      mesh.mediaRecovered$.subscribe(({ userId }) => this.#arbiter.recovered(userId)),
      this.#arbiter.ours$.subscribe(({ userId, reason, covered }) => {
        if (!inConference()) return;
        // Ours: the path will not heal by itself, so restart now rather than after the stall's grace.
        this.recovery.stallsAreOurs();
        if (isResuming(this.#deps.resumeState())) this.#episodePeers.add(userId);
        else if (!covered) this.#outages.next({ reason });
      }),
    );
    if (this.recovery.mode !== 'fast' || typeof RTCPeerConnection === 'undefined') return;
    const pathsLost = handlePathsLost({
      inConference,
      socketConnectedAt: this.#deps.socketConnectedAt,
      holdSignals: () => mesh.setLocalHandle(null),
      trigger: () => this.#addressLosses.next(),
      rebuild: (userIds) => this.recovery.pathLost(userIds),
      whenIdle: (work) => idleTask(work, { maxWaitMs: REBUILD_IDLE_MAX_MS, scheduler }),
    });
    this.#subs.push(
      pathsLost.pending,
      watchLostAddresses({
        used: () => (inConference() ? mesh.hostAddresses() : Promise.resolve(new Map())),
        gather: gatherFirstBurst,
        pollMs: LOST_ADDRESS_POLL_MS,
        scheduler,
        now: this.#deps.now,
        onLost: pathsLost.onLost,
      }),
    );
  }
}
