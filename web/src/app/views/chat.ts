import type { ChatMessage, MeetingClient, OutboxEntry } from 'resume-meeting';
import { appendPinned, clock, el } from '../dom.ts';

export interface ChatElements {
  log: HTMLElement;
  /** Our messages not in the log yet: "sending…" while the connection resumes, or "not sent". */
  outbox: HTMLElement;
  form: HTMLFormElement;
  input: HTMLInputElement;
}

/** Chat log and input. */
const OUTBOX_LABEL: Record<OutboxEntry['state'], string> = {
  pending: 'sending…',
  sent: 'sent',
  failed: 'not sent',
};

export function bindChat({ log, outbox, form, input }: ChatElements, client: MeetingClient): () => void {
  const render = (m: ChatMessage) =>
    el(
      'li',
      { 'data-id': m.id, 'data-from': m.from },
      el('time', {}, clock(m.at)),
      ' ',
      el('strong', {}, m.name),
      ' ',
      el('span', { class: 'text' }, m.text),
    );
  log.replaceChildren(...client.messages.map(render));
  const sub = client.chat$.subscribe((m) => appendPinned(log, render(m)));
  const pending = client.outbox$.subscribe((entries) =>
    outbox.replaceChildren(
      ...entries.map((e) =>
        el(
          'li',
          { 'data-id': e.id, 'data-state': e.state },
          el('span', { class: 'text' }, e.text),
          ' ',
          el('em', { class: 'state' }, OUTBOX_LABEL[e.state]),
        ),
      ),
    ),
  );
  const ended = client.conference$.subscribe((c) => {
    if (!c) log.replaceChildren();
  });

  const onSubmit = (ev: Event): void => {
    ev.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    client.sendChat(text).catch((err: Error) => {
      // Give the text back so nothing typed is lost.
      if (!input.value) input.value = text;
      input.title = err.message;
    });
  };
  form.addEventListener('submit', onSubmit);
  return () => {
    sub.unsubscribe();
    pending.unsubscribe();
    ended.unsubscribe();
    form.removeEventListener('submit', onSubmit);
  };
}
