/**
 * The full mesh: one peer link per remote participant, keyed by the participant's userId
 * (stable across a resume; handles are not). Media never talks to the server: it hands
 * outgoing signals to an injected port and is fed incoming ones.
 */
import { asyncScheduler, type Observable, type SchedulerLike } from 'rxjs';
import type { SignalData } from '../../../../shared/src/index.ts';
import type { IcePath } from './ice-path.ts';
import type { PeerLinkLike } from './link-types.ts';
import { LocalMedia } from './local-media.ts';
import { MemberLinks } from './member-links.ts';
import { MeshMembers } from './mesh-members.ts';
import { MeshStatus } from './mesh-status.ts';
import {
  type Member,
  type MeshOptions,
  newMember,
  type PeerDiagnostics,
  type PeerSnapshot,
  type SignalPort,
  snapshotOf,
  UNREACHABLE_AFTER_MS,
} from './mesh-types.ts';
import { CONNECT_RETRY_MS, RestartProtocol } from './restart-protocol.ts';
import { SignalMailbox } from './signal-mailbox.ts';
import { StallWatch } from './stall-watch.ts';
import { isInitiator, type OutageSignal } from './wire.ts';

export type { MeshOptions, PeerDiagnostics, PeerSnapshot, SignalPort } from './mesh-types.ts';

