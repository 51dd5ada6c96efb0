import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { LoginSession, Store } from './store/store.ts';

/**
 * Resume tokens (spec §7): 256 bits from the CSPRNG, base64url. The store keeps only the
 * sha256, so a leaked store does not let anyone resume. Single use: `takeToken` deletes it
 * atomically; every login and every successful resume issues a new one. A detached session's
 * token expires with the session (RESUME_WINDOW_MS after the socket is lost).
 * Tokens are never logged: the logger redacts `token`/`resumeToken` fields as well.
 */
export const TOKEN_BYTES = 32;

export function newToken(): string {
  return randomBytes(TOKEN_BYTES).toString('base64url');
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('base64url');
}

/** Issues a fresh token for the session (the previous one stops working) and returns it. */
export async function rotateToken(store: Store, userId: string): Promise<string> {
  const token = newToken();
  await store.setToken(userId, hashToken(token));
  return token;
}

/**
 * The session this token resumes, consuming the token; null if it is wrong, used or expired.
 * The store looks the token up by its sha256 (an index lookup on a digest reveals nothing
 * useful about the secret); the final check is a constant-time comparison.
 */
export async function takeSessionByToken(store: Store, token: string): Promise<LoginSession | null> {
  const hash = hashToken(token);
  const session = await store.takeToken(hash);
  if (!session?.tokenHash) return null;
  const expected = Buffer.from(session.tokenHash, 'utf8');
  const actual = Buffer.from(hash, 'utf8');
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return null;
  return session;
}
