import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SCRIPT = fileURLToPath(new URL('../../scripts/dev-cert.sh', import.meta.url));

export interface TestCertificate {
  certFile: string;
  keyFile: string;
  /** The PEM certificate: also the CA a client trusts to reach a server that uses it. */
  cert: Buffer;
  key: Buffer;
}

/**
 * A throwaway self-signed certificate for localhost and 127.0.0.1 (openssl), made by the very
 * script behind `npm run cert`, in `dir/name/`.
 */
export function makeCertificate(dir: string, name: string, hosts: string[] = []): TestCertificate {
  const out = join(dir, name);
  execFileSync('bash', [SCRIPT, ...hosts], { env: { ...process.env, CERT_DIR: out }, stdio: 'pipe' });
  const certFile = join(out, 'cert.pem');
  const keyFile = join(out, 'key.pem');
  return { certFile, keyFile, cert: readFileSync(certFile), key: readFileSync(keyFile) };
}
