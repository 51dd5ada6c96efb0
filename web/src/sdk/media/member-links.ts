/**
 * Each member's link: made (with the ICE servers of the moment and the local stream), closed,
 * and fed the signals that reach it. The mesh decides *when* (a new member, a rebuild, a
 * restart); this part knows *how*, and routes each incoming signal to the part that owns it.
 */
import type { SchedulerLike } from 'rxjs';
import type { SignalData } from '../../../../shared/src/index.ts';
import { publishLinkStatus } from './link-status.ts';
import type { PeerLinkFactory } from './link-types.ts';
import type { LocalMedia } from './local-media.ts';
import type { MeshStatus } from './mesh-status.ts';
import type { Member } from './mesh-types.ts';
import { isKeyframeRequest, isOutageSignal, isRestartSignal, type OutageSignal } from './wire.ts';

export interface MemberLinksDeps {
  createLink: PeerLinkFactory;
  iceServers: RTCIceServer[];
  keyframeOnRecovery: boolean;
  local: LocalMedia;
  status: MeshStatus;
  /** The participant asked us to restart or rebuild (restart-protocol.ts). */
  onRestartRequest: (member: Member, rebuild: boolean) => void;
  /** Our decoder of the member's video stayed starved through a keyframe (starved-decoder.ts). */
  decoderStuck: (member: Member) => void;
  scheduler: SchedulerLike;
  unreachableAfterMs: number;
  connectRetryMs: number;
  neverConnected: (member: Member) => void;
  send: (userId: string, data: SignalData) => void;
  initiates: (member: Member) => boolean;
  /** Whether the member is still the mesh's record for its participant (not removed, not replaced). */
  current: (member: Member) => boolean;
  publishPeer: (member: Member) => void;
  /** A link now exists: the stall watch has something to watch. */
  linked: () => void;
  onOutageSignal: (userId: string, data: OutageSignal) => void;
}

export class MemberLinks {
  readonly #deps: MemberLinksDeps;
  /** The server's ICE servers replace the options' (`setIceConfig`): every later link uses them. */
  #ice: { iceServers: RTCIceServer[]; iceTransportPolicy: RTCIceTransportPolicy };

  constructor(deps: MemberLinksDeps) {
    this.#deps = deps;
    this.#ice = { iceServers: deps.iceServers, iceTransportPolicy: 'all' };
  }

  /** (Re)creates the member's link, replacing any old one, and hands it the signals it missed. */
  connect(member: Member): void {
    const d = this.#deps;
    this.close(member);
    member.generation += 1;
    // A restart asked for the old link is moot: asked again after a resume, it restarted the new
    // link 31 ms after it connected (Firefox lab), which then carried no video one way.
    member.restartAsked = false;
    member.heard = false;
    const link = d.createLink({
      ...this.#ice,
      keyframeOnRecovery: d.keyframeOnRecovery,
      initiator: d.initiates(member),
      stream: d.local.stream,
      onSignal: (data) => {
        if (member.link === link) d.send(member.userId, data);
      },
      onKeyframeNeeded: () => {
        if (member.link === link) d.send(member.userId, { type: 'keyframe' });
      },
      onDecoderStuck: () => {
        if (member.link === link) d.decoderStuck(member);
      },
    });
    member.link = link;
    // A rebuilt link replaces a broken path: reconnecting until its media decodes. A first link
    // made again (none ever connected) replaces no path: the tile keeps saying unreachable.
    if (member.generation > 1 && member.everConnected) link.markBroken();
    member.linkSubs = publishLinkStatus(member, link, {
      status: d.status,
      scheduler: d.scheduler,
      unreachableAfterMs: d.unreachableAfterMs,
      connectRetryMs: d.connectRetryMs,
      neverConnected: d.neverConnected,
      current: d.current,
      publishPeer: d.publishPeer,
    });
    d.linked();
    for (const data of member.pending.splice(0)) this.deliver(member, data);
  }

  close(member: Member): void {
    const link = member.link;
    member.linkSubs?.unsubscribe();
    member.linkSubs = null;
    member.link = null;
    link?.destroy();
    this.#deps.status.remoteStream(member.userId, null);
  }

  /** One signal from the participant: restart and outage messages to their protocols, the rest to the link. */
  deliver(member: Member, data: SignalData): void {
    if (isRestartSignal(data)) {
      this.#deps.onRestartRequest(member, data.rebuild);
      return;
    }
    if (isKeyframeRequest(data)) {
      void member.link?.forceKeyframe();
      return;
    }
    if (isOutageSignal(data)) {
      this.#deps.onOutageSignal(member.userId, data);
      return;
    }
    if ('type' in data && (data.type === 'offer' || data.type === 'answer')) member.heard = true;
    if ('type' in data && data.type === 'offer') member.restartAsked = false;
    if (!member.link) {
      member.pending.push(data);
      return;
    }
    member.link.signal(data);
  }

  /** New ICE servers: every live link takes them for its next gathering, every new link is made with them. */
  setIceConfig(
    iceServers: RTCIceServer[],
    iceTransportPolicy: RTCIceTransportPolicy,
    members: Iterable<Member>,
  ): void {
    this.#ice = { iceServers, iceTransportPolicy };
    for (const m of members) m.link?.setIceConfig(iceServers, iceTransportPolicy);
  }
}
