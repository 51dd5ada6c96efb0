/** The mesh's types: its options, what it publishes about each link, and one member's record. */
import type { SchedulerLike, Subscription } from 'rxjs';
import type { SignalData } from '../../../../shared/src/index.ts';
import type { LinkDiagnostics, LinkState, PeerLinkFactory, PeerLinkLike } from './link-types.ts';
import type { OutageSignal } from './wire.ts';

/**
 * A first connection takes ~0.2 s on a LAN and ~1–3 s through a relay; ten seconds without one
 * means the path is blocked, and the user should be told rather than left with a black tile.
 */
export const UNREACHABLE_AFTER_MS = 10_000;

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
  /**
   * A first link not connected this long is made again by the pair's initiator, then after
   * twice, four and eight times as long (default 5 s).
   */
  connectRetryMs?: number;
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
  /** Links to this participant we rebuilt because our decoder was stuck (starved-decoder.ts). */
  stuckRebuilds: number;
}

export interface Member {
  userId: string;
  handle: number;
  link: PeerLinkLike | null;
  linkSubs: Subscription | null;
  generation: number;
  /** Signals that arrived before the link existed (local media still starting). */
  pending: SignalData[];
  /** We asked the initiator for an ICE restart and no offer has come since. */
  restartAsked: boolean;
  /** The other side's link has answered our current one's offer, or offered to it (restart-protocol.ts). */
  heard: boolean;
  /** A link to this participant has been connected at least once. */
  everConnected: boolean;
  /** Runs out when no link to this participant connected in time. */
  reachDeadline: Subscription | null;
  /** First links made again because none had connected (link-status.ts). */
  connectRetries: number;
  /** When a link was last rebuilt for our stuck decoder (restart-protocol.ts), or null; how often. */
  stuckRebuildAt: number | null;
  stuckRebuilds: number;
}

export function newMember(userId: string, handle: number): Member {
  return {
    userId,
    handle,
    link: null,
    linkSubs: null,
    generation: 0,
    pending: [],
    restartAsked: false,
    heard: false,
    everConnected: false,
    reachDeadline: null,
    connectRetries: 0,
    stuckRebuildAt: null,
    stuckRebuilds: 0,
  };
}

/** What the mesh publishes of a member: its link's state (a fresh one before any link), who it is. */
export function snapshotOf(member: Member, initiator: boolean): PeerSnapshot {
  const state: LinkState = member.link
    ? member.link.state
    : { iceConnectionState: 'new', connectionState: 'new', closed: false };
  return { ...state, userId: member.userId, handle: member.handle, initiator, generation: member.generation };
}
