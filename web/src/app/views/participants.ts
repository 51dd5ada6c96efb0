import type { MeetingClient, Participant } from 'resume-meeting';
import { el } from '../dom.ts';

/** The roster: name, handle, status, with a "reconnecting" badge. */
export function bindParticipants(list: HTMLElement, client: MeetingClient): () => void {
  const sub = client.conference$.subscribe((conf) => {
    const me = client.session?.userId;
    list.replaceChildren(...(conf?.roster ?? []).map((p) => item(p, p.userId === me)));
  });
  return () => sub.unsubscribe();
}

function item(p: Participant, self: boolean): HTMLElement {
  return el(
    'li',
    {
      'data-handle': p.handle,
      'data-user-id': p.userId,
      'data-name': p.name,
      'data-status': p.status,
      class: self ? 'self' : undefined,
    },
    el('span', { class: 'name' }, p.name, self ? ' (you)' : ''),
    el('span', { class: 'handle' }, `#${p.handle}`),
    p.status === 'reconnecting' ? el('span', { class: 'badge reconnecting' }, 'reconnecting') : null,
  );
}
