/**
 * URIs (RFC 3261 §19.1, §25.1; RFC 3966 tel; anything else kept opaque). Components are
 * unescaped exactly once: '%2541' becomes '%41', and '%00' becomes a NUL char that is kept.
 */
import { SipParseError } from './errors.ts';
import type { NameValue, SipUri } from './types.ts';

const HEX = '0123456789ABCDEF';

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  c |= 0x20;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

/** Decodes each `%HH` once; a `%` not followed by two hex digits stays literal. */
export function unescape(s: string): string {
  let i = s.indexOf('%');
  if (i < 0) return s;
  let out = '';
  let from = 0;
  for (; i >= 0; i = s.indexOf('%', i)) {
    const h = hexVal(s.charCodeAt(i + 1));
    const l = h < 0 ? -1 : hexVal(s.charCodeAt(i + 2));
    if (l < 0) {
      i++;
      continue;
    }
    out += s.slice(from, i) + String.fromCharCode(h * 16 + l);
    i += 3;
    from = i;
  }
  return out + s.slice(from);
}

const UNRESERVED = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) UNRESERVED[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) UNRESERVED[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) UNRESERVED[c] = 1;
for (const ch of "-_.!~*'()") UNRESERVED[ch.charCodeAt(0)] = 1;

/** Extra characters allowed unescaped, by URI component (RFC 3261 §25.1). */
export const USER_SAFE = '&=+$,;?/';
export const PASSWORD_SAFE = '&=+$,';
export const PARAM_SAFE = '[]/:&+$';
export const HEADER_SAFE = '[]/?:+$';

/**
 * %-escapes every char that is neither unreserved nor in `safe`. Input is a latin1 string of
 * octets; a char above 0xFF (script text that was not converted) is escaped as its UTF-8 octets.
 */
export function escape(s: string, safe = ''): string {
  let out = '';
  let from = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 256 && (UNRESERVED[c] === 1 || (safe.length > 0 && safe.indexOf(s[i]!) >= 0))) continue;
    out += s.slice(from, i);
    if (c < 256) out += '%' + HEX[c >> 4] + HEX[c & 15];
    else {
      const cp = s.codePointAt(i)!;
      for (const b of Buffer.from(String.fromCodePoint(cp), 'utf8'))
        out += '%' + HEX[b >> 4] + HEX[b & 15];
      if (cp > 0xffff) i++;
    }
    from = i + 1;
  }
  return from === 0 ? s : out + s.slice(from);
}

function fail(reason: string): never {
  throw new SipParseError(400, reason);
}

function isSchemeChar(c: number, first: boolean): boolean {
  const alpha = (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
  if (first) return alpha;
  return alpha || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2d || c === 0x2e;
}

/** Characters that never appear unescaped in any URI we accept: CTLs, SP, `"`, `<`, `>`, DEL. */
function hasForbiddenChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c <= 0x20 || c === 0x22 || c === 0x3c || c === 0x3e || c === 0x7f) return true;
  }
  return false;
}

function isHostChar(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x61 && c <= 0x7a) ||
    c === 0x2d ||
    c === 0x2e ||
    c === 0x5f // '_' is not in the grammar but common in the wild
  );
}

function isIpv6Char(c: number): boolean {
  return (
    (c >= 0x30 && c <= 0x39) ||
    ((c | 0x20) >= 0x61 && (c | 0x20) <= 0x66) ||
    c === 0x3a ||
    c === 0x2e
  );
}

/** `;name[=value]` list, unescaped; `s` starts just after the first ';' (or is ''). */
function parseUriParams(s: string): NameValue[] {
  const out: NameValue[] = [];
  if (s === '') return out;
  for (const part of s.split(';')) {
    if (part === '') fail('Empty URI parameter');
    const eq = part.indexOf('=');
    if (eq === 0) fail('Empty URI parameter name');
    out.push(
      eq < 0
        ? { name: unescape(part), value: null }
        : { name: unescape(part.slice(0, eq)), value: unescape(part.slice(eq + 1)) },
    );
  }
  return out;
}

function parseUriHeaders(s: string): NameValue[] {
  const out: NameValue[] = [];
  for (const part of s.split('&')) {
    if (part === '') fail('Empty URI header');
    const eq = part.indexOf('=');
    if (eq <= 0) fail('Bad URI header');
    out.push({ name: unescape(part.slice(0, eq)), value: unescape(part.slice(eq + 1)) });
  }
  return out;
}

/** Parses `host[:port]` of a SIP URI or a Via sent-by. Returns null when malformed. */
export function parseHostPort(s: string): { host: string; port: number | null } | null {
  let hostEnd: number;
  if (s.charCodeAt(0) === 0x5b) {
    hostEnd = s.indexOf(']') + 1;
    if (hostEnd <= 2) return null;
    for (let i = 1; i < hostEnd - 1; i++) if (!isIpv6Char(s.charCodeAt(i))) return null;
  } else {
    hostEnd = 0;
    while (hostEnd < s.length && isHostChar(s.charCodeAt(hostEnd))) hostEnd++;
    if (hostEnd === 0) return null;
  }
  const host = s.slice(0, hostEnd);
  if (hostEnd === s.length) return { host, port: null };
  if (s.charCodeAt(hostEnd) !== 0x3a) return null;
  const ps = s.slice(hostEnd + 1);
  if (ps.length === 0 || ps.length > 5) return null;
  let port = 0;
  for (let i = 0; i < ps.length; i++) {
    const d = ps.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return null;
    port = port * 10 + d;
  }
  if (port > 65535) return null;
  return { host, port };
}