export class Mesh {
  readonly #port: SignalPort;
  readonly #local: LocalMedia;
  readonly #links: MemberLinks;
  readonly #now: () => number;
  readonly #scheduler: SchedulerLike;
  readonly #stallWatch: StallWatch;
  readonly #status = new MeshStatus();
  readonly #mailbox = new SignalMailbox();
  readonly #restarts = new RestartProtocol({
    send: (userId, data) => this.#send(userId, data),
    connect: (member) => this.#links.connect(member),
    initiates: (member) => this.#initiates(member),
    canConnect: () => this.#local.settled,
    now: () => this.#now(),
  });

  #localUserId: string | null = null;
  #localHandle: number | null = null;
  /** The last non-null own handle: a new one means we resumed on a new socket. */
  #lastHandle: number | null = null;
  #destroyed = false;
  readonly #members = new MeshMembers();

  /** userId → the participant's incoming stream. */
  readonly remoteStreams$: Observable<ReadonlyMap<string, MediaStream>> = this.#status.remoteStreams$;
  /** userId → the state of that participant's link (ICE / connection state, closed). */
  readonly peers$: Observable<ReadonlyMap<string, PeerSnapshot>> = this.#status.peers$;
  /** Every change of any link's state: triggers for the resume pipeline (`disconnected`/`failed`). */
  readonly peerState$: Observable<PeerSnapshot> = this.#status.peerState$;
  readonly localStream$: Observable<MediaStream | null>;
  /** A connected peer from which no media bytes arrived for `stallMs` (once per stall). */
  readonly mediaStalls$: Observable<{ userId: string }>;
  /** Participants whose media is being recovered, until it decodes steadily again (truthful tiles). */
  readonly reconnecting$: Observable<ReadonlySet<string>> = this.#status.reconnecting$;
  /** Participants no link to whom connected within `unreachableAfterMs`: the network blocks the path. */
  readonly unreachable$: Observable<ReadonlySet<string>> = this.#status.unreachable$;
  /** A participant leaves `reconnecting$` because its media decodes again. */
  readonly mediaRecovered$: Observable<{ userId: string }> = this.#status.recovered$;

  constructor(options: MeshOptions) {
    this.#port = options.port;
    this.#local = new LocalMedia(options.getUserMedia);
    this.localStream$ = this.#local.stream$;
    this.#now = options.now ?? Date.now;
    this.#scheduler = options.scheduler ?? asyncScheduler;
    this.#links = new MemberLinks({
      createLink: options.createLink,
      iceServers: options.iceServers ?? [],
      keyframeOnRecovery: options.keyframeOnRecovery ?? true,
      local: this.#local,
      status: this.#status,
      scheduler: this.#scheduler,
      unreachableAfterMs: options.unreachableAfterMs ?? UNREACHABLE_AFTER_MS,
      connectRetryMs: options.connectRetryMs ?? CONNECT_RETRY_MS,
      neverConnected: (member) => this.#restarts.retryFirstLink(member),
      send: (userId, data) => this.#send(userId, data),
      initiates: (member) => this.#initiates(member),
      current: (member) => this.#members.isCurrent(member),
      publishPeer: (member) => this.#publishPeer(member),
      linked: () => this.#destroyed || this.#stallWatch.start(),
      onRestartRequest: (member, rebuild) => this.#restarts.requested(member, rebuild),
      decoderStuck: (member) => this.#restarts.rebuildStuck(member),
      onOutageSignal: options.onOutageSignal ?? (() => {}),
    });
    this.#stallWatch = new StallWatch({
      links: () => this.#members.values(),
      linkOf: (userId) => this.#members.get(userId)?.link ?? null,
      now: this.#now,
      scheduler: this.#scheduler,
      pollMs: options.stallPollMs ?? 200,
      stallMs: options.stallMs ?? 700,
    });
    this.mediaStalls$ = this.#stallWatch.stalls$;
  }

  get localStream(): MediaStream | null {
    return this.#local.stream;
  }

  get localHandle(): number | null {
    return this.#localHandle;
  }

  /** userId → the current state of the link to that participant. */
  get peers(): ReadonlyMap<string, PeerSnapshot> {
    return this.#status.peers;
  }

  /** Who we are: decides which side of each pair initiates. */
  setLocalUser(userId: string): void {
    this.#localUserId = userId;
  }

  /** Our current conference handle; null holds outgoing signals until a new one is set. */
  setLocalHandle(handle: number | null): void {
    this.#localHandle = handle;
    if (handle === null) return;
    for (const { userId, data } of this.#mailbox.takeOutgoing()) this.#send(userId, data);
    // Our previous socket may have died with offers or restart requests in it.
    if (this.#lastHandle !== null && handle !== this.#lastHandle)
      for (const member of this.#members.values()) this.#restarts.renegotiateLost(member);
    this.#lastHandle = handle;
  }

  /** Starts camera and microphone once (later calls: the same stream); null when unavailable (receive only). */
  startLocalMedia(): Promise<MediaStream | null> {
    return this.#local.start(() => {
      if (this.#destroyed) return;
      for (const m of this.#members.values()) if (!m.link) this.#links.connect(m);
    });
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
    const member = newMember(userId, handle);
    this.#members.add(member);
    this.#adoptUnknown(member);
    if (this.#local.settled) this.#links.connect(member);
    else void this.startLocalMedia();
  }

  /** The participant's handle changed (a resume): the link is left untouched. */
  rekey(userId: string, handle: number): void {
    this.#assertOpen();
    const member = this.#members.get(userId);
    if (!member || member.handle === handle) return;
    this.#members.rehandle(member, handle);
    this.#adoptUnknown(member);
    this.#publishPeer(member);
    this.#restarts.renegotiateLost(member);
  }

  handleSignal(fromHandle: number, data: SignalData): void {
    if (this.#destroyed) return;
    const member = this.#members.byHandle(fromHandle);
    if (member) this.#links.deliver(member, data);
    else this.#mailbox.holdIncoming(fromHandle, data);
  }

  removePeer(userId: string): void {
    const member = this.#members.get(userId);
    if (!member) return;
    this.#members.remove(member);
    this.#links.close(member);
    member.reachDeadline?.unsubscribe();
    this.#status.forget(userId);
    this.#mailbox.dropOutgoing(userId);
  }

  /** A new link to the participant on the same local stream; both sides start over (restart-protocol.ts). */
  rebuildPeer(userId: string): void {
    this.#assertOpen();
    const member = this.#members.get(userId);
    if (member) this.#restarts.rebuild(member);
  }

  /** ICE restart on a live link (asked of the initiator); a dead link is rebuilt. */
  restartIce(userId: string): void {
    this.#assertOpen();
    const member = this.#members.get(userId);
    if (member) this.#restarts.restart(member);
  }

  /** STUN/TURN servers from now on (fresh credentials): live links gather with them next, new links at once. */
  setIceConfig(iceServers: RTCIceServer[], iceTransportPolicy: RTCIceTransportPolicy = 'all'): void {
    this.#links.setIceConfig(iceServers, iceTransportPolicy, this.#members.values());
  }

  /** Sends one of the outage protocol's messages to the participant (held while we have no handle). */
  sendOutageSignal(userId: string, data: OutageSignal): void {
    this.#send(userId, data);
  }

  /** Our network went away (or just `userId`'s, `provisional`: maybe): links send nothing until the other side is heard. */
  holdSending(userId?: string, provisional = false): void {
    const ids = userId === undefined ? this.#members.userIds() : [userId];
    for (const id of ids) this.#members.liveLink(id)?.holdSending(provisional);
  }

  /** `userId`'s network was not gone after all: its link's provisional hold ends now. */
  liftHold(userId: string): void {
    this.#members.liveLink(userId)?.liftHold();
  }

  /** Whether some participant other than `userId` still sends us media (stall-watch.ts). */
  pathsOkExcept(userId: string): boolean {
    return this.#stallWatch.pathsOkExcept(userId);
  }

  /** Whether the participant's media reaches us: a connected link that is not being recovered. */
  flowingFrom(userId: string): boolean {
    const link = this.#members.liveLink(userId);
    return !!link && !link.recovering && link.state.connectionState === 'connected';
  }

  /** Where the link's ICE stands (ice-path.ts); `settled` without a live link. */
  icePath(userId: string): Promise<IcePath> {
    return this.#ask(userId, (link) => link.icePath(), 'settled');
  }

  /** userId → where each link's selected pair starts, if on a host candidate (lost-address.ts). */
  hostAddresses(): Promise<ReadonlyMap<string, string>> {
    return this.#members.hostAddresses();
  }

  /** Media bytes received from the participant (null: no live link). */
  inboundBytes(userId: string): Promise<number | null> {
    return this.#ask(userId, (link) => link.inboundBytes(), null);
  }

  diagnostics(): PeerDiagnostics[] {
    return this.#members.diagnostics();
  }

  /** Closes every link and stops the local tracks. The mesh cannot be used again. */
  destroy(): void {
    if (this.#destroyed) return;
    for (const userId of this.#members.userIds()) this.removePeer(userId);
    this.#destroyed = true;
    this.#stallWatch.close();
    this.#local.stop();
    this.#mailbox.clear();
    this.#status.close();
  }

  /** Closes every link but keeps the local stream (leaving a conference, staying logged in). */
  clear(): void {
    for (const userId of this.#members.userIds()) this.removePeer(userId);
    this.#mailbox.clear();
  }

  #initiates(member: Member): boolean {
    if (this.#localUserId === null) throw new Error('mesh: local user is not set');
    return isInitiator(this.#localUserId, member.userId);
  }

  #send(userId: string, data: SignalData): void {
    const member = this.#members.get(userId);
    if (!member || this.#destroyed) return;
    if (this.#localHandle === null) this.#mailbox.holdOutgoing(userId, data);
    else this.#port.sendSignal(member.handle, data);
  }

  #adoptUnknown(member: Member): void {
    for (const data of this.#mailbox.takeIncoming(member.handle)) this.#links.deliver(member, data);
  }

  #publishPeer(member: Member): void {
    if (!this.#destroyed)
      this.#status.peer(snapshotOf(member, this.#localUserId !== null && this.#initiates(member)));
  }

  #ask<T>(userId: string, read: (link: PeerLinkLike) => Promise<T>, none: T): Promise<T> {
    const link = this.#members.liveLink(userId);
    return link ? read(link).catch(() => none) : Promise.resolve(none);
  }

  #assertOpen(): void {
    if (this.#destroyed) throw new Error('mesh is destroyed');
  }
}
