import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { X509Certificate } from 'node:crypto';

export interface SelfSigned {
  readonly cert: Buffer;
  readonly key: Buffer;
  /** SHA-256 fingerprint as node's tls peer certificate reports it (`fingerprint256`). */
  readonly fingerprint256: string;
}

/**
 * A fresh self-signed P-256 certificate for 127.0.0.1/localhost, made by the openssl CLI at test time
 * (never checked in, so it never expires in the repository).
 */
export function selfSigned(commonName = 'meshray-test'): SelfSigned {
  const dir = mkdtempSync(join(tmpdir(), 'meshray-cert-'));
  const keyPath = join(dir, 'key.pem');
  const certPath = join(dir, 'cert.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyPath, '-out', certPath, '-days', '2', '-subj', `/CN=${commonName}`,
    '-addext', 'subjectAltName=IP:127.0.0.1,DNS:localhost',
  ], { stdio: 'ignore' });
  const cert = readFileSync(certPath);
  return { cert, key: readFileSync(keyPath), fingerprint256: new X509Certificate(cert).fingerprint256 };
}
