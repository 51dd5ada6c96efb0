/**
 * The SDK's one public object: what an app can do with a meeting (log in, join, chat, leave, and
 * TSDK's configuration call), over parts with one job each, assembled in assemble-client.ts: the
 * login session (session/), the conference and its chat (conference/), the media
 * (meeting-media.ts) and the resume wiring (resume-wiring.ts). What it can observe is
 * `MeetingClientView`'s.
 */
import {
  type JoinInfo,
  parseLocalAddress,
  ResultCode,
  TSDK_E_CONFIG_LOCAL_ADDRESS,
  TSDK_SUCCESS,
  TsdkEvent,
} from '../../../shared/src/index.ts';
import type { Credentials, MeetingClientOptions, SentChat, Session } from './client-types.ts';
import { MeetingClientView } from './client-view.ts';
import { invalidState } from './errors.ts';
import type { ResumePorts } from './resume/ports.ts';
import { sendLeaveBeacon } from './signal/leave-beacon.ts';

export type * from './client-types.ts';

export class MeetingClient extends MeetingClientView {
  #busy: 'login' | 'join' | null = null;

  constructor(options: MeetingClientOptions = {}) {
    super(options);
  }

  /** Opens the socket and logs in (as a guest when there is no password). */
  async login(credentials: Credentials): Promise<Session> {
    this.assertOpen('login');
    if (this.session || this.#busy)
      throw invalidState(this.session ? 'already logged in' : `${this.#busy} in progress`);
    this.#busy = 'login';
    try {
      const info = await this.parts.login.login(credentials);
      const session = this.parts.login.start(info, ({ userId }) =>
        this.parts.media.mesh.setLocalUser(userId),
      );
      this.parts.resume.start();
      return session;
    } finally {
      this.#busy = null;
    }
  }

  /** Joins `room`; media starts with everyone already there. */
  async join(room: string): Promise<JoinInfo> {
    this.assertOpen('join');
    if (!this.session) throw invalidState('join needs a login first');
    if (this.conference || this.#busy) {
      throw invalidState(this.conference ? 'already in a conference' : `${this.#busy} in progress`);
    }
    this.#busy = 'join';
    try {
      return await this.parts.room.join(room);
    } finally {
      this.#busy = null;
    }
  }

  /** Leaves the conference (best effort on the server; always locally). */
  async leave(): Promise<void> {
    this.assertOpen('leave');
    if (!this.conference) throw invalidState('not in a conference');
    await this.parts.room.leave((err) => this.parts.logger.debug('conf:leave not acknowledged', err));
  }

  /** Leaves any conference, ends the login session and closes the client for good. */
  async logout(): Promise<void> {
    this.assertOpen('logout');
    if (this.conference) await this.leave();
    const wasLoggedIn = this.session !== null;
    if (wasLoggedIn)
      await this.parts.login.logout((err) => this.parts.logger.debug('logout not acknowledged', err));
    this.#close();
    if (wasLoggedIn) this.parts.notifier.emit(TsdkEvent.LOGOUT_SUCCESS, 0, TSDK_SUCCESS, {});
  }

  /**
   * Sends a chat message; resolves once the server has sequenced it. While the connection is
   * being resumed the message waits in the outbox (`outbox$`: pending → sent, or failed) and
   * goes out after the resume, under the same id so a retry never posts twice.
   */
  async sendChat(text: string): Promise<SentChat> {
    this.assertOpen('sendChat');
    if (!this.conference) throw invalidState('not in a conference');
    const { id, seq } = this.parts.chat.send(text);
    return { id, seq: await seq };
  }

  /** TSDK's configuration call; returns a result code, as TSDK does. */
  tsdk_set_config_param(id: string, value: unknown): number {
    this.assertOpen('tsdk_set_config_param');
    if (id !== TSDK_E_CONFIG_LOCAL_ADDRESS) return ResultCode.INVALID_PARAM;
    const address = parseLocalAddress(value);
    if (!address) return ResultCode.INVALID_PARAM;
    this.localAddressValue = address;
    this.localAddressInput.next(address);
    return TSDK_SUCCESS;
  }

  /**
   * Closes everything at once (the page is going away): no notifications, and no waiting. The
   * server is told we left over the socket (fastest, when it is up) and by a beacon, which the
   * browser delivers even when the page dies before the socket frame leaves; the beacon also
   * ends the login session, whose token nobody holds any more.
   */
  destroy(): void {
    if (this.isClosed) return;
    const conf = this.conference;
    if (conf) this.parts.room.sayLeaving(conf.handle);
    const token = this.parts.login.token;
    if (token !== null) sendLeaveBeacon(this.parts.signal.url, token);
    this.parts.room.teardown();
    this.#close();
  }

  /** What the resume pipeline needs; public so a test can drive the pipeline against a real server. */
  resumePorts(): ResumePorts {
    return this.parts.resume.ports();
  }

  #close(): void {
    this.parts.resume.stop();
    this.isClosed = true;
    this.parts.login.clear();
    this.parts.media.stop();
    this.parts.signal.close();
    this.parts.room.complete();
    this.parts.resume.complete();
    this.parts.chat.complete();
    this.localAddressInput.complete();
  }
}
