/**
 * Prints an ACCOUNTS_FILE entry for a name and password:
 *   npx tsx signaling-server/src/hash-password.ts 'alice' 'correct horse'
 *   → {"name":"alice","passwordHash":"scrypt$…$…"}
 * ACCOUNTS_FILE is a JSON array of such entries.
 */
import { hashPassword } from './passwords.ts';

const [name, password] = process.argv.slice(2);
if (!name || !password) {
  process.stderr.write('usage: tsx signaling-server/src/hash-password.ts <name> <password>\n');
  process.exit(2);
}
process.stdout.write(`${JSON.stringify({ name, passwordHash: await hashPassword(password) })}\n`);
