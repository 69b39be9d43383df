/**
 * Digest authentication (RFC 2617, RFC 7616 algorithms, RFC 8760 for SIP): credential
 * parsing, response computation, and stateless nonces.
 *
 * A nonce carries its own expiry and an HMAC over a server secret: any node that shares the
 * secret (it is kept in the store's kv table) accepts it, and a restart does not invalidate
 * the nonces it handed out. Replay protection (nonce-count) is an in-memory table per node.
 */
import { hash, randomBytes, timingSafeEqual } from 'node:crypto';

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';

export const ALGORITHMS: readonly DigestAlgorithm[] = [
  'MD5',
  'MD5-sess',
  'SHA-256',
  'SHA-256-sess',
];

export function normaliseAlgorithm(a: string | null | undefined): DigestAlgorithm | null {
  if (a === null || a === undefined || a === '') return 'MD5';
  const u = a.toUpperCase();
  return ALGORITHMS.find((x) => x.toUpperCase() === u) ?? null;
}

export function hashHex(alg: DigestAlgorithm, text: string): string {
  // One-shot hashing: a Hash object per digest costs twice as much on this path.
  return hash(alg.startsWith('SHA-256') ? 'sha256' : 'md5', Buffer.from(text, 'latin1'), 'hex');
}

const SHA256_BLOCK = 64;

/**
 * HMAC-SHA-256 (RFC 2104) from two one-shot hashes over pads derived once from the key:
 * `createHmac` imports the key again on every call, which showed in the REGISTER profile.
 */
class HmacSha256 {
  readonly #inner: Buffer;
  readonly #outer: Buffer;

  constructor(key: Buffer) {
    const k = key.length > SHA256_BLOCK ? hash('sha256', key, 'buffer') : key;
    this.#inner = Buffer.alloc(SHA256_BLOCK, 0x36);
    this.#outer = Buffer.alloc(SHA256_BLOCK, 0x5c);
    for (let i = 0; i < k.length; i++) {
      this.#inner[i] = this.#inner[i]! ^ k[i]!;
      this.#outer[i] = this.#outer[i]! ^ k[i]!;
    }
  }

