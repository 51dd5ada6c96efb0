/**
 * Media inactivity (spec §4): a peer that says it is connected but has received no bytes on its
 * inbound RTP streams for `stallMs`. Pure: fed samples and a time, returns who stalled.
 */

export interface StallSample {
  userId: string;
  /** Media bytes received from the peer; null when the peer is not connected. */
  bytesReceived: number | null;
}

export interface StallTrack {
  bytes: number;
  /** When `bytes` last grew (or tracking began). */
  since: number;
  /** This stall was already reported: report once until bytes flow again. */
  reported: boolean;
}

export function trackStalls(
  previous: ReadonlyMap<string, StallTrack>,
  samples: readonly StallSample[],
  now: number,
  stallMs: number,
): { tracks: Map<string, StallTrack>; stalled: string[]; resumed: string[] } {
  const tracks = new Map<string, StallTrack>();
  const stalled: string[] = [];
  /** Reported as stalled before, bytes moving again now: the path is back. */
  const resumed: string[] = [];
  for (const { userId, bytesReceived } of samples) {
    if (bytesReceived === null) continue;
    const prev = previous.get(userId);
    if (!prev || bytesReceived > prev.bytes) {
      // New peer, or bytes flowing: healthy (and back, if it was reported stalled).
      if (prev?.reported) resumed.push(userId);
      tracks.set(userId, { bytes: bytesReceived, since: now, reported: false });
      continue;
    }
    if (bytesReceived < prev.bytes) {
      // A new connection (rebuilt link, counter restarted): not proof that media flows yet.
      tracks.set(userId, { bytes: bytesReceived, since: now, reported: prev.reported });
      continue;
    }
    const isStalled = now - prev.since >= stallMs;
    if (isStalled && !prev.reported) stalled.push(userId);
    tracks.set(userId, { ...prev, reported: prev.reported || isStalled });
  }
  return { tracks, stalled, resumed };
}
