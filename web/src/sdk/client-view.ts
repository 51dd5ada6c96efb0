/**
 * What an app can observe of a meeting client: its notifications, state and streams. Allowed on
 * a closed client too; `MeetingClient` adds what it can do.
 */
import { type Observable, Subject } from 'rxjs';
import type { ChatMessage, TSDK_S_LOCAL_ADDRESS, TsdkNotification } from '../../../shared/src/index.ts';
import { assembleClient, type ClientParts } from './assemble-client.ts';
import type { ConferenceView, MeetingClientOptions, Resync, Session } from './client-types.ts';
import type { OutboxEntry } from './conference/chat-outbox.ts';
import { invalidState } from './errors.ts';
import type { PeerDiagnostics, PeerSnapshot } from './media/mesh.ts';
import type { NotifyListener } from './notifier.ts';
import type { ResumeState } from './resume/state.ts';

export class MeetingClientView {
  /** The parts the client is made of (assemble-client.ts). */
  protected readonly parts: ClientParts;
  protected readonly localAddressInput = new Subject<TSDK_S_LOCAL_ADDRESS>();
  protected localAddressValue: TSDK_S_LOCAL_ADDRESS | null = null;
  protected isClosed = false;

  /** Every TSDK notification from subscription on, in order (hot). */
  readonly notify$: Observable<TsdkNotification>;
  /** The conference this client is in, or null (replays the current value). */
  readonly conference$: Observable<ConferenceView | null>;
  /** Chat messages of the current conference, as they arrive. */
  readonly chat$: Observable<ChatMessage>;
  /** Resumes that fell back to a snapshot because the history was gone (the app says so). */
  readonly resynced$: Observable<Resync>;
  /** Our messages not shown by the conference yet: pending (waiting for a resume), sent, failed. */
  readonly outbox$: Observable<readonly OutboxEntry[]>;
  /** Every `TSDK_E_CONFIG_LOCAL_ADDRESS` the app sets (hot: each one is a resume trigger). */
  readonly localAddress$: Observable<TSDK_S_LOCAL_ADDRESS> = this.localAddressInput.asObservable();
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
  /** Participants whose media is being recovered, until their video decodes again (tiles say "reconnecting"). */
  readonly reconnectingPeers$: Observable<ReadonlySet<string>>;
  /** Participants whose media never connected within 10 s: the network blocks the path (tiles say so). */
  readonly unreachablePeers$: Observable<ReadonlySet<string>>;
  /** The resume pipeline's state: idle, resuming-login, resuming-conference, resumed, failed. */
  readonly resumeState$: Observable<ResumeState>;

  constructor(options: MeetingClientOptions) {
    const parts = assembleClient(options, {
      localAddress$: this.localAddressInput,
      assertOpen: (method) => this.assertOpen(method),
      closed: () => this.isClosed,
    });
    this.parts = parts;
    const { mesh } = parts.media;
    this.notify$ = parts.notifier.notify$;
    this.conference$ = parts.room.conference$;
    this.chat$ = parts.chat.chat$;
    this.resynced$ = parts.room.resynced$;
    this.outbox$ = parts.chat.outbox$;
    this.remoteStreams$ = mesh.remoteStreams$;
    this.localStream$ = mesh.localStream$;
    this.peers$ = mesh.peers$;
    this.peerState$ = mesh.peerState$;
    this.connected$ = parts.signal.connected$;
    this.socketDisconnects$ = parts.socketDisconnects$;
    this.mediaStalls$ = mesh.mediaStalls$;
    this.reconnectingPeers$ = mesh.reconnecting$;
    this.unreachablePeers$ = mesh.unreachable$;
    this.resumeState$ = parts.resume.state$;
  }

  /** Every notification so far, in order. */
  get history(): TsdkNotification[] {
    return this.parts.notifier.history;
  }

  /** Calls `listener` for every later notification; returns the unsubscribe function. */
  onNotify(listener: NotifyListener): () => void {
    return this.parts.notifier.onNotify(listener);
  }

  get session(): Session | null {
    return this.parts.login.session;
  }

  get conference(): ConferenceView | null {
    return this.parts.room.view;
  }

  /** Chat messages of the current conference so far. */
  get messages(): ChatMessage[] {
    return this.parts.chat.messages;
  }

  get localStream(): MediaStream | null {
    return this.parts.media.mesh.localStream;
  }

  get localAddress(): TSDK_S_LOCAL_ADDRESS | null {
    return this.localAddressValue;
  }

  get resumeState(): ResumeState {
    return this.parts.resume.state;
  }

  /** Per peer: link generation (rebuilds), ICE credentials (restarts), remote tracks, keyframes. */
  mediaDiagnostics(): PeerDiagnostics[] {
    return this.parts.media.mesh.diagnostics();
  }

  /** True after `logout()` or `destroy()`: every action then fails with INVALID_STATE. */
  get closed(): boolean {
    return this.isClosed;
  }

  protected assertOpen(method: string): void {
    if (this.isClosed) throw invalidState(`${method}: the client is closed (logged out or destroyed)`);
  }
}
