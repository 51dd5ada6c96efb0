/**
 * What the mesh publishes: each participant's link state and incoming stream, and who is being
 * reconnected or cannot be reached (the tiles' truth). Each subject changes only when its
 * value does.
 */
import { BehaviorSubject, type Observable, Subject } from 'rxjs';
import type { PeerSnapshot } from './mesh-types.ts';

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

export class MeshStatus {
  readonly #remoteStreams = new BehaviorSubject<ReadonlyMap<string, MediaStream>>(new Map());
  readonly #peers = new BehaviorSubject<ReadonlyMap<string, PeerSnapshot>>(new Map());
  readonly #peerChanges = new Subject<PeerSnapshot>();
  readonly #reconnecting = new BehaviorSubject<ReadonlySet<string>>(new Set());
  readonly #unreachable = new BehaviorSubject<ReadonlySet<string>>(new Set());
  readonly #recovered = new Subject<{ userId: string }>();
  #closed = false;

  readonly remoteStreams$: Observable<ReadonlyMap<string, MediaStream>> = this.#remoteStreams.asObservable();
  readonly peers$: Observable<ReadonlyMap<string, PeerSnapshot>> = this.#peers.asObservable();
  readonly peerState$: Observable<PeerSnapshot> = this.#peerChanges.asObservable();
  readonly reconnecting$: Observable<ReadonlySet<string>> = this.#reconnecting.asObservable();
  readonly unreachable$: Observable<ReadonlySet<string>> = this.#unreachable.asObservable();
  readonly recovered$: Observable<{ userId: string }> = this.#recovered.asObservable();

  get peers(): ReadonlyMap<string, PeerSnapshot> {
    return this.#peers.value;
  }

  peer(snapshot: PeerSnapshot): void {
    if (this.#closed) return;
    const peers = new Map(this.#peers.value);
    peers.set(snapshot.userId, snapshot);
    this.#peers.next(peers);
    this.#peerChanges.next(snapshot);
  }

  remoteStream(userId: string, stream: MediaStream | null): void {
    const current = this.#remoteStreams.value;
    if ((current.get(userId) ?? null) === stream) return;
    const next = new Map(current);
    if (stream) next.set(userId, stream);
    else next.delete(userId);
    this.#remoteStreams.next(next);
  }

  unreachable(userId: string, unreachable: boolean): void {
    if (!this.#closed) setMembership(this.#unreachable, userId, unreachable);
  }

  /** Out of `reconnecting$` with `recovered`: the media decodes again (else: the peer went). */
  reconnecting(userId: string, reconnecting: boolean, { recovered = true } = {}): void {
    if (this.#closed || !setMembership(this.#reconnecting, userId, reconnecting)) return;
    if (!reconnecting && recovered) this.#recovered.next({ userId });
  }

  /** The participant is gone: no state, not reconnecting, not unreachable. */
  forget(userId: string): void {
    this.reconnecting(userId, false, { recovered: false });
    this.unreachable(userId, false);
    const peers = new Map(this.#peers.value);
    peers.delete(userId);
    this.#peers.next(peers);
  }

  close(): void {
    this.#closed = true;
    for (const s of [
      this.#remoteStreams,
      this.#peers,
      this.#peerChanges,
      this.#reconnecting,
      this.#unreachable,
      this.#recovered,
    ])
      s.complete();
  }
}
