/** A stand-in for a WebRTC peer link: records what the mesh does with it. */
import { BehaviorSubject } from 'rxjs';
import type { SignalData } from '../../../shared/src/index.ts';
import type { IcePath } from '../../../web/src/sdk/media/ice-path.ts';
import type {
  LinkDiagnostics,
  LinkState,
  PeerLinkLike,
  PeerLinkOptions,
} from '../../../web/src/sdk/media/link-types.ts';

export class FakeLink implements PeerLinkLike {
  readonly initiator: boolean;
  readonly received: SignalData[] = [];
  restarts = 0;
  readonly #state = new BehaviorSubject<LinkState>({
    iceConnectionState: 'new',
    connectionState: 'new',
    closed: false,
  });
  readonly state$ = this.#state.asObservable();
  readonly streamSubject = new BehaviorSubject<MediaStream | null>(null);
  readonly stream$ = this.streamSubject.asObservable();

  constructor(readonly options: PeerLinkOptions) {
    this.initiator = options.initiator;
  }

  get state(): LinkState {
    return this.#state.value;
  }
  get closed(): boolean {
    return this.#state.value.closed;
  }
  get peerConnection(): RTCPeerConnection | null {
    return null;
  }
  awaitingAnswer = false;
  signal(data: SignalData): void {
    this.received.push(data);
  }
  bytes: number | null = null;
  inboundBytes(): Promise<number | null> {
    return Promise.resolve(this.bytes);
  }
  path: IcePath = 'settled';
  icePath(): Promise<IcePath> {
    return Promise.resolve(this.path);
  }
  address: string | null = null;
  hostAddress(): Promise<string | null> {
    return Promise.resolve(this.address);
  }
  /** How many restarts were asked to replace an unanswered offer. */
  replacedOffers = 0;
  restartIce({ replaceUnanswered = false }: { replaceUnanswered?: boolean } = {}): boolean {
    this.restarts++;
    if (replaceUnanswered) this.replacedOffers++;
    return this.initiator;
  }
  readonly iceConfigs: { iceServers: RTCIceServer[]; iceTransportPolicy: RTCIceTransportPolicy }[] = [];
  setIceConfig(iceServers: RTCIceServer[], iceTransportPolicy: RTCIceTransportPolicy): void {
    this.iceConfigs.push({ iceServers, iceTransportPolicy });
  }
  broken = false;
  keyframes = 0;
  holds = 0;
  /** The last hold was provisional (their network maybe gone), and how many were lifted. */
  provisionalHold = false;
  lifts = 0;
  readonly #recovering = new BehaviorSubject(false);
  readonly recovering$ = this.#recovering.asObservable();
  get recovering(): boolean {
    return this.#recovering.value;
  }
  markBroken(): void {
    this.broken = true;
    this.#recovering.next(true);
  }
  /** Our decoder of the remote media is steady again. */
  decodesAgain(): void {
    this.#recovering.next(false);
  }
  holdSending(provisional = false): void {
    this.holds++;
    this.provisionalHold = provisional;
  }
  liftHold(): void {
    if (this.provisionalHold) this.lifts++;
    this.provisionalHold = false;
  }
  forceKeyframe(): Promise<void> {
    this.keyframes++;
    return Promise.resolve();
  }
  diagnostics(): LinkDiagnostics {
    return {
      localUfrag: null,
      remoteTrackIds: [],
      iceRestarts: this.restarts,
      keyframesForced: this.keyframes,
      sendHolds: this.holds,
    };
  }
  setState(s: Partial<LinkState>): void {
    this.#state.next({ ...this.#state.value, ...s });
  }
  /** The remote side's signal, as simple-peer would emit it. */
  emitSignal(data: SignalData): void {
    this.options.onSignal(data);
  }
  destroy(): void {
    if (!this.closed) this.#state.next({ ...this.#state.value, closed: true });
  }
}

export function fakeLinks() {
  const links: FakeLink[] = [];
  const createLink = (options: PeerLinkOptions) => {
    const link = new FakeLink(options);
    links.push(link);
    return link;
  };
  return { links, createLink };
}

export function fakeStream(): MediaStream {
  return { getTracks: () => [], id: 'local' } as unknown as MediaStream;
}
