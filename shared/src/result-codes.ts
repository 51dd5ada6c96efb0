/**
 * Result codes: `TSDK_SUCCESS` and one code per failure reason. Every failure names whether
 * it is worth retrying, so the client classifies errors in one place (conventions §8).
 */
export const ResultCode = {
  TSDK_SUCCESS: 0,
  /** The payload failed its schema (wrong types, missing fields, oversized). */
  INVALID_PARAM: 0x0100_0001,
  /** Wrong account name or password. */
  AUTH_REJECTED: 0x0100_0002,
  /** The action needs a logged-in socket. */
  NOT_LOGGED_IN: 0x0100_0003,
  /** Already logged in on this socket. */
  ALREADY_LOGGED_IN: 0x0100_0004,
  /** Guest login is switched off on this server. */
  GUEST_NOT_ALLOWED: 0x0100_0005,
  /** The handle is not this session's, or is unknown. */
  HANDLE_UNKNOWN: 0x0100_0006,
  /** The handle was replaced by a resume and may not be used again. */
  HANDLE_SUPERSEDED: 0x0100_0007,
  /** The conference is full or the participant is already in it. */
  CONF_JOIN_REFUSED: 0x0100_0008,
  /** The relay target is not in the same conference. */
  PEER_UNKNOWN: 0x0100_0009,
  /** The resume token is wrong, used, or expired. */
  RESUME_TOKEN_REJECTED: 0x0100_000a,
  /** The resume window (60 s) was spent. */
  RESUME_TIMEOUT: 0x0100_000b,
  /** The conference ended while the participant was away. */
  CONF_ENDED: 0x0100_000c,
  /** Too many attempts; the ack carries `retryAfterMs`. */
  RATE_LIMITED: 0x0100_000d,
  /** The server could not be reached or failed; worth retrying. */
  SERVER_UNAVAILABLE: 0x0100_000e,
  /** A conference resume was asked before the login resume on this socket. */
  LOGIN_RESUME_REQUIRED: 0x0100_000f,
  /** The event history needed for replay is gone; resync from a snapshot. */
  REPLAY_UNAVAILABLE: 0x0100_0010,
  /** An operation was called in a state that does not allow it. */
  INVALID_STATE: 0x0100_0011,
} as const;
export type ResultCodeName = keyof typeof ResultCode;
export type ResultCodeValue = (typeof ResultCode)[ResultCodeName];

export const TSDK_SUCCESS = ResultCode.TSDK_SUCCESS;

/** Failures a retry can fix; every other failure ends a resume episode at once. */
const RETRYABLE: ReadonlySet<number> = new Set([ResultCode.SERVER_UNAVAILABLE, ResultCode.RATE_LIMITED]);

export function isRetryable(code: number): boolean {
  return RETRYABLE.has(code);
}

const NAMES = new Map<number, ResultCodeName>(
  (Object.entries(ResultCode) as [ResultCodeName, number][]).map(([name, code]) => [code, name]),
);

/** The constant's name for a code, for logs and UI ("RESUME_TIMEOUT"). */
export function resultCodeName(code: number): string {
  return NAMES.get(code) ?? `UNKNOWN_${code}`;
}
