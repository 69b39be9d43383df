/**
 * Throw-away certificates for TLS tests, made with the system openssl at test time (nothing
 * secret is ever committed). EC P-256 keys keep generation fast.
 *
 *   ca        a CA the tests trust (caFile);
 *   server    signed by ca, SAN IP:127.0.0.1, IP:::1, DNS:localhost;
 *   sni       signed by ca, SAN DNS:sni.polysip.test (the second certificate chosen by SNI);
 *   client    signed by ca, for listeners that require client certificates;
 *   untrusted self-signed, same SANs as `server`: only its issuer is wrong.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CertPair {
  readonly certFile: string;
  readonly keyFile: string;
}

export interface TestCerts {
  readonly dir: string;
  readonly ca: CertPair;
  readonly server: CertPair;
  readonly sni: CertPair;
  readonly client: CertPair;
  readonly untrusted: CertPair;
  /** The hostname the `sni` certificate is for. */
  readonly sniName: string;
  /** Removes the directory; idempotent. */
  cleanup(): void;
}

const SNI_NAME = 'sni.polysip.test';
const LOOPBACK_SAN = 'IP:127.0.0.1,IP:::1,DNS:localhost';

function openssl(args: readonly string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
}

function newKey(dir: string, name: string): string {
  const keyFile = join(dir, `${name}.key`);
  openssl(
    ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', keyFile],
    dir,
  );
  return keyFile;
}

function selfSigned(dir: string, name: string, cn: string, ext: readonly string[]): CertPair {
  const keyFile = newKey(dir, name);
  const certFile = join(dir, `${name}.crt`);
  const args = ['req', '-x509', '-new', '-key', keyFile, '-out', certFile, '-days', '2'];
  args.push('-subj', `/CN=${cn}`);
  for (const e of ext) args.push('-addext', e);
  openssl(args, dir);
  return { certFile, keyFile };
}

function signed(dir: string, name: string, cn: string, ca: CertPair, ext: string): CertPair {
  const keyFile = newKey(dir, name);
  const csr = join(dir, `${name}.csr`);
  const extFile = join(dir, `${name}.ext`);
  const certFile = join(dir, `${name}.crt`);
  openssl(['req', '-new', '-key', keyFile, '-out', csr, '-subj', `/CN=${cn}`], dir);
  writeFileSync(extFile, ext);
  openssl(
    [
      'x509',
      '-req',
      '-in',
      csr,
      '-CA',
      ca.certFile,
      '-CAkey',
      ca.keyFile,
      '-CAcreateserial',
      '-out',
      certFile,
      '-days',
      '2',
      '-extfile',
      extFile,
    ],
    dir,
  );
  return { certFile, keyFile };
}

/** Makes the whole set in a fresh temp dir (well under a second). Call cleanup() in teardown. */
export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'polysip-certs-'));
  try {
    const ca = selfSigned(dir, 'ca', 'polysip test CA', [
      'basicConstraints=critical,CA:TRUE',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    const leaf = (san: string, usage: string): string =>
      [
        'basicConstraints=CA:FALSE',
        'keyUsage=digitalSignature',
        `extendedKeyUsage=${usage}`,
        ...(san !== '' ? [`subjectAltName=${san}`] : []),
        '',
      ].join('\n');
    const server = signed(
      dir,
      'server',
      'localhost',
      ca,
      leaf(LOOPBACK_SAN, 'serverAuth,clientAuth'),
    );
    const sni = signed(dir, 'sni', SNI_NAME, ca, leaf(`DNS:${SNI_NAME}`, 'serverAuth'));
    const client = signed(dir, 'client', 'polysip test client', ca, leaf('', 'clientAuth'));
    const untrusted = selfSigned(dir, 'untrusted', 'localhost', [`subjectAltName=${LOOPBACK_SAN}`]);
    return {
      dir,
      ca,
      server,
      sni,
      client,
      untrusted,
      sniName: SNI_NAME,
      cleanup: () => rmSync(dir, { recursive: true, force: true }),
    };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
}
