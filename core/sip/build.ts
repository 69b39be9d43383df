/**
 * Building responses (RFC 3261 §8.2.6): copy Via (every value, in order), From, To (plus a
 * tag), Call-ID and CSeq from the request. Also the 400-on-parse-error path, which only has
 * what the parser could read.
 */
import { randomBytes } from 'node:crypto';
import type { PartialMessage } from './errors.ts';
import { SipValueError } from './errors.ts';
import { parseMessage } from './parser.ts';
import type { SipMessage } from './types.ts';

// Random ids come from a pooled buffer: one randomBytes call per 256 ids, not one per id.
let pool = Buffer.alloc(0);
let poolPos = 0;
function randomHex(bytes: number): string {
  if (poolPos + bytes > pool.length) {
    pool = randomBytes(bytes * 256);
    poolPos = 0;
  }
  const s = pool.toString('hex', poolPos, poolPos + bytes);
  poolPos += bytes;
  return s;
}

/** A From/To tag: 64 random bits (RFC 3261 §19.3 asks for at least 32). */
export function generateTag(): string {
  return randomHex(8);
}

/** A Via branch: the RFC 3261 magic cookie plus 96 random bits. */
export function generateBranch(): string {
  return 'z9hG4bK' + randomHex(12);
}

export interface ResponseOptions {
  /** To tag to add when the request's To has none (default: a fresh `generateTag()`). */
  toTag?: string;
  /** Extra header fields, appended in order. */
  headers?: [string, string][];
  body?: Buffer | string;
  contentType?: string;
}

function checkReason(reason: string): void {
  if (/[\r\n]/.test(reason)) throw new SipValueError('reason phrase must not contain CR or LF');
}

function hasTag(toValue: string): boolean {
  return /;\s*tag\s*=/i.test(toValue.slice(toValue.lastIndexOf('>') + 1));
}

function assemble(first: string, lines: string[], body: Buffer): Buffer {
  const head =
    first +
    '\r\n' +
    lines.map((l) => l + '\r\n').join('') +
    `Content-Length: ${body.length}\r\n\r\n`;
  const out = Buffer.allocUnsafe(head.length + body.length);
  out.write(head, 0, 'latin1');
  body.copy(out, head.length);
  return out;
}

/** Builds a response to `req`. Throws SipValueError for a bad status or reason. */
export function buildResponse(
  req: SipMessage,
  status: number,
  reason: string,
  opts: ResponseOptions = {},
): SipMessage {
  if (!Number.isInteger(status) || status < 100 || status > 699)
    throw new SipValueError(`bad status ${status}`);
  checkReason(reason);
  const lines: string[] = [];
  for (const h of req.headerFields()) if (h.lname === 'via') lines.push(`Via: ${h.value}`);
  const from = req.header('from');
  if (from !== null) lines.push(`From: ${from}`);
  let to = req.header('to');
  if (to !== null) {
    if (status > 100 && req.toTag === null && !hasTag(to))
      to += `;tag=${opts.toTag ?? generateTag()}`;
    lines.push(`To: ${to}`);
  }
  if (req.callId !== null) lines.push(`Call-ID: ${req.callId}`);
  const cseq = req.header('cseq');
  if (cseq !== null) lines.push(`CSeq: ${cseq}`);
  for (const [n, v] of opts.headers ?? []) {
    if (/[\r\n]/.test(n + v)) throw new SipValueError('header must not contain CR or LF');
    lines.push(`${n}: ${v}`);
  }
  const body =
    opts.body === undefined
      ? Buffer.alloc(0)
      : typeof opts.body === 'string'
        ? Buffer.from(opts.body)
        : opts.body;
  if (opts.contentType) lines.push(`Content-Type: ${opts.contentType}`);
  return parseMessage(assemble(`SIP/2.0 ${status} ${reason}`, lines, body));
}

/**
 * Wire bytes of a response built from what a broken request still showed (see
 * SipParseError.partial). `warning` becomes `Warning: 399 polysip "<warning>"`. Returned as
 * bytes, not a message: the copied headers may be the very ones that failed to parse.
 */
export function buildResponseFromPartial(
  partial: PartialMessage,
  status: number,
  reason: string,
  warning?: string,
): Buffer {
  checkReason(reason);
  const lines: string[] = [];
  for (const v of partial.vias) lines.push(`Via: ${v}`);
  if (partial.from !== null) lines.push(`From: ${partial.from}`);
  if (partial.to !== null)
    lines.push(
      `To: ${partial.to}${status > 100 && !hasTag(partial.to) ? `;tag=${generateTag()}` : ''}`,
    );
  if (partial.callId !== null) lines.push(`Call-ID: ${partial.callId}`);
  if (partial.cseq !== null) lines.push(`CSeq: ${partial.cseq}`);
  if (warning)
    lines.push(
      `Warning: 399 polysip "${warning.replace(/[\r\n]/g, ' ').replace(/(["\\])/g, '\\$1')}"`,
    );
  return assemble(`SIP/2.0 ${status} ${reason}`, lines, Buffer.alloc(0));
}
