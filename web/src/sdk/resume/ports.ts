/**
 * What the resume pipeline needs from the rest of the SDK. The facade implements these with
 * `signal/` and `media/`; tests implement them with cold observables on virtual time.
 */
import type { Observable } from 'rxjs';
import type { ConfResumeInfo, Reply, SessionInfo } from '../../../../shared/src/index.ts';

/** Why an episode (or a new attempt inside one) was triggered. */
export type TriggerReason =
  | 'offline'
  | 'online'
  | 'connection-change'
  | 'peer-disconnected'
  | 'peer-failed'
  | 'media-stall'
  | 'socket-disconnect'
  | 'heartbeat-timeout'
  | 'local-address'
  | 'address-lost';

export interface Trigger {
  reason: TriggerReason;
  /**
   * Scheduler time the pipeline received it (stamped before coalescing): a trigger that was
   * folded and emitted late must not pass for a change that happened after an attempt began.
   */
  at?: number;
  /** For `local-address`: the address the app set ('0.0.0.0' = no network). */
  address?: string;
}

/** The conference the client is in when an episode starts, if any. */
export interface ConferenceContext {
  handle: number;
  room: string;
  /** Last conference sequence number seen: the server replays everything after it. */
  lastSeq: number;
}

export interface ResumePorts {
  /**
   * Open a fresh socket and present the stored resume token. Emits the server's reply once
   * and completes; errors (with a `TransportError`) when the server could not be reached.
   * On success the implementation has stored the rotated token. `ctx` is the conference the
   * next `resumeConference` will name: an implementation may ask for it in the same request
   * and answer that call from the reply it already has.
   */
  resumeLogin(ctx?: ConferenceContext | null): Observable<Reply<SessionInfo>>;
  /** Ask the server to resume the conference on the socket whose login just resumed. */
  resumeConference(ctx: ConferenceContext): Observable<Reply<ConfResumeInfo>>;
  /** The conference the client is in right now, or null. Read once when an episode starts. */
  conference(): ConferenceContext | null;
  /**
   * A cheap health check for a "suspect" trigger (a connection change while nothing looks
   * broken): emits true once if the signaling path and every peer are healthy, else false.
   */
  probe(): Observable<boolean>;
  /**
   * For an episode a media trigger started, after the conference resumed: emits once when media
   * flows again, both ways, with the peers whose outage the episode covers, so that its RESULT
   * means it (spec §5). One that never emits leaves the episode to the resume window.
   */
  mediaRecovered(): Observable<unknown>;
}

/** Transport failure (socket refused, unreachable, ack timed out): always retryable. */
export class TransportError extends Error {
  override readonly name = 'TransportError';
}
