/**
 * The conference we are in: its handle, roster and sequence, kept in order through joins, live
 * events and resumes (the replay of what we missed is applied exactly once, after the RESULT),
 * and the media mesh told who is there.
 */
import { BehaviorSubject, type Observable, Subject } from 'rxjs';
import {
  type ConfEvent,
  type ConfResumeInfo,
  type JoinInfo,
  TSDK_SUCCESS,
  TsdkEvent,
} from '../../../../shared/src/index.ts';
import type { ConferenceView, ConfUpdateData, Resync } from '../client-types.ts';
import { MeetingError } from '../errors.ts';
import type { Notifier } from '../notifier.ts';
import { appCall, failureData, LEAVE_TIMEOUT_MS } from '../requests.ts';
import { isResuming, type ResumeState } from '../resume/state.ts';
import type { SignalClient } from '../signal/signal-client.ts';
import type { ConferenceChat } from './conference-chat.ts';
import { applyConfEvent, findByHandle } from './conference-state.ts';

/** What the conference asks of the media side. */
export interface ConferenceMedia {
  startLocalMedia(): void;
  setLocalHandle(handle: number | null): void;
  addPeer(userId: string, handle: number): void;
  /** The participant is gone from the roster (a replay's snapshot). */
  removePeer(userId: string): void;
  /** The participant left: nothing of theirs is recovered or arbitrated any more. */
  peerLeft(userId: string): void;
  rekey(userId: string, handle: number): void;
  peerIds(): Iterable<string>;
  /** We are back on a new handle: a dead peer is rebuilt, a struggling one recovered. */
  recoverAfterResume(): void;
  clear(): void;
}

export interface ConferenceRoomDeps {
  signal: SignalClient;
  notifier: Notifier;
  timeout: { timeoutMs?: number };
  chat: ConferenceChat;
  media: ConferenceMedia;
  me(): string | undefined;
  resumeState(): ResumeState;
}

export class ConferenceRoom {
  readonly #deps: ConferenceRoomDeps;
  readonly #conference = new BehaviorSubject<ConferenceView | null>(null);
  readonly #resynced = new Subject<Resync>();
  #joining = false;
  /** Conference events that arrived while a join or a resume was waiting for its reply. */
  #early: ConfEvent[] = [];
  /** A resumed conference whose replay waits until CONF_RESUME_RESULT has been reported. */
  #pendingReplay: ConfResumeInfo | null = null;
  readonly conference$: Observable<ConferenceView | null> = this.#conference.asObservable();
  readonly resynced$: Observable<Resync> = this.#resynced.asObservable();

  constructor(deps: ConferenceRoomDeps) {
    this.#deps = deps;
  }

  get view(): ConferenceView | null {
    return this.#conference.value;
  }

  /** Our handle, unless a join or a resume is settling (chat then waits). */
  get settledHandle(): number | null {
    return this.#pendingReplay || isResuming(this.#deps.resumeState()) ? null : (this.view?.handle ?? null);
  }

  async join(room: string): Promise<JoinInfo> {
    const { signal, notifier, timeout, media } = this.#deps;
    this.#joining = true;
    this.#early = [];
    // Camera start-up overlaps the join round trip.
    media.startLocalMedia();
    const joinFailed = (code: number, message: string) =>
      notifier.emit(TsdkEvent.JOIN_CONF_RESULT, 0, code, failureData(code, message));
    try {
      const reply = await appCall(() => signal.request('conf:join', { room }, timeout), joinFailed);
      if (reply.code !== 0) {
        joinFailed(reply.code, reply.message);
        throw new MeetingError(reply.code, `join failed: ${reply.message}`);
      }
      const { code: _, ...info } = reply;
      this.#conference.next({ handle: info.handle, room: info.room, roster: info.roster, lastSeq: info.seq });
      media.setLocalHandle(info.handle);
      for (const p of info.roster) media.addPeer(p.userId, p.handle);
      notifier.emit(TsdkEvent.JOIN_CONF_RESULT, info.handle, 0, info.info);
      this.#joining = false;
      for (const e of this.#early.splice(0)) this.onEvent(e);
      return info;
    } finally {
      this.#joining = false;
      this.#early = [];
    }
  }

  /** Leaves (best effort on the server; always here) and reports CONF_END_IND. */
  async leave(onUnacknowledged: (err: unknown) => void): Promise<void> {
    const conf = this.view;
    if (!conf) return;
    this.teardown();
    // The server releases the seat when the socket or the resume window goes anyway.
    await this.#deps.signal
      .request('conf:leave', { handle: conf.handle }, { timeoutMs: LEAVE_TIMEOUT_MS })
      .catch(onUnacknowledged);
    this.#deps.notifier.emit(
      TsdkEvent.CONF_END_IND,
      conf.handle,
      TSDK_SUCCESS,
      failureData(TSDK_SUCCESS, 'left'),
    );
  }

