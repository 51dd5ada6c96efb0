import { type DestinationStream, type Logger, pino } from 'pino';

export type { Logger };

/**
 * Secrets that must never reach a log line, wherever they are nested. Handlers also never
 * pass a token to the logger; this is the second line of defence.
 */
export const REDACT_PATHS = [
  'token',
  'resumeToken',
  'password',
  'passwordHash',
  'credential',
  'secret',
  '*.token',
  '*.resumeToken',
  '*.password',
  '*.passwordHash',
  '*.credential',
  '*.secret',
  '*.*.token',
  '*.*.resumeToken',
  '*.*.password',
  '*.*.credential',
  '*.*.secret',
  // A reply or an ICE config logged whole: TURN credentials sit in an array.
  'iceServers[*].credential',
  '*.iceServers[*].credential',
];

export function createLogger(level = 'info', destination?: DestinationStream): Logger {
  const options = { name: 'signaling', level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}
