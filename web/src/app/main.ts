/**
 * The meeting app: a join form, then the meeting view (video grid, participants, chat), and a
 * timeline of every TSDK notification. It talks to the SDK facade only (`resume-meeting`).
 */
import { MeetingClient } from 'resume-meeting';
import { combineLatest } from 'rxjs';
import { byId } from './dom.ts';
import { bindChat } from './views/chat.ts';
import { bindJoinForm, deepLink, type JoinRequest } from './views/join-form.ts';
import { bindParticipants } from './views/participants.ts';
import { bindStatusBanner } from './views/status-banner.ts';
import { bindTimeline } from './views/timeline.ts';
import { bindVideoGrid } from './views/video-grid.ts';

const joinView = byId('join-view');
const meeting = byId('meeting');
const roomLabel = byId('room-label');
const connection = byId('connection');

// `?recovery=naive` switches media recovery to the plain-WebRTC baseline (benchmarks compare).
const clientOptions = {
  mediaRecovery: new URLSearchParams(location.search).get('recovery') === 'naive' ? 'naive' : 'fast',
} as const;
let client = new MeetingClient(clientOptions);
let unbind = bind(client);

function bind(c: MeetingClient): () => void {
  window.meetingClient = c;
  const disposers = [
    bindTimeline(byId('timeline'), c),
    bindStatusBanner(byId('status-banner'), c),
    bindParticipants(byId('participants'), c),
    bindVideoGrid(byId('video-grid'), c),
    bindChat(
      {
        log: byId('chat-log'),
        outbox: byId('chat-outbox'),
        form: byId<HTMLFormElement>('chat-form'),
        input: byId<HTMLInputElement>('chat-input'),
      },
      c,
    ),
  ];
  const conf = c.conference$.subscribe((view) => {
    // Any end of the conference (leave, server end, failed resume) goes back to the form.
    meeting.hidden = view === null;
    joinView.hidden = view !== null;
    roomLabel.textContent = view ? `Room ${view.room}` : '';
  });
  // While an episode runs the old socket may still be open (Chromium's `offline` leaves it
  // working): the indicator then says "reconnecting", not "online" under a banner saying the
  // network was lost.
  const link = combineLatest([c.connected$, c.resumeState$]).subscribe(([up, resume]) => {
    const resuming = resume.kind === 'resuming-login' || resume.kind === 'resuming-conference';
    const state = resuming ? 'reconnecting' : up ? 'online' : 'offline';
    connection.dataset.connected = String(up);
    connection.dataset.state = state;
    connection.textContent = state;
  });
  return () => {
    for (const d of disposers) d();
    conf.unsubscribe();
    link.unsubscribe();
  };
}

async function join(req: JoinRequest): Promise<void> {
  form.busy(true);
  try {
    // Another name means another login session: start over with a new client.
    if (client.session && client.session.name !== req.name) {
      await client.logout().catch(() => client.destroy());
      unbind();
      client = new MeetingClient(clientOptions);
      unbind = bind(client);
    }
    if (!client.session) await client.login({ name: req.name });
    await client.join(req.room);
    const url = new URL(location.href);
    url.searchParams.set('room', req.room);
    url.searchParams.set('name', req.name);
    history.replaceState(null, '', url);
  } catch (err) {
    form.error(err instanceof Error ? err.message : String(err));
  } finally {
    form.busy(false);
  }
}

const form = bindJoinForm(join);

byId('leave').addEventListener('click', () => {
  client.leave().catch((err: Error) => form.error(err.message));
});

window.addEventListener('pagehide', () => client.destroy());

const link = deepLink(location.search);
if (link) {
  form.fill(link);
  void join(link);
}