  /** Tells the server we leave `handle`, without waiting (a closing page, a failed resume). */
  sayLeaving(handle: number): void {
    this.#deps.signal.request('conf:leave', { handle }, { timeoutMs: LEAVE_TIMEOUT_MS }).catch(() => {
      // The seat is released when the socket or the resume window goes anyway.
    });
  }

  /** The server ended our conference. */
  ended(code: number, message: string): void {
    const conf = this.view;
    if (!conf) return;
    this.teardown();
    this.#deps.notifier.emit(TsdkEvent.CONF_END_IND, conf.handle, code, failureData(code, message));
  }

  /** The new handle is ours from now on; healthy peers stay, re-keyed by the server's `replaced`. */
  resumed(info: ConfResumeInfo): void {
    const conf = this.view;
    if (!conf) return;
    this.#conference.next({ ...conf, handle: info.handle });
    // Media cannot wait for the replay (RESULT waits for media): both sides resuming at once lost every signal.
    for (const p of info.roster) if (p.userId !== this.#deps.me()) this.#deps.media.rekey(p.userId, p.handle);
    this.#deps.media.setLocalHandle(info.handle);
    this.#pendingReplay = info;
    // Media needs only the new handle, not the replay. (A media-triggered RESULT waits for it.)
    this.#deps.media.recoverAfterResume();
  }

  /** CONF_RESUME_RESULT was reported: what we missed comes now, as events follow a JOIN result. */
  resultReported(): void {
    const info = this.#pendingReplay;
    this.#pendingReplay = null;
    if (info) this.#applyReplay(info);
  }

  /** The resume failed: nothing waits for its replay; `teardown` when the seat is gone. */
  resumeFailed(): void {
    this.#pendingReplay = null;
    this.#early = [];
  }

  onEvent(event: ConfEvent): void {
    const { media, notifier, chat } = this.#deps;
    // During a join or a conference resume, live events wait for the reply (and its replay),
    // so nothing is applied out of order; duplicates are then dropped by seq.
    if (this.#joining || this.#pendingReplay || this.#resumingThis()) {
      this.#early.push(event);
      // Media cannot wait for the replay: signals to a participant's retired handle are lost.
      if (event.kind === 'replaced') media.rekey(event.participant.userId, event.participant.handle);
      return;
    }
    const conf = this.view;
    if (!conf || event.room !== conf.room) return;
    const next = applyConfEvent(conf, event);
    if (!next) return;
    const view: ConferenceView = { ...conf, roster: next.roster, lastSeq: next.lastSeq };
    this.#conference.next(view);
    const me = this.#deps.me();
    // Our own presence is reported by JOIN/RESUME results, not as a roster update.
    const aboutMe =
      (event.kind === 'replaced' || event.kind === 'joined') && event.participant.userId === me
        ? true
        : (event.kind === 'status' || event.kind === 'left') &&
          findByHandle(conf.roster, event.handle)?.userId === me;
    if (aboutMe) return;
    switch (event.kind) {
      case 'joined':
        media.addPeer(event.participant.userId, event.participant.handle);
        break;
      case 'left': {
        const gone = findByHandle(conf.roster, event.handle);
        if (gone && gone.userId !== me) media.peerLeft(gone.userId);
        break;
      }
      case 'replaced':
        media.rekey(event.participant.userId, event.participant.handle);
        break;
      case 'chat':
        chat.received(event.message);
        return;
      case 'status':
        break;
    }
    notifier.emit<ConfUpdateData>(TsdkEvent.INFO_AND_STATUS_UPDATE, view.handle, TSDK_SUCCESS, {
      change: event.kind,
      event,
      roster: [...view.roster],
    });
  }

  teardown(): void {
    this.#deps.chat.clear();
    this.#deps.media.setLocalHandle(null);
    this.#deps.media.clear();
    if (this.view) this.#conference.next(null);
  }

  complete(): void {
    this.#conference.complete();
  }

  /** Applies what was missed, exactly once and in order, then takes the server's roster as truth. */
  #applyReplay(info: ConfResumeInfo): void {
    const { media, chat, notifier } = this.#deps;
    const early = this.#early.splice(0);
    if (info.replay.code === 0) for (const e of info.replay.events) this.onEvent(e);
    const conf = this.view;
    if (!conf) return;
    this.#conference.next({ ...conf, roster: info.roster, lastSeq: Math.max(conf.lastSeq, info.seq) });
    if (info.replay.code !== 0) {
      // History aged out: resync from the snapshot (roster above, recent chat here), and say so.
      const recoveredChat = chat.recovered(info.replay.chat);
      notifier.emit<ConfUpdateData>(TsdkEvent.INFO_AND_STATUS_UPDATE, info.handle, TSDK_SUCCESS, {
        change: 'resync',
        roster: [...info.roster],
      });
      this.#resynced.next({ room: conf.room, fromSeq: conf.lastSeq, recoveredChat });
    }
    const me = this.#deps.me();
    const present = new Set(info.roster.map((p) => p.userId));
    for (const userId of [...media.peerIds()]) if (!present.has(userId)) media.removePeer(userId);
    for (const p of info.roster) if (p.userId !== me) media.addPeer(p.userId, p.handle);
    for (const e of early) this.onEvent(e);
    void chat.flush();
  }

  #resumingThis(): boolean {
    const state = this.#deps.resumeState();
    return isResuming(state) && state.originalHandle !== null && this.view !== null;
  }
}
