/**
 * Whose is a media outage? A path that dies while both sockets live looks the same from both
 * ends, so both ends must name the same owner, and only the owner runs a TSDK episode (spec §5).
 * Pure: the facts come from the probe exchange (outage-arbiter.ts).
 *
 * The owner is the participant whose every media path is dead: that is their network, and the
 * other side has a working path to somebody. When both are cut off from everyone else too (a
 * two-party call, or a room where everything broke), the pair's initiator (the smaller userId,
 * the rule that already picks who offers) owns it. When both still reach others, only the path
 * between them broke: nobody's network, nobody's episode; media recovery heals it and both
 * tiles say "reconnecting" meanwhile.
 */

/** From this side's point of view. */
export type OutageOwner = 'us' | 'them' | 'nobody';

/** The same owner on the wire, from the receiver's point of view. */
export type WireOwner = 'you' | 'me' | 'nobody';

export interface PairFacts {
  /** We are the pair's initiator. */
  initiator: boolean;
  /** We still have a working media path to someone other than them. */
  ourPathsOk: boolean;
  /** They still have a working media path to someone other than us. */
  theirPathsOk: boolean;
}

export function decideOwner({ initiator, ourPathsOk, theirPathsOk }: PairFacts): OutageOwner {
  if (ourPathsOk && theirPathsOk) return 'nobody';
  if (ourPathsOk !== theirPathsOk) return ourPathsOk ? 'them' : 'us';
  return initiator ? 'us' : 'them';
}

/** Our verdict as the receiver reads it. */
export function toWire(owner: OutageOwner): WireOwner {
  return owner === 'us' ? 'me' : owner === 'them' ? 'you' : 'nobody';
}

/** The sender's verdict, from our side. */
export function fromWire(owner: WireOwner): OutageOwner {
  return owner === 'me' ? 'them' : owner === 'you' ? 'us' : 'nobody';
}
