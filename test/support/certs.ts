/**
 * Throwaway certificates for TLS tests, made by the machine's openssl: a CA, a server certificate
 * for 127.0.0.1 and a client certificate, all signed by that CA, valid for a day.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export interface TestCertificates {
  dir: string;
  /** Paths, as the configuration takes them. */
  paths: { caCert: string; serverCert: string; serverKey: string; clientCert: string; clientKey: string };
  read(file: keyof TestCertificates['paths']): Buffer;
  remove(): void;
}

const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function makeTestCertificates(): TestCertificates {
  const dir = mkdtempSync(path.join(tmpdir(), 'certs-'));
  const at = (name: string) => path.join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  openssl('req', '-x509', ...EC_KEY, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=throwaway test CA');
  const extensions = { server: 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n', client: 'extendedKeyUsage=clientAuth\n' };
  for (const [who, ext] of Object.entries(extensions)) {
    writeFileSync(at(`${who}.ext`), ext);
    openssl('req', ...EC_KEY, '-keyout', `${who}.key`, '-out', `${who}.csr`, '-subj', `/CN=throwaway test ${who}`);
    openssl('x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${who}.crt`, '-days', '1', '-extfile', `${who}.ext`);
  }
  const paths = { caCert: at('ca.crt'), serverCert: at('server.crt'), serverKey: at('server.key'), clientCert: at('client.crt'), clientKey: at('client.key') };
  return { dir, paths, read: (file) => readFileSync(paths[file]), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
