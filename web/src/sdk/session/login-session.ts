/**
 * The login session: logging in, the single-use resume token (rotated by every resume), and
 * resuming the login on a fresh socket (spec §3, step 3 of ARCHITECTURE.md's path of one resume).
 */
import {
  type ConfResumeRequest,
  type Reply,
  ResultCode,
  type ResumeInfo,
  type SessionInfo,
  TSDK_SUCCESS,
  TsdkEvent,
} from '../../../../shared/src/index.ts';
import type { Credentials, Session } from '../client-types.ts';
import { MeetingError } from '../errors.ts';
import type { Notifier } from '../notifier.ts';
import { appCall, failureData, LEAVE_TIMEOUT_MS, pipelineCall } from '../requests.ts';
import type { SignalClient } from '../signal/signal-client.ts';
import type { ServerIceServers } from './server-ice-servers.ts';

const CREDENTIAL_FAILURES: ReadonlySet<number> = new Set([
  ResultCode.AUTH_REJECTED,
  ResultCode.GUEST_NOT_ALLOWED,
]);

export interface LoginSessionDeps {
  signal: SignalClient;
  notifier: Notifier;
  timeout: { timeoutMs?: number };
  /** The server's ICE servers; null when the app brought its own. */
  iceServers: ServerIceServers | null;
  /** A resume brought fresh ICE servers (and perhaps the relay a new network needs). */
  onIceServersRenewed(): void;
}

export class LoginSession {
  readonly #deps: LoginSessionDeps;
  #session: Session | null = null;
  #token: string | null = null;
  #resuming: Promise<unknown> | null = null;

  constructor(deps: LoginSessionDeps) {
    this.#deps = deps;
  }

  get session(): Session | null {
    return this.#session;
  }

  /** The single-use resume token (the leave beacon spends it too). */
  get token(): string | null {
    return this.#token;
  }

  /** Opens the socket and logs in; a refusal is reported (AUTH_FAILED / LOGIN_FAILED) and thrown. */
  async login(credentials: Credentials): Promise<SessionInfo> {
    const { signal, notifier, timeout } = this.#deps;
    const loginFailed = (code: number, message: string) =>
      notifier.emit(TsdkEvent.LOGIN_FAILED, 0, code, failureData(code, message));
    const reply = await appCall(() => {
      const req = credentials.password === undefined ? { name: credentials.name } : { ...credentials };
      return signal.connect().then(() => signal.request('login', req, timeout));
    }, loginFailed);
    if (reply.code !== 0) {
      const event = CREDENTIAL_FAILURES.has(reply.code) ? TsdkEvent.AUTH_FAILED : TsdkEvent.LOGIN_FAILED;
      notifier.emit(event, 0, reply.code, failureData(reply.code, reply.message));
      throw new MeetingError(reply.code, `login failed: ${reply.message}`);
    }
    return reply;
  }

  /** The session is ours: keep its token and ICE servers, report AUTH_SUCCESS, LOGIN_SUCCESS. */
  start(info: SessionInfo, beforeReport: (session: Session) => void): Session {
    const session = { userId: info.userId, name: info.name };
    this.#session = session;
    this.#token = info.resumeToken;
    this.#deps.iceServers?.use(info);
    beforeReport(session);
    this.#deps.notifier.emit(TsdkEvent.AUTH_SUCCESS, 0, TSDK_SUCCESS, {});
    this.#deps.notifier.emit(TsdkEvent.LOGIN_SUCCESS, 0, TSDK_SUCCESS, { ...session });
    return { ...session };
  }

  /** The resume pipeline's login came back (the same user, perhaps a new display name). */
  adopt(session: Session): void {
    this.#session = { userId: session.userId, name: session.name };
  }

  /**
   * One login resume at a time, even when the pipeline aborts an attempt: an aborted attempt
   * whose `resume` already reached the server has spent the token, and only its reply carries
   * the rotated one. So a new attempt first lets the previous one settle (a dead socket fails it
   * at once), then goes on with whatever token is current. With `conference` the server resumes
   * that conference too, after the login, and its reply comes with this one.
   */
  resume(assertOpen: () => void, conference?: ConfResumeRequest): Promise<Reply<ResumeInfo>> {
    const { signal } = this.#deps;
    const previous = this.#resuming ?? Promise.resolve();
    const attempt = previous
      .catch(() => undefined)
      .then(async (): Promise<Reply<ResumeInfo>> => {
        assertOpen();
        const token = this.#token;
        if (!token) return { code: ResultCode.RESUME_TOKEN_REJECTED, message: 'no resume token' };
        const reply = await pipelineCall(() =>
          signal.resumeOnNewSocket(conference ? { token, conference } : { token }),
        );
        if (reply.code === 0) {
          this.#token = reply.resumeToken;
          this.#deps.iceServers?.use(reply);
          this.#deps.onIceServersRenewed();
        }
        return reply;
      });
    this.#resuming = attempt;
    return attempt;
  }

  /** Tells the server the session ends (best effort). */
  async logout(onUnacknowledged: (err: unknown) => void): Promise<void> {
    try {
      await this.#deps.signal.request('logout', {}, { timeoutMs: LEAVE_TIMEOUT_MS });
    } catch (err) {
      onUnacknowledged(err);
    }
  }

  /** Forgets the session here (the server has, or will). */
  clear(): void {
    this.#deps.iceServers?.stop();
    this.#session = null;
    this.#token = null;
  }
}
