/**
 * Digest authentication (RFC 2617, RFC 7616 algorithms, RFC 8760 for SIP): credential
 * parsing, response computation, and stateless nonces.
 *
 * A nonce carries its own expiry and a MAC keyed by a server secret: any node that shares the
 * secret (it is kept in the store's kv table) accepts it, and a restart does not invalidate
 * the nonces it handed out. Replay protection (nonce-count) is an in-memory table per node.
 */
import { createHmac, hash, randomBytes } from 'node:crypto';
import { readQuoted } from '../../core/sip/lex.ts';

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';

export const ALGORITHMS: readonly DigestAlgorithm[] = [
  'MD5',
  'MD5-sess',
  'SHA-256',
  'SHA-256-sess',
];

export function normaliseAlgorithm(a: string | null | undefined): DigestAlgorithm | null {
  if (a === null || a === undefined || a === '' || a === 'MD5') return 'MD5';
  const u = a.toUpperCase();
  return ALGORITHMS.find((x) => x.toUpperCase() === u) ?? null;
}

/** Any character outside ASCII: its UTF-8 bytes would differ from its latin1 byte. */
const NON_ASCII = /[^\x00-\x7f]/;

export function hashHex(alg: DigestAlgorithm, text: string): string {
  // One-shot hashing: a Hash object per digest costs twice as much on this path. Message text
  // is latin1 (one char per wire byte); an ASCII string is hashed as is, which skips a Buffer.
  const a = alg.startsWith('SHA-256') ? 'sha256' : 'md5';
  return NON_ASCII.test(text) ? hash(a, Buffer.from(text, 'latin1'), 'hex') : hash(a, text, 'hex');
}

// Nonce randomness comes from a pooled random string: one randomBytes call per 256 nonces.
// 12 random bytes are exactly 16 base64url characters, so every slice is whole bytes.
const RANDOM_CHARS = 16;
const RANDOM_POOL_CHARS = RANDOM_CHARS * 256;
let randomPool = '';
let randomPos = RANDOM_POOL_CHARS;
function randomChars(): string {
  if (randomPos >= RANDOM_POOL_CHARS) {
    randomPool = randomBytes((RANDOM_POOL_CHARS / 4) * 3).toString('base64url');
    randomPos = 0;
  }
  const s = randomPool.slice(randomPos, randomPos + RANDOM_CHARS);
  randomPos += RANDOM_CHARS;
  return s;
}

