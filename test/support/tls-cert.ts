import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCert {
  dir: string;
  certFile: string;
  keyFile: string;
}

/** Why a throwaway certificate cannot be made here, or undefined when it can. */
export function opensslUnavailableReason(): string | undefined {
  return existsSync('/usr/bin/openssl') || spawnSync('openssl', ['version']).status === 0
    ? undefined
    : 'openssl is not installed (apt-get install openssl)';
}

/** A self-signed certificate for 127.0.0.1, its own CA, for TLS tests on loopback. */
export function makeLoopbackCert(): TestCert {
  const dir = mkdtempSync(join(tmpdir(), 'tls-'));
  const certFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  const r = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr}`);
  return { dir, certFile, keyFile };
}
