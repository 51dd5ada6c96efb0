/**
 * Where a link's ICE stands, read from one `getStats` report (pure).
 *
 * `stranded` is Chrome holding on to a dead path: after an ICE restart, a pair of the new ICE
 * generation works, but the selected pair is still one of the old generation. Chrome keeps the
 * old pair while it still counts as receiving (2.5 s after its last packet) and writable (5
 * unanswered checks), and prefers it while its priority is higher. Measured on a dual-homed host
 * losing its first interface (`bench:recovery --only dual-homed --trace`): the first restart's
 * pair on the second interface succeeded 120 ms after the restart, and Chrome kept the dead pair
 * for another 1.5 s, until it dropped the lost interface from its network list. No API selects a
 * pair; a new link has no old pair to keep.
 *
 * It is also stranded when no pair of the new generation has succeeded yet but the other side's
 * checks reached us on one and were answered: its end works. A side that trusts its old pair
 * checks new ones slowly (Chrome's 2.5 s pace for a strong connection): on the dual-homed
 * switch the initiator answered the other side's checks for 0.3 s and restarted twice more
 * before one of its own succeeded.
 */
export type IcePath = 'checking' | 'stranded' | 'settled';

export interface IceStat {
  type: string;
  id: string;
  state?: string;
  writable?: boolean;
  responsesSent?: number;
  localCandidateId?: string;
  selectedCandidatePairId?: string;
  usernameFragment?: string;
}

/**
 * `connecting`: the link has not connected yet (a pair still waiting or in progress is then
 * `checking`); `ufrag`: the ICE ufrag of our current local description.
 */
export function icePathOf(
  report: Iterable<IceStat>,
  { connecting, ufrag }: { connecting: boolean; ufrag: string | null },
): IcePath {
  const stats = [...report];
  const byId = new Map(stats.map((s) => [s.id, s]));
  const pairs = stats.filter((s) => s.type === 'candidate-pair');
  if (connecting && pairs.some((p) => p.state === 'waiting' || p.state === 'in-progress')) return 'checking';
  const selectedId = stats.find(
    (s) => s.type === 'transport' && s.selectedCandidatePairId,
  )?.selectedCandidatePairId;
  const selected = selectedId ? byId.get(selectedId) : undefined;
  const localUfrag = (pair: IceStat) => byId.get(pair.localCandidateId ?? '')?.usernameFragment;
  if (!ufrag || !selected || localUfrag(selected) === undefined || localUfrag(selected) === ufrag)
    return 'settled';
  const works = (p: IceStat) =>
    (p.writable === true && p.state === 'succeeded') || (p.responsesSent ?? 0) > 0;
  return pairs.some((p) => localUfrag(p) === ufrag && works(p)) ? 'stranded' : 'settled';
}
