/**
 * name-addr / addr-spec with header parameters (From, To, Contact, Route, Record-Route…).
 * In addr-spec form every `;param` is a header parameter (RFC 3261 §20.10; RFC 4475
 * cparam01), inside `<>` it belongs to the URI (cparam02).
 */
import { SipParseError } from './errors.ts';
import {
  isTokenChar,
  isWsp,
  parseGenericParams,
  readQuoted,
  skipWsp,
  splitList,
  trimLws,
} from './lex.ts';
import type { NameAddr, SipUri } from './types.ts';
import { escape, parseUri, USER_SAFE } from './uri.ts';

function fail(reason: string): never {
  throw new SipParseError(400, reason);
}

/** Parses one name-addr or addr-spec element (already split out of a comma list). */
export function parseNameAddr(text: string): NameAddr {
  const s = trimLws(text);
  if (s === '') fail('Empty address');
  let i = 0;
  let displayName: string | null = null;
  let bracketed = false;
  if (s.charCodeAt(0) === 0x22) {
    const q = readQuoted(s, 0);
    if (!q) fail('Unterminated quoted string');
    displayName = q.text;
    i = skipWsp(s, q.end);
    if (s.charCodeAt(i) !== 0x3c) fail('Quoted display name without <URI>');
    bracketed = true;
  } else {
    // A token display name (LWS allowed between words, RFC 4475 lwsdisp: none before '<').
    let j = 0;
    while (j < s.length) {
      const c = s.charCodeAt(j);
      if (isTokenChar(c) || isWsp(c)) j++;
      else break;
    }
    if (s.charCodeAt(j) === 0x3c) {
      const dn = trimLws(s.slice(0, j));
      displayName = dn === '' ? null : dn;
      i = j;
      bracketed = true;
    }
  }
  let uri: SipUri;
  let rest: number;
  if (bracketed) {
    const close = s.indexOf('>', i);
    if (close < 0) fail('Unterminated <URI>');
    // LWS just inside the brackets is tolerated (RFC 4475 badaspec, liberal reading).
    uri = parseUri(trimLws(s.slice(i + 1, close)));
    rest = close + 1;
  } else {
    let j = 0;
    while (j < s.length) {
      const c = s.charCodeAt(j);
      if (c === 0x3b || isWsp(c)) break;
      j++;
    }
    uri = parseUri(s.slice(0, j));
    rest = j;
  }
  const params = parseGenericParams(s, rest);
  if (!params) fail('Bad header parameters');
  return { displayName, uri, params, bracketed, raw: s };
}

/** Splits a list header value (Contact, Route…) and parses each element. */
export function parseNameAddrList(value: string): NameAddr[] {
  const parts = splitList(value, true);
  if (!parts) fail('Unterminated quoted string');
  return parts.map((p) => {
    if (p === '') fail('Empty list element');
    return parseNameAddr(p);
  });
}

/** Quotes a display name when it is not a plain run of tokens. */
export function quoteDisplayName(name: string): string {
  let plain = name.length > 0;
  for (let i = 0; i < name.length && plain; i++) {
    const c = name.charCodeAt(i);
    if (!isTokenChar(c) && c !== 0x20) plain = false;
  }
  return plain ? name : '"' + name.replace(/(["\\])/g, '\\$1') + '"';
}

/** Builds `"Display" <uri>;p=v` text. Always uses the bracketed form (safe for any URI). */
export function formatNameAddr(a: {
  displayName?: string | null;
  uri: string;
  params?: readonly { name: string; value: string | null }[];
}): string {
  let s = a.displayName ? quoteDisplayName(a.displayName) + ' ' : '';
  s += '<' + a.uri + '>';
  for (const p of a.params ?? []) s += ';' + p.name + (p.value === null ? '' : '=' + p.value);
  return s;
}

/** Convenience for a user part typed by a script ("alice smith" → "alice%20smith"). */
export function escapeUser(user: string): string {
  return escape(user, USER_SAFE);
}