/** Equality of two strings in time that depends on their length only. */
function sameString(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return d === 0;
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
const DIGEST_SCHEME = /^\s*digest\s+/i;

export function parseDigest(value: string): Credentials | null {
  const m = DIGEST_SCHEME.exec(value);
  if (!m) return null;
  // The parameters this module reads get their own slot; any other name is only kept to
  // refuse a repeated parameter, as for the known ones.
  let username: string | undefined;
  let realm: string | undefined;
  let nonce: string | undefined;
  let uri: string | undefined;
  let response: string | undefined;
  let algorithm: string | undefined;
  let cnonce: string | undefined;
  let qop: string | undefined;
  let nc: string | undefined;
  let opaque: string | undefined;
  let others: string[] | null = null;
  let i = m[0].length;
  const s = value;
  while (i < s.length) {
    let c = s.charCodeAt(i);
    while (c === 32 || c === 9 || c === 44) c = s.charCodeAt(++i);
    if (i >= s.length) break;
    const eq = s.indexOf('=', i);
    if (eq < 0) return null;
    const key = s.slice(i, eq).trim().toLowerCase();
    i = eq + 1;
    while (s[i] === ' ' || s[i] === '\t') i++;
    let val: string;
    if (s[i] === '"') {
      i++;
      const close = s.indexOf('"', i);
      const esc = s.indexOf('\\', i);
      if (close >= 0 && (esc < 0 || esc > close)) {
        val = s.slice(i, close);
        i = close + 1;
      } else {
        const q = readQuoted(s, i - 1);
        if (q === null) return null;
        val = q.text;
        i = q.end;
      }
    } else {
      const end = s.indexOf(',', i);
      val = (end < 0 ? s.slice(i) : s.slice(i, end)).trim();
      i = end < 0 ? s.length : end;
    }
    switch (key) {
      case 'username':
        if (username !== undefined) return null;
        username = val;
        break;
      case 'realm':
        if (realm !== undefined) return null;
        realm = val;
        break;
      case 'nonce':
        if (nonce !== undefined) return null;
        nonce = val;
        break;
      case 'uri':
        if (uri !== undefined) return null;
        uri = val;
        break;
      case 'response':
        if (response !== undefined) return null;
        response = val;
        break;
      case 'algorithm':
        if (algorithm !== undefined) return null;
        algorithm = val;
        break;
      case 'cnonce':
        if (cnonce !== undefined) return null;
        cnonce = val;
        break;
      case 'qop':
        if (qop !== undefined) return null;
        qop = val;
        break;
      case 'nc':
        if (nc !== undefined) return null;
        nc = val;
        break;
      case 'opaque':
        if (opaque !== undefined) return null;
        opaque = val;
        break;
      default:
        if (key === '') return null;
        if (others === null) others = [key];
        else if (others.includes(key)) return null;
        else others.push(key);
    }
  }
  const alg = normaliseAlgorithm(algorithm);
  if (
    alg === null ||
    username === undefined ||
    realm === undefined ||
    nonce === undefined ||
    uri === undefined ||
    response === undefined
  )
    return null;
  if (qop !== undefined && (cnonce === undefined || nc === undefined)) return null;
  return {
    username,
    realm,
    nonce,
    uri,
    response: response.toLowerCase(),
    algorithm: alg,
    cnonce: cnonce ?? null,
    qop: qop ?? null,
    nc: nc ?? null,
    opaque: opaque ?? null,
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
  return sameString(a.toLowerCase(), b.toLowerCase());
}

export type NonceState = 'valid' | 'stale' | 'invalid';

/** Expiry (8 hex digits) + random part (16 base64url characters): what the MAC covers. */
const NONCE_DATA_CHARS = 8 + RANDOM_CHARS;
/** MAC characters (base64url, 96 bits). */
const NONCE_MAC_CHARS = 16;
const NONCE_CHARS = NONCE_DATA_CHARS + NONCE_MAC_CHARS;

/**
 * Nonces: expiry as 8 hex digits, 16 random base64url characters (96 bits), then a MAC: the
 * first 16 base64url characters (96 bits) of SHA-256(K || data), K a 256-bit key derived from
 * the secret (HMAC-SHA-256 of the secret over a label), data the 24 characters before it.
 *
 * One keyed hash instead of HMAC's two is sound here because the input has one fixed length:
 * the length-extension weakness of a secret-prefix hash needs the tag of some K || M to yield
 * the tag of a longer K || M || pad || X, and check() accepts only nonces of exactly
 * NONCE_CHARS characters, whose MAC input is always exactly 24 characters; besides, only 96 of
 * the 256 output bits are revealed, so the hash state an extension would start from is never
 * known. For inputs of one fixed length, SHA-256 keyed by a secret prefix is a PRF under the
 * assumption HMAC's own proof rests on (the compression function keyed through its message
 * block is a PRF), so a forgery needs about 2^96 guesses, each answered over the network.
 */
export class NonceService {
  /** The derived key as text, prepended to the data of each MAC. */
  readonly #key: string;
  readonly #opaque: string;
  readonly #lifetime: number;
  readonly #now: () => number;
  /**
   * nonce → highest nc seen. A plain number per entry (the sweep reads the expiry from the
   * key): at a few thousand REGISTERs a second this map holds hundreds of thousands of them.
   */
  readonly #nc = new Map<string, number>();
  readonly #maxTracked: number;

  constructor(opts: {
    secret: string;
    lifetimeSec: number;
    now?: () => number;
    maxTracked?: number;
  }) {
    const secret = Buffer.from(opts.secret, 'utf8');
    this.#key = createHmac('sha256', secret).update('polysip nonce key').digest('base64url');
    this.#opaque = createHmac('sha256', secret)
      .update('opaque')
      .digest()
      .subarray(0, 12)
      .toString('base64url');
    this.#lifetime = opts.lifetimeSec;
    this.#now = opts.now ?? (() => Math.floor(Date.now() / 1000));
    this.#maxTracked = opts.maxTracked ?? 1_000_000;
  }

  /** The MAC of a nonce's data; the key and data are ASCII, so the hash sees their bytes. */
  #mac(data: string): string {
    return hash('sha256', this.#key + data, 'base64url').slice(0, NONCE_MAC_CHARS);
  }

  issue(): string {
    const expiry = ((this.#now() + this.#lifetime) >>> 0).toString(16).padStart(8, '0');
    const data = expiry + randomChars();
    return data + this.#mac(data);
  }

  check(nonce: string): NonceState {
    if (nonce.length !== NONCE_CHARS) return 'invalid';
    const data = nonce.slice(0, NONCE_DATA_CHARS);
    if (!sameString(nonce.slice(NONCE_DATA_CHARS), this.#mac(data))) return 'invalid';
    return nonceExpiry(nonce) < this.#now() ? 'stale' : 'valid';
  }

  /** Records a nonce-count; false when it is not higher than one already seen (a replay). */
  acceptNc(nonce: string, ncHex: string): boolean {
    const nc = Number.parseInt(ncHex, 16);
    if (!Number.isFinite(nc) || nc <= 0) return false;
    const seen = this.#nc.get(nonce);
    if (seen !== undefined && nc <= seen) return false;
    if (seen === undefined && this.#nc.size >= this.#maxTracked) {
      // Bounded memory under a flood of nonces: the oldest record goes (a replay of that
      // nonce would then pass once more, before its own expiry ends it).
      const first = this.#nc.keys().next().value;
      if (first !== undefined) this.#nc.delete(first);
    }
    this.#nc.set(nonce, nc);
    return true;
  }

  /** Drops nc records of expired nonces. */
  sweep(): void {
    const now = this.#now();
    for (const k of this.#nc.keys()) if (nonceExpiry(k) < now) this.#nc.delete(k);
  }

  /** A constant opaque value (the same on every node sharing the secret). */
  opaque(): string {
    return this.#opaque;
  }
}

/** Expiry (seconds) written in a nonce; 0 (long expired) when it is not one of ours. */
function nonceExpiry(nonce: string): number {
  const v = Number.parseInt(nonce.slice(0, 8), 16);
  return Number.isFinite(v) ? v : 0;
}