  mac(data: Buffer): Buffer {
    const inner = hash('sha256', Buffer.concat([this.#inner, data]), 'buffer');
    return hash('sha256', Buffer.concat([this.#outer, inner]), 'buffer');
  }
}

// Nonce randomness comes from a pooled buffer: one randomBytes call per 256 nonces.
const RANDOM_POOL_BYTES = 12 * 256;
let randomPool = Buffer.alloc(0);
let randomPos = 0;
function copyRandom(target: Buffer, offset: number, length: number): void {
  if (randomPos + length > randomPool.length) {
    randomPool = randomBytes(RANDOM_POOL_BYTES);
    randomPos = 0;
  }
  randomPool.copy(target, offset, randomPos, randomPos + length);
  randomPos += length;
}

/** HA1 = H(username:realm:password) for the algorithm family. */
export function computeHa1(
  alg: DigestAlgorithm,
  user: string,
  realm: string,
  password: string,
): string {
  return hashHex(alg, `${user}:${realm}:${password}`);
}

export interface Credentials {
  readonly username: string;
  readonly realm: string;
  readonly nonce: string;
  readonly uri: string;
  readonly response: string;
  readonly algorithm: DigestAlgorithm;
  readonly cnonce: string | null;
  readonly qop: string | null;
  readonly nc: string | null;
  readonly opaque: string | null;
}

/** Parses a `Digest k=v, …` header value; null when it is not Digest or is malformed. */
export function parseDigest(value: string): Credentials | null {
  const m = /^\s*digest\s+/i.exec(value);
  if (!m) return null;
  const params = new Map<string, string>();
  let i = m[0].length;
  const s = value;
  while (i < s.length) {
    while (i < s.length && (s[i] === ' ' || s[i] === '\t' || s[i] === ',')) i++;
    if (i >= s.length) break;
    const eq = s.indexOf('=', i);
    if (eq < 0) return null;
    const key = s.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    while (s[i] === ' ' || s[i] === '\t') i++;
    let val = '';
    if (s[i] === '"') {
      i++;
      while (i < s.length && s[i] !== '"') {
        if (s[i] === '\\' && i + 1 < s.length) i++;
        val += s[i];
        i++;
      }
      if (s[i] !== '"') return null;
      i++;
    } else {
      const end = s.indexOf(',', i);
      val = (end < 0 ? s.slice(i) : s.slice(i, end)).trim();
      i = end < 0 ? s.length : end;
    }
    if (key === '' || params.has(key)) return null;
    params.set(key, val);
  }
  const alg = normaliseAlgorithm(params.get('algorithm'));
  const need = ['username', 'realm', 'nonce', 'uri', 'response'];
  if (alg === null || need.some((k) => !params.has(k))) return null;
  const qop = params.get('qop') ?? null;
  if (qop !== null && (!params.has('cnonce') || !params.has('nc'))) return null;
  return {
    username: params.get('username')!,
    realm: params.get('realm')!,
    nonce: params.get('nonce')!,
    uri: params.get('uri')!,
    response: params.get('response')!.toLowerCase(),
    algorithm: alg,
    cnonce: params.get('cnonce') ?? null,
    qop,
    nc: params.get('nc') ?? null,
    opaque: params.get('opaque') ?? null,
  };
}

/** The expected `response` for credentials given the HA1 of their algorithm family. */
export function expectedResponse(
  c: Credentials,
  ha1: string,
  method: string,
  body: Buffer,
): string {
  const alg = c.algorithm;
  let h1 = ha1.toLowerCase();
  if (alg.endsWith('-sess')) h1 = hashHex(alg, `${h1}:${c.nonce}:${c.cnonce ?? ''}`);
  const a2 =
    c.qop === 'auth-int'
      ? `${method}:${c.uri}:${hashHex(alg, body.toString('latin1'))}`
      : `${method}:${c.uri}`;
  const h2 = hashHex(alg, a2);
  return c.qop === 'auth' || c.qop === 'auth-int'
    ? hashHex(alg, `${h1}:${c.nonce}:${c.nc}:${c.cnonce}:${c.qop}:${h2}`)
    : hashHex(alg, `${h1}:${c.nonce}:${h2}`);
}

export function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase(), 'latin1');
  const y = Buffer.from(b.toLowerCase(), 'latin1');
  return x.length === y.length && timingSafeEqual(x, y);
}

export type NonceState = 'valid' | 'stale' | 'invalid';

/**
 * Nonces: base64url(expiry u32 | 12 random bytes | first 12 bytes of HMAC-SHA256 over both).
 */
export class NonceService {
  readonly #hmac: HmacSha256;
  readonly #opaque: string;
  readonly #lifetime: number;
  readonly #now: () => number;
  /** nonce → highest nc seen, with the nonce's own expiry to sweep by. */
  readonly #nc = new Map<string, { nc: number; expires: number }>();
  readonly #maxTracked: number;

  constructor(opts: {
    secret: string;
    lifetimeSec: number;
    now?: () => number;
    maxTracked?: number;
  }) {
    this.#hmac = new HmacSha256(Buffer.from(opts.secret, 'utf8'));
    this.#opaque = this.#hmac.mac(Buffer.from('opaque')).subarray(0, 12).toString('base64url');
    this.#lifetime = opts.lifetimeSec;
    this.#now = opts.now ?? (() => Math.floor(Date.now() / 1000));
    this.#maxTracked = opts.maxTracked ?? 1_000_000;
  }

  #mac(data: Buffer): Buffer {
    return this.#hmac.mac(data).subarray(0, 12);
  }

  issue(): string {
    const data = Buffer.alloc(16);
    data.writeUInt32BE((this.#now() + this.#lifetime) >>> 0, 0);
    copyRandom(data, 4, 12);
    return Buffer.concat([data, this.#mac(data)]).toString('base64url');
  }

  check(nonce: string): NonceState {
    const raw = Buffer.from(nonce, 'base64url');
    if (raw.length !== 28 || raw.toString('base64url') !== nonce) return 'invalid';
    const data = raw.subarray(0, 16);
    if (!timingSafeEqual(raw.subarray(16), this.#mac(data))) return 'invalid';
    return data.readUInt32BE(0) < this.#now() ? 'stale' : 'valid';
  }

  /** Records a nonce-count; false when it is not higher than one already seen (a replay). */
  acceptNc(nonce: string, ncHex: string): boolean {
    const nc = Number.parseInt(ncHex, 16);
    if (!Number.isFinite(nc) || nc <= 0) return false;
    const seen = this.#nc.get(nonce);
    if (seen && nc <= seen.nc) return false;
    if (!seen && this.#nc.size >= this.#maxTracked) {
      // Bounded memory under a flood of nonces: the oldest record goes (a replay of that
      // nonce would then pass once more, before its own expiry ends it).
      const first = this.#nc.keys().next().value;
      if (first !== undefined) this.#nc.delete(first);
    }
    const expires = Buffer.from(nonce, 'base64url').readUInt32BE(0);
    this.#nc.set(nonce, { nc, expires });
    return true;
  }

  /** Drops nc records of expired nonces. */
  sweep(): void {
    const now = this.#now();
    for (const [k, v] of this.#nc) if (v.expires < now) this.#nc.delete(k);
  }

  /** A constant opaque value (the same on every node sharing the secret). */
  opaque(): string {
    return this.#opaque;
  }
}
