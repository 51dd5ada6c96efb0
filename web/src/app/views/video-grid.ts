import type { MeetingClient } from 'resume-meeting';
import { combineLatest } from 'rxjs';
import { el } from '../dom.ts';

interface Tile {
  root: HTMLElement;
  video: HTMLVideoElement;
  label: HTMLElement;
  badge: HTMLElement;
  /** Said instead of a black tile when no connection to the participant ever worked. */
  notice: HTMLElement;
  audio: HTMLAudioElement | null;
}

/**
 * One tile per participant, keyed by userId so a handle change (resume) rebinds the labels
 * and attributes without restarting the video.
 *
 * Every <video> is muted: a muted video may autoplay with no user gesture (headless tests, deep
 * links), an unmuted one may not. Remote sound plays through a separate <audio> element; if the
 * browser blocks it before the first gesture, it is started again on the first click/keypress.
 */
export function bindVideoGrid(grid: HTMLElement, client: MeetingClient): () => void {
  const tiles = new Map<string, Tile>();
  const blockedAudio = new Set<HTMLAudioElement>();

  const tile = (userId: string, remote: boolean): Tile => {
    let t = tiles.get(userId);
    if (t) return t;
    const video = el('video', {
      playsinline: true,
      muted: true,
      autoplay: true,
      'data-remote': String(remote),
    });
    video.muted = true;
    const label = el('span', { class: 'label' });
    const badge = el('span', { class: 'badge reconnecting', hidden: true }, 'reconnecting');
    const notice = el('p', { class: 'notice', hidden: true });
    const audio = remote ? el('audio', { autoplay: true }) : null;
    const root = el(
      'figure',
      { class: remote ? 'tile' : 'tile local' },
      video,
      notice,
      el('figcaption', {}, label, badge),
      audio,
    );
    t = { root, video, label, badge, notice, audio };
    tiles.set(userId, t);
    return t;
  };

  const bindStream = (t: Tile, stream: MediaStream | null): void => {
    if (t.video.srcObject !== stream) t.video.srcObject = stream;
    if (t.audio && t.audio.srcObject !== stream) {
      t.audio.srcObject = stream;
      if (stream) {
        const audio = t.audio;
        audio.play().catch(() => blockedAudio.add(audio));
      }
    }
  };

  const sub = combineLatest([
    client.conference$,
    client.remoteStreams$,
    client.localStream$,
    client.reconnectingPeers$,
    client.unreachablePeers$,
  ]).subscribe(([conf, streams, local, mediaBack, unreachable]) => {
    const me = client.session;
    if (!conf || !me) {
      for (const t of tiles.values()) bindStream(t, null);
      tiles.clear();
      grid.replaceChildren();
      return;
    }
    const order: HTMLElement[] = [];
    const seen = new Set<string>();
    for (const p of conf.roster) {
      const self = p.userId === me.userId;
      const t = tile(p.userId, !self);
      seen.add(p.userId);
      const attrs = { 'data-handle': String(p.handle), 'data-user-id': p.userId, 'data-name': p.name };
      for (const [k, v] of Object.entries(attrs)) {
        if (t.video.getAttribute(k) !== v) t.video.setAttribute(k, v);
      }
      // Their socket is gone (the server says so), or their media is not decoding here yet:
      // either way the tile must not pass a frozen frame off as live.
      const reconnecting = p.status === 'reconnecting' || (!self && mediaBack.has(p.userId));
      const blocked = !self && !reconnecting && unreachable.has(p.userId);
      t.root.dataset.status = reconnecting ? 'reconnecting' : blocked ? 'unreachable' : p.status;
      t.badge.hidden = !reconnecting;
      t.notice.hidden = !blocked;
      t.notice.textContent = blocked ? `Can't reach ${p.name}'s video — the network may block it.` : '';
      t.label.textContent = `${p.name} (#${p.handle})`;
      bindStream(t, self ? local : (streams.get(p.userId) ?? null));
      order.push(t.root);
    }
    for (const [userId, t] of tiles) {
      if (seen.has(userId)) continue;
      bindStream(t, null);
      tiles.delete(userId);
    }
    // Local tile first, then the others in roster order; replaceChildren keeps live nodes.
    order.sort((a, b) => Number(b.classList.contains('local')) - Number(a.classList.contains('local')));
    grid.replaceChildren(...order);
    grid.dataset.count = String(order.length);
  });

  const unblock = (): void => {
    for (const audio of blockedAudio) audio.play().catch(() => {});
    blockedAudio.clear();
  };
  document.addEventListener('click', unblock);
  document.addEventListener('keydown', unblock);
  return () => {
    sub.unsubscribe();
    document.removeEventListener('click', unblock);
    document.removeEventListener('keydown', unblock);
  };
}
