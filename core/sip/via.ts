/**
 * Via (RFC 3261 §20.42, RFC 5118 §4.5). LWS is allowed around '/', ';' and '='; `received`
 * may hold an IPv6 address with or without brackets and is reported without them.
 */
import { SipParseError } from './errors.ts';
import { findParam, isTokenChar, parseGenericParams, skipWsp, splitList } from './lex.ts';
import type { Via } from './types.ts';
import { parseHostPort } from './uri.ts';

function fail(reason: string): never {
  throw new SipParseError(400, reason);
}

function readToken(s: string, i: number): number {
  while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
  return i;
}

/** Parses one via-parm (a single element of a Via list). */
export function parseVia(text: string): Via {
  const s = text;
  let i = skipWsp(s, 0);
  const parts: string[] = [];
  for (let k = 0; k < 3; k++) {
    if (k > 0) {
      if (s.charCodeAt(i) !== 0x2f) fail('Bad Via protocol');
      i = skipWsp(s, i + 1);
    }
    const e = readToken(s, i);
    if (e === i) fail('Bad Via protocol');
    parts.push(s.slice(i, e));
    i = skipWsp(s, e);
  }
  // sent-by: host (IPv6 reference with brackets) and optional port, LWS allowed around ':'.
  let hs = i;
  let he = i;
  if (s.charCodeAt(i) === 0x5b) {
    he = s.indexOf(']', i) + 1;
    if (he <= 0) fail('Bad Via sent-by');
  } else {
    while (he < s.length) {
      const c = s.charCodeAt(he);
      if (c === 0x3b || c === 0x3a || c === 0x20 || c === 0x09 || c === 0x28) break;
      he++;
    }
  }
  let hp = s.slice(hs, he);
  i = skipWsp(s, he);
  if (s.charCodeAt(i) === 0x3a) {
    i = skipWsp(s, i + 1);
    const ps = i;
    while (i < s.length && s.charCodeAt(i) >= 0x30 && s.charCodeAt(i) <= 0x39) i++;
    hp += ':' + s.slice(ps, i);
    i = skipWsp(s, i);
  }
  const sentBy = parseHostPort(hp);
  if (!sentBy) fail('Bad Via sent-by');
  // RFC 2543 allowed a trailing comment; skip it rather than refuse an old peer.
  if (s.charCodeAt(i) === 0x28) {
    const close = s.indexOf(')', i);
    if (close < 0) fail('Bad Via comment');
    i = skipWsp(s, close + 1);
  }
  const params = parseGenericParams(s, i);
  if (!params) fail('Bad Via parameters');
  const branch = findParam(params, 'branch');
  const received = findParam(params, 'received');
  const rport = findParam(params, 'rport');
  let recv = received ? received.value : null;
  if (recv && recv.charCodeAt(0) === 0x5b && recv.charCodeAt(recv.length - 1) === 0x5d)
    recv = recv.slice(1, -1);
  return {
    protocol: `${parts[0]}/${parts[1]}`,
    transport: parts[2]!.toUpperCase(),
    host: sentBy.host,
    port: sentBy.port,
    params,
    branch: branch ? (branch.value ?? '') : null,
    received: received ? (recv ?? '') : null,
    rport: rport ? (rport.value ?? '') : null,
    raw: s,
  };
}

/** Splits one Via header value into its elements and parses each; empty elements are errors. */
export function parseViaList(value: string): Via[] {
  const parts = splitList(value, true);
  if (!parts) fail('Unterminated quoted string in Via');
  const out: Via[] = [];
  for (const p of parts) {
    if (p === '') fail('Empty Via element');
    out.push(parseVia(p));
  }
  return out;
}

/** Builds a Via value: `SIP/2.0/UDP host:port;branch=…;rport`. */
export function formatVia(v: {
  transport: string;
  host: string;
  port?: number | null;
  params?: readonly { name: string; value: string | null }[];
}): string {
  let s = `SIP/2.0/${v.transport.toUpperCase()} ${v.host}`;
  if (v.port != null) s += ':' + v.port;
  for (const p of v.params ?? []) s += ';' + p.name + (p.value === null ? '' : '=' + p.value);
  return s;
}
