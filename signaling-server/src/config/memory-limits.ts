import { intVar, limitVar } from './env-vars.ts';

/**
 * What bounds the server's memory under a flood (issue 12), beyond the per-event quotas.
 */
export interface MemoryLimits {
  /**
   * Events kept per conference for replay (5 000): far more than a 60 s resume window of a
   * 16-person meeting holds (the chat quota lets 16 people post ~1 000 in a minute at most).
   */
  eventLogMaxEvents: number;
  /**
   * Bytes of events (their JSON) kept per conference (2 MiB): a flood of 4 000-character
   * messages is trimmed by size long before 5 000 of them (20 MB) pile up. A resume that needs
   * trimmed history gets REPLAY_UNAVAILABLE and resyncs from the roster and recent chat.
   */
  eventLogMaxBytes: number;
  /**
   * Bytes queued for one socket that it has not read (8 MiB). Above the largest legitimate burst
   * to one socket (a `conf:resume` reply replaying a full 2 MiB event log, plus relays); a
   * receiver that stops reading is disconnected here instead of the server buffering for it
   * until its heartbeat times out.
   */
  outboundBufferMaxBytes: number;
  /**
   * Logged-in sockets from one address on this process at once (1 000): an office behind one
   * NAT address fits; one host opening sessions by the thousand does not. Per process (sockets
   * live on one process; a Redis count would outlive a crashed one).
   */
  sessionsPerAddress: number;
  /**
   * Conferences one login session sits in at once (4): the app joins one; a script joining
   * room after room to create conferences is stopped at the fourth.
   */
  conferencesPerSession: number;
}

export const DEFAULT_MEMORY_LIMITS: Readonly<MemoryLimits> = {
  eventLogMaxEvents: 5_000,
  eventLogMaxBytes: 2 * 1024 * 1024,
  outboundBufferMaxBytes: 8 * 1024 * 1024,
  sessionsPerAddress: 1_000,
  conferencesPerSession: 4,
};

/** EVENT_LOG_MAX_*, OUTBOUND_BUFFER_MAX_BYTES, MAX_SESSIONS_PER_ADDRESS, MAX_CONFERENCES_PER_SESSION. */
export function memoryVars(env: NodeJS.ProcessEnv, base: MemoryLimits): MemoryLimits {
  return {
    eventLogMaxEvents: limitVar(env, 'EVENT_LOG_MAX_EVENTS', base.eventLogMaxEvents),
    eventLogMaxBytes: intVar(env, 'EVENT_LOG_MAX_BYTES', base.eventLogMaxBytes, 65_536, 1 << 30),
    outboundBufferMaxBytes: intVar(
      env,
      'OUTBOUND_BUFFER_MAX_BYTES',
      base.outboundBufferMaxBytes,
      65_536,
      1 << 30,
    ),
    sessionsPerAddress: limitVar(env, 'MAX_SESSIONS_PER_ADDRESS', base.sessionsPerAddress),
    conferencesPerSession: intVar(env, 'MAX_CONFERENCES_PER_SESSION', base.conferencesPerSession, 1, 100),
  };
}
