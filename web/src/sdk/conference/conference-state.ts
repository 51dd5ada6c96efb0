/**
 * The conference as this client sees it, and the pure function that applies one conference
 * event to it. No side effects: the facade derives media and notifications from the result.
 */
import type { ConfEvent, Participant } from '../../../../shared/src/index.ts';

export interface ConferenceState {
  readonly roster: readonly Participant[];
  /** The last conference sequence number applied. */
  readonly lastSeq: number;
}

/**
 * Applies `event`, or returns null for a duplicate (seq ≤ lastSeq: already applied, e.g. a
 * replayed event). A gap (seq > lastSeq + 1) is applied anyway: events are facts, and the
 * server replays on resume; refusing one would only lose it.
 */
export function applyConfEvent(state: ConferenceState, event: ConfEvent): ConferenceState | null {
  if (event.seq <= state.lastSeq) return null;
  return { roster: nextRoster(state.roster, event), lastSeq: event.seq };
}

function nextRoster(roster: readonly Participant[], event: ConfEvent): readonly Participant[] {
  switch (event.kind) {
    case 'joined': {
      const p = event.participant;
      // One entry per participant: a join for someone listed (same handle or same user) replaces them.
      return [...roster.filter((r) => r.handle !== p.handle && r.userId !== p.userId), { ...p }];
    }
    case 'left':
      return roster.filter((r) => r.handle !== event.handle);
    case 'replaced': {
      // A resume: same person, new handle, same place in the list. Not a leave and a join.
      const p = event.participant;
      const at = roster.findIndex((r) => r.handle === event.oldHandle);
      const others = roster.filter(
        (r) => r.handle !== event.oldHandle && r.handle !== p.handle && r.userId !== p.userId,
      );
      const before = at < 0 ? others.length : roster.slice(0, at).filter((r) => others.includes(r)).length;
      return [...others.slice(0, before), { ...p }, ...others.slice(before)];
    }
    case 'status':
      return roster.map((r) => (r.handle === event.handle ? { ...r, status: event.status } : r));
    case 'chat':
      return roster;
  }
}

/** The participant with `handle`, if listed. */
export function findByHandle(roster: readonly Participant[], handle: number): Participant | undefined {
  return roster.find((p) => p.handle === handle);
}
