/** The TSDK abandon rule: an episode that has not resumed 60 s after it started gives up. */
export const RESUME_WINDOW_MS = 60_000;

/**
 * socket.io heartbeat, tightened from the 25 s + 20 s default so a dead socket is seen in a
 * few seconds (environment.md: 2000/2000 → noticed in 2–4 s).
 */
export const HEARTBEAT_INTERVAL_MS = 2_000;
export const HEARTBEAT_TIMEOUT_MS = 2_000;

/** Upper bounds on what the server accepts; larger payloads are refused. */
export const LIMITS = {
  displayName: 64,
  password: 256,
  roomId: 64,
  chatText: 4_000,
  clientMessageId: 64,
  /** SDP with many candidates stays well under this. */
  signalBytes: 32_000,
  resumeToken: 128,
  /**
   * socket.io `maxHttpBufferSize`: the largest single packet the server reads, sized to the
   * largest legitimate event: a `signal` with a `signalBytes` SDP (ASCII; JSON escapes its CRLF
   * line ends, +10 % for lines of 20+ characters) and its envelope (~150 bytes). A chat message
   * of `chatText` UTF-16 units is at most 12 000 UTF-8 bytes. Anything larger closes the socket.
   */
  packetBytes: 36_864,
  participantsPerConference: 16,
} as const;
