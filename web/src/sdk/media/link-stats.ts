/** What a peer link reads from `getStats` (every call bounded: bounded-stats.ts). */
import { statsOf } from './bounded-stats.ts';
import { type IcePath, type IceStat, icePathOf } from './ice-path.ts';
import type { DecodeSample } from './starved-decoder.ts';
import { iceUfrag } from './wire.ts';

/** The id of the candidate pair the transport has selected, if it says. */
function selectedPairId(report: RTCStatsReport): string | undefined {
  let pairId: string | undefined;
  report.forEach((s: { type: string; selectedCandidatePairId?: string }) => {
    if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId;
  });
  return pairId;
}

/** Inbound video bytes and decoded frames, and inbound audio bytes (null: no inbound stream yet). */
export async function inboundMedia(pc: RTCPeerConnection): Promise<DecodeSample | null> {
  const report = await statsOf(pc);
  let bytes = 0;
  let frames = 0;
  let audioBytes = 0;
  let any = false;
  report.forEach((s: { type: string; kind?: string; bytesReceived?: number; framesDecoded?: number }) => {
    if (s.type !== 'inbound-rtp') return;
    any = true;
    if (s.kind === 'audio') audioBytes += s.bytesReceived ?? 0;
    if (s.kind !== 'video') return;
    bytes += s.bytesReceived ?? 0;
    frames += s.framesDecoded ?? 0;
  });
  return any ? { at: Date.now(), bytes, frames, audioBytes } : null;
}

/**
 * Bytes received on the selected candidate pair (the transport's, or the nominated succeeded
 * one), and on the RTP streams (null: none yet); ReceivedBytes turns them into one counter.
 */
export async function selectedPairBytes(
  pc: RTCPeerConnection,
): Promise<{ pair: { id: string; bytesReceived: number } | null; rtp: number | null }> {
  const report = await statsOf(pc);
  const pairId = selectedPairId(report);
  let rtp: number | null = null;
  const pairs = new Map<
    string,
    { id: string; bytesReceived?: number; nominated?: boolean; state?: string }
  >();
  report.forEach((s: { type: string; id: string; bytesReceived?: number }) => {
    if (s.type === 'candidate-pair') pairs.set(s.id, s as never);
    if (s.type === 'inbound-rtp' && typeof s.bytesReceived === 'number') rtp = (rtp ?? 0) + s.bytesReceived;
  });
  const pair =
    (pairId ? pairs.get(pairId) : undefined) ??
    [...pairs.values()].find((p) => p.nominated && p.state === 'succeeded');
  const bytes = pair?.bytesReceived;
  return { pair: bytes === undefined || !pair ? null : { id: pair.id, bytesReceived: bytes }, rtp };
}

/** Where the link's ICE stands (ice-path.ts). */
export async function icePath(pc: RTCPeerConnection): Promise<IcePath> {
  const report = await statsOf(pc);
  const connecting = pc.connectionState === 'new' || pc.connectionState === 'connecting';
  const ufrag = iceUfrag(pc.localDescription?.sdp);
  return icePathOf(report.values() as Iterable<IceStat>, { connecting, ufrag });
}

/** The local address of the selected pair, when that pair starts at a host candidate (lost-address.ts). */
export async function selectedHostAddress(pc: RTCPeerConnection): Promise<string | null> {
  const report = await statsOf(pc);
  const pairId = selectedPairId(report);
  const pair: { localCandidateId?: string } | undefined = pairId ? report.get(pairId) : undefined;
  const local: { candidateType?: string; address?: string } | undefined = pair?.localCandidateId
    ? report.get(pair.localCandidateId)
    : undefined;
  return local?.candidateType === 'host' && local.address ? local.address : null;
}

/**
 * Per candidate pair, what arrived on it so far: data bytes plus STUN checks and answers. It grows
 * as soon as the other side is reachable again, whether or not it sends media.
 */
export async function pairArrivals(pc: RTCPeerConnection): Promise<Map<string, number>> {
  const report = await statsOf(pc);
  const arrivals = new Map<string, number>();
  report.forEach(
    (s: {
      type: string;
      id: string;
      bytesReceived?: number;
      requestsReceived?: number;
      responsesReceived?: number;
    }) => {
      if (s.type !== 'candidate-pair') return;
      arrivals.set(s.id, (s.bytesReceived ?? 0) + (s.requestsReceived ?? 0) + (s.responsesReceived ?? 0));
    },
  );
  return arrivals;
}
