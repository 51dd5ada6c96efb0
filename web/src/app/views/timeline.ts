import type { MeetingClient, TsdkNotification } from 'resume-meeting';
import { appendPinned, clock, el } from '../dom.ts';

/** Every TSDK notification, oldest first, newest at the bottom. */
export function bindTimeline(list: HTMLElement, client: MeetingClient): () => void {
  const render = (n: TsdkNotification) =>
    el(
      'li',
      { 'data-event': n.event, 'data-param1': n.param1, 'data-param2': n.param2 },
      el('time', {}, clock(n.at)),
      ' ',
      el('code', { class: 'event' }, n.event.replace(/^TSDK_E_/, '')),
      ` p1=${n.param1} p2=${n.param2}`,
    );
  list.replaceChildren(...client.history.map(render));
  list.scrollTop = list.scrollHeight;
  return client.onNotify((n) => appendPinned(list, render(n)));
}
