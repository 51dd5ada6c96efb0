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
  '*.token',
  '*.resumeToken',
  '*.password',
  '*.passwordHash',
  '*.*.token',
  '*.*.resumeToken',
  '*.*.password',
];

export function createLogger(level = 'info', destination?: DestinationStream): Logger {
  const options = { name: 'signaling', level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  return destination ? pino(options, destination) : pino(options);
}
