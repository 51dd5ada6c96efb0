/**
 * How the two sides of a pair restart or rebuild their link. Only the initiator (the smaller
 * userId: wire.ts) can restart ICE, so the other side asks it with a `restart` signal; a rebuild
 * is announced the same way (`rebuild: true`) so both sides start over on new links. What died
 * with a socket is asked or offered again once either side has a new one.
 */
import type { SignalData } from '../../../../shared/src/index.ts';
import type { Member } from './mesh-types.ts';

/**
 * A first link not connected by then is made again: half of the 10 s after which the
 * participant is reported unreachable (mesh.ts), so the retry has time to connect before that.
 */
export const CONNECT_RETRY_MS = 5_000;

/**
 * A link rebuilt for a stuck decoder (starved-decoder.ts) is not rebuilt for that again sooner:
 * a sender whose video no decoder can use would otherwise cost the call a rebuild every ~2 s,
 * audio included, where asking for keyframes costs nothing.
 */
export const STUCK_REBUILD_EVERY_MS = 30_000;

export interface RestartDeps {
  send(userId: string, data: SignalData): void;
  /** (Re)creates the member's link, replacing any old one. */
  connect(member: Member): void;
  initiates(member: Member): boolean;
  /** Local media has settled: links can be made. */
  canConnect(): boolean;
  now(): number;
}

export class RestartProtocol {
  readonly #deps: RestartDeps;

  constructor(deps: RestartDeps) {
    this.#deps = deps;
  }

  /**
   * A new connection to the participant, on the same local stream. Both sides must start over,
   * so the other side is told with a `restart` signal (before our new offer, if we offer).
   */
  rebuild(member: Member): void {
    const { send, connect, initiates, canConnect } = this.#deps;
    if (!canConnect()) return;
    if (initiates(member)) {
      send(member.userId, { type: 'restart', rebuild: true });
      connect(member);
    } else {
      connect(member);
      send(member.userId, { type: 'restart', rebuild: true });
    }
  }

  /** Our decoder of the participant's video is stuck: a new link, at most once per STUCK_REBUILD_EVERY_MS. */
  rebuildStuck(member: Member): void {
    const now = this.#deps.now();
    if (member.stuckRebuildAt !== null && now - member.stuckRebuildAt < STUCK_REBUILD_EVERY_MS) return;
    member.stuckRebuildAt = now;
    member.stuckRebuilds += 1;
    this.rebuild(member);
  }

  /** No link to the participant has connected yet and the current one has not in its time: the initiator starts over. */
  retryFirstLink(member: Member): void {
    if (!this.#deps.initiates(member)) return;
    member.connectRetries += 1;
    this.rebuild(member);
  }

  /** The fast path: ICE restart on a live connection (asked of the initiator); a dead link is rebuilt. */
  restart(member: Member): void {
    const link = member.link;
    if (!link) return;
    if (link.closed) this.rebuild(member);
    else if (link.initiator) link.restartIce();
    else {
      member.restartAsked = true;
      this.#deps.send(member.userId, { type: 'restart', rebuild: false });
    }
  }

  /**
   * What we sent to a socket that had died by then is lost, and nothing tells us: an offer never
   * answered would stall simple-peer's negotiation for good, and a restart request never acted
   * on leaves the path dead until a rebuild. Sent again once either side has a new socket.
   */
  renegotiateLost(member: Member): void {
    const link = member.link;
    if (!link || link.closed) return;
    if (link.initiator) {
      if (link.awaitingAnswer) link.restartIce({ replaceUnanswered: true });
    } else if (member.restartAsked) {
      this.#deps.send(member.userId, { type: 'restart', rebuild: false });
    }
  }

  /**
   * The other side's `restart` signal. A rebuild request is moot while our live link has heard
   * nothing from theirs (`heard`): the other side sends in order, so it reset its end before it
   * answered our new offer (that offer reaches its new link) or before our side got the
   * initiator's new offer (which follows the request). Both sides rebuild at once often: one
   * side's rebuild closes the other's link, which rebuilds on its own (recover-media.ts). A
   * request delayed by a resume arrived 2.5 s late (e2e, media cut), when "our link is brand
   * new" by the clock no longer held, and the pair was rebuilt twice.
   */
  requested(member: Member, rebuild: boolean): void {
    const { connect, canConnect } = this.#deps;
    if (!canConnect()) return;
    const link = member.link;
    const live = link !== null && !link.closed;
    const initiator = this.#deps.initiates(member);
    if (initiator && !rebuild && live) {
      link.restartIce();
      return;
    }
    // The non-initiator waits for an offer to restart ICE: a request to do so is not for it.
    if (!initiator && !rebuild) return;
    if (live && !member.heard) return;
    connect(member);
  }
}
