import { byId } from '../dom.ts';

export interface JoinRequest {
  name: string;
  room: string;
}

/** `/?room=<id>&name=<display name>`: join at once. */
export function deepLink(search: string): JoinRequest | null {
  const params = new URLSearchParams(search);
  const room = params.get('room')?.trim();
  const name = params.get('name')?.trim();
  return room && name ? { room, name } : null;
}

/** The join form; `onJoin` rejects with a message to show. */
export function bindJoinForm(onJoin: (req: JoinRequest) => Promise<void>): {
  fill(req: Partial<JoinRequest>): void;
  busy(on: boolean): void;
  error(message: string): void;
} {
  const form = byId<HTMLFormElement>('join-form');
  const name = byId<HTMLInputElement>('join-name');
  const room = byId<HTMLInputElement>('join-room');
  const submit = byId<HTMLButtonElement>('join-submit');
  const error = byId('join-error');

  const api = {
    fill(req: Partial<JoinRequest>) {
      if (req.name) name.value = req.name;
      if (req.room) room.value = req.room;
    },
    busy(on: boolean) {
      submit.disabled = on;
      submit.textContent = on ? 'Joining…' : 'Join';
    },
    error(message: string) {
      error.textContent = message;
    },
  };
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    api.error('');
    void onJoin({ name: name.value.trim(), room: room.value.trim() });
  });
  return api;
}