/** Parses a URI. Throws SipParseError (status 400) naming the fault. */
export function parseUri(text: string): SipUri {
  const colon = text.indexOf(':');
  if (colon <= 0) fail('Bad URI scheme');
  for (let i = 0; i < colon; i++)
    if (!isSchemeChar(text.charCodeAt(i), i === 0)) fail('Bad URI scheme');
  if (hasForbiddenChar(text)) fail('Bad character in URI');
  const scheme = text.slice(0, colon).toLowerCase();
  const rest = text.slice(colon + 1);
  if (rest === '') fail('Empty URI');

  if (scheme === 'sip' || scheme === 'sips') return parseSipUri(text, scheme, rest);
  if (scheme === 'tel') {
    const semi = rest.indexOf(';');
    const num = semi < 0 ? rest : rest.slice(0, semi);
    if (num === '') fail('Empty telephone number');
    return {
      scheme,
      user: unescape(num),
      password: null,
      host: '',
      port: null,
      params: parseUriParams(semi < 0 ? '' : rest.slice(semi + 1)),
      headers: [],
      opaque: rest,
      raw: text,
    };
  }
  return {
    scheme,
    user: null,
    password: null,
    host: '',
    port: null,
    params: [],
    headers: [],
    opaque: rest,
    raw: text,
  };
}

function parseSipUri(text: string, scheme: string, rest: string): SipUri {
  // The user part may hold ';' and '?' (user-unreserved) but never an unescaped '@'.
  const at = rest.indexOf('@');
  let user: string | null = null;
  let password: string | null = null;
  let hp = rest;
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    const pc = userinfo.indexOf(':');
    const u = pc < 0 ? userinfo : userinfo.slice(0, pc);
    if (u === '') fail('Empty URI user');
    user = unescape(u);
    if (pc >= 0) password = unescape(userinfo.slice(pc + 1));
    hp = rest.slice(at + 1);
  }
  let q = hp.indexOf('?');
  const headersText = q < 0 ? '' : hp.slice(q + 1);
  if (q < 0) q = hp.length;
  // An IPv6 reference may hold no ';', so the first ';' after ']' starts the params.
  const semi = hp.indexOf(';', hp.charCodeAt(0) === 0x5b ? Math.max(0, hp.indexOf(']')) : 0);
  const hpEnd = semi >= 0 && semi < q ? semi : q;
  const hostport = parseHostPort(hp.slice(0, hpEnd));
  if (!hostport)
    fail(
      hp.indexOf(':') !== hp.lastIndexOf(':') && hp.charCodeAt(0) !== 0x5b
        ? 'IPv6 host without brackets'
        : 'Bad URI host or port',
    );
  return {
    scheme,
    user,
    password,
    host: hostport.host,
    port: hostport.port,
    params: hpEnd < q ? parseUriParams(hp.slice(hpEnd + 1, q)) : [],
    headers: q < hp.length ? parseUriHeaders(headersText) : [],
    opaque: rest,
    raw: text,
  };
}

export interface UriParts {
  scheme: string;
  user?: string | null;
  password?: string | null;
  host?: string;
  port?: number | null;
  params?: readonly NameValue[];
  headers?: readonly NameValue[];
  /** For schemes other than sip/sips/tel: the text after `scheme:` (used as is). */
  opaque?: string;
}

/** Builds URI text from unescaped parts, escaping each component as its grammar requires. */
export function formatUri(u: UriParts): string {
  const scheme = u.scheme.toLowerCase();
  if (scheme !== 'sip' && scheme !== 'sips' && scheme !== 'tel')
    return `${scheme}:${u.opaque ?? ''}`;
  let s = scheme + ':';
  if (scheme === 'tel') s += escape(u.user ?? '', USER_SAFE.replace(';', '').replace('?', ''));
  else {
    if (u.user != null && u.user !== '') {
      s += escape(u.user, USER_SAFE);
      if (u.password != null) s += ':' + escape(u.password, PASSWORD_SAFE);
      s += '@';
    }
    s += u.host ?? '';
    if (u.port != null) s += ':' + u.port;
  }
  for (const p of u.params ?? []) {
    s += ';' + escape(p.name, PARAM_SAFE);
    if (p.value !== null) s += '=' + escape(p.value, PARAM_SAFE);
  }
  if (scheme !== 'tel' && u.headers && u.headers.length > 0) {
    s +=
      '?' +
      u.headers
        .map((h) => escape(h.name, HEADER_SAFE) + '=' + escape(h.value ?? '', HEADER_SAFE))
        .join('&');
  }
  return s;
}

/** A copy of `uri` text with one URI parameter set (value null = flag) or removed (`undefined`). */
export function withUriParam(uri: SipUri, name: string, value: string | null | undefined): string {
  const lname = name.toLowerCase();
  const params = uri.params.filter((p) => p.name.toLowerCase() !== lname);
  if (value !== undefined) params.push({ name, value });
  return formatUri({ ...uri, params });
}

/** RFC 3261 §19.1.4 comparison is elaborate; this is the common subset: scheme, user, host, port. */
export function sameAddress(a: SipUri, b: SipUri): boolean {
  return (
    a.scheme === b.scheme &&
    a.user === b.user &&
    a.host.toLowerCase() === b.host.toLowerCase() &&
    (a.port ?? defaultPort(a.scheme)) === (b.port ?? defaultPort(b.scheme))
  );
}

function defaultPort(scheme: string): number | null {
  return scheme === 'sip' ? 5060 : scheme === 'sips' ? 5061 : null;
}
