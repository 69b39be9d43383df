/**
 * Stream framing (RFC 3261 §18.3): find where the first SIP message of a TCP/TLS byte
 * stream ends. Only the header section is looked at; the body is counted by Content-Length,
 * which is mandatory on a stream.
 *
 * Contract with the transports:
 * - `keepalive`: the buffer starts with CRLF bytes (RFC 5626 CRLF ping/pong, or the CRLFs
 *   RFC 3261 §7.5 says to ignore before a start-line). Drop `end` bytes and call again. A
 *   run of 4+ bytes is a ping (`\r\n\r\n`) that deserves a `\r\n` pong.
 * - `message`: bytes `[start, end)` are one complete message (`start` is 0, because leading
 *   CRLFs are always reported as `keepalive` first).
 * - `incomplete`: wait for more bytes.
 * - `error`: framing cannot be recovered (bad/missing/conflicting Content-Length, message
 *   larger than `maxSize`); answer 400 if possible and close the connection.
 */

export type FrameResult =
  | { kind: 'message'; start: number; end: number }
  | { kind: 'incomplete' }
  | { kind: 'keepalive'; end: number }
  | { kind: 'error'; reason: string };

const CR = 0x0d;
const LF = 0x0a;

/** Index of the first CRLFCRLF at or after `from`, or -1. */
export function findHeaderEnd(buf: Buffer, from = 0): number {
  return buf.indexOf('\r\n\r\n', from, 'latin1');
}

export function frameStream(buf: Buffer, maxSize: number): FrameResult {
  let skip = 0;
  while (skip < buf.length) {
    const c = buf[skip];
    if (c === LF) skip++;
    else if (c === CR && skip + 1 < buf.length && buf[skip + 1] === LF) skip += 2;
    else break;
  }
  if (skip > 0) return { kind: 'keepalive', end: skip };
  if (buf.length === 0 || (buf.length === 1 && buf[0] === CR)) return { kind: 'incomplete' };

  const headEnd = findHeaderEnd(buf);
  if (headEnd < 0) {
    return buf.length >= maxSize
      ? { kind: 'error', reason: 'Message too large' }
      : { kind: 'incomplete' };
  }
  const bodyStart = headEnd + 4;
  const cl = scanContentLength(buf, bodyStart - 2, maxSize);
  if (typeof cl === 'string') return { kind: 'error', reason: cl };
  const end = bodyStart + cl;
  if (end > maxSize) return { kind: 'error', reason: 'Message too large' };
  if (buf.length < end) return { kind: 'incomplete' };
  return { kind: 'message', start: 0, end };
}

/**
 * Content-Length of the header section `buf[0, headLen)` (which ends with one CRLF), or a
 * reason string. Values are bounded by `limit` so a huge number never becomes an index.
 */
function scanContentLength(buf: Buffer, headLen: number, limit: number): number | string {
  let found = -1;
  let pos = buf.indexOf(LF, 0) + 1; // skip the start-line
  if (pos <= 0) return 'Missing Content-Length';
  while (pos < headLen) {
    // One logical header field: physical lines joined while the next starts with SP/HT.
    let lineEnd = buf.indexOf(LF, pos);
    if (lineEnd < 0 || lineEnd > headLen) lineEnd = headLen;
    let fieldEnd = lineEnd;
    while (fieldEnd + 1 < headLen && (buf[fieldEnd + 1] === 0x20 || buf[fieldEnd + 1] === 0x09)) {
      const next = buf.indexOf(LF, fieldEnd + 1);
      fieldEnd = next < 0 || next > headLen ? headLen : next;
    }
    const v = contentLengthOf(buf, pos, fieldEnd, limit);
    if (v !== null) {
      if (typeof v === 'string') return v;
      if (found >= 0 && found !== v) return 'Conflicting Content-Length';
      found = v;
    }
    pos = fieldEnd + 1;
  }
  return found < 0 ? 'Missing Content-Length' : found;
}

function isWs(c: number | undefined): boolean {
  return c === 0x20 || c === 0x09 || c === CR || c === LF;
}

/** null when the field is not Content-Length; the value, or a reason when it is bad. */
function contentLengthOf(
  buf: Buffer,
  start: number,
  end: number,
  limit: number,
): number | string | null {
  let p = start;
  let nameEnd = start;
  while (nameEnd < end && buf[nameEnd] !== 0x3a && !isWs(buf[nameEnd])) nameEnd++;
  const len = nameEnd - start;
  if (len === 1) {
    if ((buf[start]! | 0x20) !== 0x6c) return null; // 'l'
  } else if (len === 14) {
    if (buf.toString('latin1', start, nameEnd).toLowerCase() !== 'content-length') return null;
  } else return null;
  p = nameEnd;
  while (p < end && isWs(buf[p])) p++;
  if (buf[p] !== 0x3a) return null;
  p++;
  while (p < end && isWs(buf[p])) p++;
  let n = 0;
  let digits = 0;
  while (p < end && buf[p]! >= 0x30 && buf[p]! <= 0x39) {
    n = n * 10 + (buf[p]! - 0x30);
    if (n > limit) return 'Message too large';
    digits++;
    p++;
  }
  while (p < end && isWs(buf[p])) p++;
  if (digits === 0 || p !== end) return 'Bad Content-Length';
  return n;
}
