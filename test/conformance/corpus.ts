/**
 * The RFC 4475 / RFC 5118 torture corpus from shared/conformance, with the manifest's
 * verdicts, as bytes ready for the wire.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface CorpusEntry {
  readonly suite: 'rfc4475' | 'rfc5118';
  readonly file: string;
  readonly verdict: string;
  readonly note: string;
  readonly bytes: Buffer;
}

export function conformanceDir(): string {
  const fromEnv = process.env.POLYSIP_CONFORMANCE_DIR;
  if (fromEnv) return fromEnv.endsWith('/') ? fromEnv : `${fromEnv}/`;
  // The repository sits beside shared/ (…/main and …/shared), in development and in CI.
  const dir = fileURLToPath(new URL('../../../shared/conformance/', import.meta.url));
  if (!existsSync(dir))
    throw new Error(`conformance corpus not found at ${dir} (set POLYSIP_CONFORMANCE_DIR)`);
  return dir;
}

/**
 * RFC 5118's archive uses bare LF and has wrong Content-Lengths in places; its manifest says
 * to rebuild CRLF line ends, close the header section and recompute Content-Length.
 */
export function rfc5118ToWire(raw: Buffer): Buffer {
  const text = raw.toString('latin1');
  const split = text.indexOf('\n\n');
  const head = (split >= 0 ? text.slice(0, split) : text.replace(/\n+$/, '')).split('\n');
  const body = split >= 0 ? text.slice(split + 2).replace(/\n/g, '\r\n') : '';
  const lines = head.map((l) =>
    /^(content-length|l)\s*:/i.test(l)
      ? `${l.slice(0, l.indexOf(':'))}: ${Buffer.byteLength(body, 'latin1')}`
      : l,
  );
  return Buffer.from(`${lines.join('\r\n')}\r\n\r\n${body}`, 'latin1');
}

export function loadCorpus(): CorpusEntry[] {
  const dir = conformanceDir();
  const out: CorpusEntry[] = [];
  for (const suite of ['rfc4475', 'rfc5118'] as const) {
    const manifest = readFileSync(`${dir}${suite}/MANIFEST.tsv`, 'utf8').split('\n');
    for (const line of manifest.slice(1)) {
      if (!line.trim()) continue;
      const [file, , verdict, note] = line.split('\t');
      if (!file || !verdict) continue;
      const raw = readFileSync(`${dir}${suite}/${file}`);
      out.push({
        suite,
        file,
        verdict,
        note: note ?? '',
        bytes: suite === 'rfc5118' ? rfc5118ToWire(raw) : raw,
      });
    }
  }
  return out;
}
