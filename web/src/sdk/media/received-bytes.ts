/**
 * A peer's received bytes as a counter that only grows, from two readings of `getStats()`: the
 * selected candidate pair's counter and the inbound RTP streams' total. The pair moves first
 * when a path comes back (STUN and RTCP before media); the RTP streams cover a pair that
 * Chromium's stats may leave frozen after an ICE restart while media flows on the new one (a
 * frozen counter read as a stall). Counted per pair, so switching to a new pair, whose own
 * counter starts again at 0, never looks like bytes going backwards.
 */
export class ReceivedBytes {
  readonly #pairs = new Map<string, number>();
  #rtp: number | null = null;
  #total = 0;

  /** Adds what arrived since the last reading; null while there is neither a pair nor a stream. */
  read(pair: { id: string; bytesReceived: number } | null, rtpBytes: number | null): number | null {
    if (!pair && rtpBytes === null) return null;
    if (pair) {
      const before = this.#pairs.get(pair.id);
      if (before !== undefined) this.#total += Math.max(0, pair.bytesReceived - before);
      this.#pairs.set(pair.id, pair.bytesReceived);
    }
    if (rtpBytes !== null) {
      if (this.#rtp !== null) this.#total += Math.max(0, rtpBytes - this.#rtp);
      this.#rtp = rtpBytes;
    }
    return this.#total;
  }
}
