/** What media recovery (recover-media.ts) drives, and how it is tuned. */
import type { Observable, SchedulerLike } from 'rxjs';
import type { IcePath } from './ice-path.ts';
import type { PeerSnapshot } from './mesh-types.ts';

export type RecoveryMode = 'fast' | 'naive';

/** What recovery drives: the mesh, or a fake in tests. */
export interface RecoveryTarget {
  readonly peers: ReadonlyMap<string, PeerSnapshot>;
  readonly peerState$: Observable<PeerSnapshot>;
  readonly mediaStalls$: Observable<{ userId: string }>;
  restartIce(userId: string): void;
  rebuildPeer(userId: string): void;
  inboundBytes(userId: string): Promise<number | null>;
  /** Still making its first ICE checks, stranded on a dead pair by Chrome, or neither (ice-path.ts). */
  icePath(userId: string): Promise<IcePath>;
}

export interface RecoveryOptions {
  mode?: RecoveryMode;
  scheduler?: SchedulerLike;
  reRestartMs?: number;
  rebuildAfterMs?: number;
  /**
   * How long a rebuilt link may take to connect (~0.2 s on loopback, ~1 s through a relay) before
   * it is restarted like any other: one made while the path was dead failed its checks and makes
   * no more (a first restart 5 s after the rebuild cost ~3 s of frozen video after a CDP cut).
   */
  rebuiltGraceMs?: number;
  /** How long a stall alone may heal by itself before the first restart. */
  stallGraceMs?: number;
  /** What WebRTC can gather from (local-addresses.ts), polled after our network changed. */
  localAddresses?: () => Promise<ReadonlySet<string>>;
  addressPollMs?: number;
}
