/**
 * Header names: compact forms, canonical spelling, and which headers are comma lists.
 * Names are compared by `lname`: lower-case full name ('v' and 'VIA' → 'via').
 */

/** RFC 3261 §7.3.3 compact forms plus the registered extensions. */
export const COMPACT_FORMS: Readonly<Record<string, string>> = Object.freeze({
  a: 'accept-contact',
  b: 'referred-by',
  c: 'content-type',
  d: 'request-disposition',
  e: 'content-encoding',
  f: 'from',
  i: 'call-id',
  j: 'reject-contact',
  k: 'supported',
  l: 'content-length',
  m: 'contact',
  n: 'identity-info',
  o: 'event',
  r: 'refer-to',
  s: 'subject',
  t: 'to',
  u: 'allow-events',
  v: 'via',
  x: 'session-expires',
  y: 'identity',
});

/** lname → the compact letter, for the headers that have one. */
export const COMPACT_OF: Readonly<Record<string, string>> = Object.freeze(
  Object.fromEntries(Object.entries(COMPACT_FORMS).map(([k, v]) => [v, k])),
);

/** Spellings that title-casing gets wrong. */
const SPECIAL_CANONICAL: Readonly<Record<string, string>> = Object.freeze({
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'www-authenticate': 'WWW-Authenticate',
  'mime-version': 'MIME-Version',
  rack: 'RAck',
  rseq: 'RSeq',
  'sip-etag': 'SIP-ETag',
  'sip-if-match': 'SIP-If-Match',
  'p-asserted-identity': 'P-Asserted-Identity',
  'identity-info': 'Identity-Info',
});

/**
 * Headers whose values are comma-separated lists (RFC 3261 §7.3.1 `#` rules). Not listed on
 * purpose: the authentication headers, Date, Retry-After, Expires, and
 * every unknown header (its commas are opaque).
 */
const LIST_HEADERS = new Set([
  'via',
  'contact',
  'route',
  'record-route',
  'allow',
  'supported',
  'require',
  'proxy-require',
  'unsupported',
  'accept',
  'accept-encoding',
  'accept-language',
  'allow-events',
  'content-encoding',
  'content-language',
  'in-reply-to',
  'path',
  'service-route',
  'alert-info',
  'call-info',
  'error-info',
  'warning',
  'reply-to',
  'accept-contact',
  'reject-contact',
  'request-disposition',
  'security-client',
  'security-server',
  'security-verify',
  'p-associated-uri',
  'history-info',
  'privacy',
  'reason',
  'p-asserted-identity',
  'p-preferred-identity',
]);

export function isListHeader(lname: string): boolean {
  return LIST_HEADERS.has(lname);
}

const lnameCache = new Map<string, string>();
const LNAME_CACHE_MAX = 2048;

/** Canonical lower-case full name for a header name as written ('v' → 'via', 'Call-ID' → 'call-id'). */
export function lnameOf(name: string): string {
  let l = lnameCache.get(name);
  if (l !== undefined) return l;
  l = name.toLowerCase();
  if (l.length === 1) l = COMPACT_FORMS[l] ?? l;
  if (lnameCache.size < LNAME_CACHE_MAX) lnameCache.set(name, l);
  return l;
}

/** The conventional spelling of a header name ('call-id' → 'Call-ID', 'x-foo' → 'X-Foo'). */
export function canonicalName(name: string): string {
  const l = lnameOf(name);
  const special = SPECIAL_CANONICAL[l];
  if (special) return special;
  return l.replace(/(^|-)([a-z])/g, (_m, sep: string, ch: string) => sep + ch.toUpperCase());
}
