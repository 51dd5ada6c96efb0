/**
 * What an ICE restart asked of the initiator does now, given the offer in flight: a pure step,
 * so the timing rules are tested without WebRTC (peer-link.ts applies it).
 */

/** Triggers come in bursts (our episode, their handle change, a timer): one offer serves them. */
export const RESTART_SPACING_MS = 250;
/**
 * An offer unanswered this long is taken as lost, and a restart replaces it. Sooner, a second
 * offer would cross the first: the answerer gets overlapping offers (simple-peer destroys the
 * peer when an answer it is creating no longer fits), and two answers come back.
 */
export const OFFER_LOST_MS = 3_000;

/**
 * `skip`: an offer just went out and serves this trigger too. `negotiate`: a new offer (simple-peer
 * holds it behind an unanswered one until the answer comes). `replace`: the unanswered offer is
 * dropped and a new one sent.
 */
export type RestartStep = 'skip' | 'negotiate' | 'replace';

export interface RestartMoment {
  now: number;
  lastRestartAt: number;
  /** When our current offer went out, and whether it is still unanswered. */
  offeredAt: number;
  awaitingAnswer: boolean;
  /** The offer is known lost: it went to a socket that had died (restart-protocol.ts). */
  replaceUnanswered: boolean;
}

export function restartStep(m: RestartMoment): RestartStep {
  // Known lost: replaced whatever the spacing. An offer sent just before the other side's socket
  // was replaced is exactly the one lost; spaced out, it waited OFFER_LOST_MS more (CI: a real IP
  // change rebuilt because the restart reached A 3.3 s late).
  if (m.awaitingAnswer && m.replaceUnanswered) return 'replace';
  if (m.now - m.lastRestartAt < RESTART_SPACING_MS) return 'skip';
  return m.awaitingAnswer && m.now - m.offeredAt >= OFFER_LOST_MS ? 'replace' : 'negotiate';
}
