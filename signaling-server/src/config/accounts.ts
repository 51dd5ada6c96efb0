import { z } from 'zod';
import { isPasswordHash } from '../passwords.ts';

const accountsSchema = z.array(
  z.strictObject({
    name: z.string().trim().min(1).max(64),
    passwordHash: z.string().refine(isPasswordHash, 'expected scrypt$<salt base64>$<hash base64>'),
  }),
);

/** ACCOUNTS_FILE's content: names and scrypt hashes, never passwords. */
export function parseAccounts(json: string, source = 'accounts'): Map<string, string> {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (err) {
    throw new Error(`${source}: not valid JSON`, { cause: err });
  }
  const parsed = accountsSchema.safeParse(raw);
  if (!parsed.success) throw new Error(`${source}: ${z.prettifyError(parsed.error)}`);
  return new Map(parsed.data.map((a) => [a.name, a.passwordHash]));
}
