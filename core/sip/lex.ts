/**
 * Small scanning helpers shared by the header-value parsers. Inputs are latin1 strings whose
 * folding has already been collapsed to single spaces, so LWS here is just SP / HTAB.
 */
import type { NameValue } from './types.ts';

/** RFC 3261 `token` characters: alphanum and - . ! % * _ + ` ' ~ */
const TOKEN = new Uint8Array(256);
for (let c = 0x30; c <= 0x39; c++) TOKEN[c] = 1;
for (let c = 0x41; c <= 0x5a; c++) TOKEN[c] = 1;
for (let c = 0x61; c <= 0x7a; c++) TOKEN[c] = 1;
for (const ch of "-.!%*_+`'~") TOKEN[ch.charCodeAt(0)] = 1;

export function isTokenChar(c: number): boolean {
  return c < 256 && TOKEN[c] === 1;
}

export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTokenChar(s.charCodeAt(i))) return false;
  return true;
}

export function isWsp(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** Trims SP/HT/CR/LF only: String.prototype.trim would also eat 0xA0, a UTF-8 continuation byte. */
export function trimLws(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && isLwsChar(s.charCodeAt(a))) a++;
  while (b > a && isLwsChar(s.charCodeAt(b - 1))) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

function isLwsChar(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0d || c === 0x0a;
}

export function skipWsp(s: string, i: number): number {
  while (i < s.length && isWsp(s.charCodeAt(i))) i++;
  return i;
}

/** Collapses folding (`*WSP CRLF 1*WSP`) to one SP and trims. */
export function unfold(raw: string): string {
  if (raw.indexOf('\n') < 0) return trimLws(raw);
  return trimLws(raw.replace(/[ \t]*\r?\n[ \t]*/g, ' '));
}

/**
 * Reads a quoted-string starting at `s[i] === '"'`. Returns the content with quoted-pairs
 * resolved and the index after the closing quote, or null when the quote is unterminated.
 */
export function readQuoted(s: string, i: number): { text: string; end: number } | null {
  let out = '';
  let j = i + 1;
  let from = j;
  while (j < s.length) {
    const c = s.charCodeAt(j);
    if (c === 0x22) return { text: out + s.slice(from, j), end: j + 1 };
    if (c === 0x5c) {
      if (j + 1 >= s.length) return null;
      out += s.slice(from, j) + s[j + 1];
      j += 2;
      from = j;
      continue;
    }
    j++;
  }
  return null;
}

/** Index of the closing quote of the quoted-string opening at `i`, or -1. */
export function quotedEnd(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c === 0x5c) j++;
    else if (c === 0x22) return j;
  }
  return -1;
}

/**
 * Splits a comma-list header value on commas outside quoted strings and `<...>`.
 * Elements are LWS-trimmed; with `keepEmpty` empty elements are kept so that callers can
 * reject them (RFC 4475 badinv01). Returns null on an unterminated quote.
 */
export function splitList(value: string, keepEmpty = false): string[] | null {
  if (value.indexOf(',') < 0) {
    const t = trimLws(value);
    if (value.indexOf('"') >= 0 && !quotesBalanced(value)) return null;
    return t || keepEmpty ? [t] : [];
  }
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x22) {
      const e = quotedEnd(value, i);
      if (e < 0) return null;
      i = e;
    } else if (c === 0x3c) depth++;
    else if (c === 0x3e) {
      if (depth > 0) depth--;
    } else if (c === 0x2c && depth === 0) {
      const t = trimLws(value.slice(start, i));
      if (t || keepEmpty) out.push(t);
      start = i + 1;
    }
  }
  const t = trimLws(value.slice(start));
  if (t || keepEmpty) out.push(t);
  return out;
}

function quotesBalanced(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) === 0x22) {
      const e = quotedEnd(s, i);
      if (e < 0) return false;
      i = e;
    }
  }
  return true;
}

/**
 * Parses `*( SEMI name [ EQUAL value ] )` (generic header params) from `s[i..]`, LWS allowed
 * around `;` and `=`; values are token/host or quoted-string (kept as written, quotes
 * included). Returns null on an empty parameter, a bad name, or trailing garbage.
 */
export function parseGenericParams(s: string, i: number): NameValue[] | null {
  const out: NameValue[] = [];
  i = skipWsp(s, i);
  while (i < s.length) {
    if (s.charCodeAt(i) !== 0x3b) return null;
    i = skipWsp(s, i + 1);
    const ns = i;
    while (i < s.length && isTokenChar(s.charCodeAt(i))) i++;
    if (i === ns) return null;
    const name = s.slice(ns, i);
    i = skipWsp(s, i);
    let value: string | null = null;
    if (i < s.length && s.charCodeAt(i) === 0x3d) {
      i = skipWsp(s, i + 1);
      if (s.charCodeAt(i) === 0x22) {
        const e = quotedEnd(s, i);
        if (e < 0) return null;
        value = s.slice(i, e + 1);
        i = e + 1;
      } else {
        const vs = i;
        // token / host (IPv6 references with [] and ':' included)
        while (i < s.length) {
          const c = s.charCodeAt(i);
          if (isTokenChar(c) || c === 0x3a || c === 0x5b || c === 0x5d) i++;
          else break;
        }
        if (i === vs) return null;
        value = s.slice(vs, i);
      }
      i = skipWsp(s, i);
    }
    out.push({ name, value });
  }
  return out;
}

/** First parameter with that name (case-insensitive). `undefined` when absent. */
export function findParam(params: readonly NameValue[], lname: string): NameValue | undefined {
  for (const p of params)
    if (p.name.length === lname.length && p.name.toLowerCase() === lname) return p;
  return undefined;
}
