import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readVarFile } from './env-vars.ts';

export interface TlsSettings {
  /** PEM certificate (chain). */
  cert: Buffer;
  /** PEM private key, unencrypted. */
  key: Buffer;
}

/** TLS_CERT_FILE and TLS_KEY_FILE, checked to be a certificate and its key. */
export function tlsVars(env: NodeJS.ProcessEnv): TlsSettings | null {
  const certFile = env.TLS_CERT_FILE?.trim();
  const keyFile = env.TLS_KEY_FILE?.trim();
  if (!certFile && !keyFile) return null;
  if (!certFile || !keyFile) {
    throw new Error('TLS_CERT_FILE and TLS_KEY_FILE go together: set both (HTTPS) or neither (HTTP)');
  }
  const cert = readVarFile('TLS_CERT_FILE', certFile);
  const key = readVarFile('TLS_KEY_FILE', keyFile);
  // Checked here so a wrong file stops the start with its variable's name, not a TLS error later.
  let x509: X509Certificate;
  try {
    x509 = new X509Certificate(cert);
  } catch (err) {
    throw new Error(`TLS_CERT_FILE ${certFile}: not a PEM certificate`, { cause: err });
  }
  let privateKey: ReturnType<typeof createPrivateKey>;
  try {
    privateKey = createPrivateKey(key);
  } catch (err) {
    throw new Error(`TLS_KEY_FILE ${keyFile}: not an unencrypted PEM private key`, { cause: err });
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new Error(`TLS_KEY_FILE ${keyFile} is not the key of the certificate in TLS_CERT_FILE ${certFile}`);
  }
  return { cert, key };
}
