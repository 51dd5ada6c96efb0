/**
 * How long a reply on the signaling socket may take before its silence means the socket is dead.
 * A fixed 300 ms called every media stall on a 600 ms satellite or a congested cellular link "our
 * socket died", and started a resume episode for a path that was only slow; on a loaded 2-core
 * machine the non-initiator's ping came back late and took a media outage that was not its own.
 * So the deadline follows the socket's own replies: RFC 6298's retransmission timeout,
 * SRTT + max(G, 4·RTTVAR), with the floor as G (a fast link still decides in ~300 ms, a steady
 * slow one gets its round trip plus that), never above the ceiling (past it the heartbeat finds a
 * dead socket anyway). A new socket may ride a new path: it starts again from the floor.
 */
export class ReplyDeadline {
  readonly #floorMs: number;
  readonly #ceilingMs: number;
  #srtt: number | null = null;
  #rttvar = 0;

  constructor({ floorMs, ceilingMs }: { floorMs: number; ceilingMs: number }) {
    this.#floorMs = floorMs;
    this.#ceilingMs = ceilingMs;
  }

  /** A reply came `ms` after its request (RFC 6298 §2, with its gains 1/8 and 1/4). */
  sample(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) return;
    if (this.#srtt === null) {
      this.#srtt = ms;
      this.#rttvar = ms / 2;
      return;
    }
    this.#rttvar = 0.75 * this.#rttvar + 0.25 * Math.abs(this.#srtt - ms);
    this.#srtt = 0.875 * this.#srtt + 0.125 * ms;
  }

  /** The socket was replaced: what the old one measured says nothing of the new path. */
  reset(): void {
    this.#srtt = null;
    this.#rttvar = 0;
  }

  get ms(): number {
    if (this.#srtt === null) return this.#floorMs;
    return Math.min(this.#ceilingMs, Math.round(this.#srtt + Math.max(this.#floorMs, 4 * this.#rttvar)));
  }
}
