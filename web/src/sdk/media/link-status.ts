/**
 * Publishes one member's current link: its state (and whether a first link ever connected, or
 * the participant is unreachable), whether its media is being recovered, and its stream. A link
 * that has been replaced publishes nothing more.
 */
import type { SchedulerLike, Subscription } from 'rxjs';
import type { PeerLinkLike } from './link-types.ts';
import type { MeshStatus } from './mesh-status.ts';
import type { Member } from './mesh-types.ts';

export interface LinkStatusDeps {
  status: MeshStatus;
  scheduler: SchedulerLike;
  unreachableAfterMs: number;
  connectRetryMs: number;
  /** No link to the member has connected yet, and this one has not in its time: make it again. */
  neverConnected(member: Member): void;
  /** Whether `member` is still the mesh's record of the participant (not removed, not re-added). */
  current(member: Member): boolean;
  publishPeer(member: Member): void;
}

/** Watches `link`, the member's new link; returns what to unsubscribe when it is replaced. */
export function publishLinkStatus(member: Member, link: PeerLinkLike, deps: LinkStatusDeps): Subscription {
  const { status } = deps;
  const live = () => member.link === link;
  member.reachDeadline ??= deps.scheduler.schedule(() => {
    if (!member.everConnected && deps.current(member)) status.unreachable(member.userId, true);
  }, deps.unreachableAfterMs);
  // state$ replays the current state at once: that publishes the new link.
  const subs = link.state$.subscribe(() => {
    if (!live()) return;
    if (link.state.connectionState === 'connected' && !member.everConnected) {
      member.everConnected = true;
      status.unreachable(member.userId, false);
    }
    deps.publishPeer(member);
    status.reconnecting(member.userId, link.closed || link.recovering);
  });
  subs.add(
    link.recovering$.subscribe((recovering) => {
      if (live()) status.reconnecting(member.userId, link.closed || recovering);
    }),
  );
  subs.add(
    link.stream$.subscribe((stream) => {
      if (live()) status.remoteStream(member.userId, stream);
    }),
  );
  // A pair whose first checks or handshake went wrong can stay stuck for good: seen between
  // Firefox and Chromium on loopback, ICE connected on one side and checking on the other.
  if (!member.everConnected) {
    const retryMs = deps.connectRetryMs * 2 ** Math.min(member.connectRetries, 3);
    subs.add(
      deps.scheduler.schedule(() => {
        if (live() && !member.everConnected && deps.current(member)) deps.neverConnected(member);
      }, retryMs),
    );
  }
  return subs;
}
