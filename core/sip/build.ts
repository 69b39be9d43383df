/**
 * Building responses (RFC 3261 §8.2.6): copy Via (every value, in order), From, To (plus a
 * tag), Call-ID and CSeq from the request. Also the 400-on-parse-error path, which only has
 * what the parser could read.
 */
import { randomBytes } from 'node:crypto';
import type { PartialMessage } from './errors.ts';
import { SipValueError } from './errors.ts';
import { lnameOf } from './headers.ts';
import { isToken } from './lex.ts';
import { HeaderLine, Message } from './message.ts';
import { parseMessage } from './parser.ts';
import type { NameAddr, SipMessage, Via } from './types.ts';

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

/** Headers the parser reads eagerly: one given in `opts.headers` sends the response through it. */
const EAGER: ReadonlySet<string> = new Set([
  'via',
  'from',
  'to',
  'call-id',
  'cseq',
  'max-forwards',
  'content-length',
]);

function checkReason(reason: string): void {
  if (/[\r\n]/.test(reason)) throw new SipValueError('reason phrase must not contain CR or LF');
}

function hasTag(toValue: string): boolean {
  return /;\s*tag\s*=/i.test(toValue.slice(toValue.lastIndexOf('>') + 1));
}

function assemble(first: string, lines: string[], body: Buffer): Buffer {
  let head = first + '\r\n';
  for (const l of lines) head += l + '\r\n';
  head += `Content-Length: ${body.length}\r\n\r\n`;
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
  // Header lines as [name, value]; the message is made from them directly (no re-parse).
  const names: string[] = [];
  const values: string[] = [];
  for (const h of req.headerFields()) {
    if (h.lname === 'via') {
      names.push('Via');
      values.push(h.value);
    }
  }
  const from = req.header('from');
  if (from !== null) {
    names.push('From');
    values.push(from);
  }
  let to = req.header('to');
  let toTagged = false;
  if (to !== null) {
    if (status > 100 && req.toTag === null && !hasTag(to)) {
      to += `;tag=${opts.toTag ?? generateTag()}`;
      toTagged = true;
    }
    names.push('To');
    values.push(to);
  }
  if (req.callId !== null) {
    names.push('Call-ID');
    values.push(req.callId);
  }
  const cseq = req.header('cseq');
  if (cseq !== null) {
    names.push('CSeq');
    values.push(cseq);
  }
  let extraOk = true;
  for (const [n, v] of opts.headers ?? []) {
    if (/[\r\n]/.test(n + v)) throw new SipValueError('header must not contain CR or LF');
    if (!isToken(n) || EAGER.has(lnameOf(n))) extraOk = false;
    names.push(n);
    values.push(v);
  }
  const body =
    opts.body === undefined
      ? Buffer.alloc(0)
      : typeof opts.body === 'string'
        ? Buffer.from(opts.body)
        : opts.body;
  if (opts.contentType) {
    names.push('Content-Type');
    values.push(opts.contentType);
  }
  const lines: string[] = new Array(names.length);
  for (let i = 0; i < names.length; i++) lines[i] = `${names[i]}: ${values[i]}`;
  const firstLine = `SIP/2.0 ${status} ${reason}`;
  const data = assemble(firstLine, lines, body);
  // The request's parsed Via/From/CSeq are immutable and describe the same text, so the
  // response reuses them. Anything the request itself could not parse (a header an earlier
  // route set to garbage) takes the old path, so errors stay what the parser reports.
  let vias: Via[] | undefined;
  let fromAddr: NameAddr | null | undefined;
  try {
    vias = req.vias();
    fromAddr = req.from();
  } catch {
    extraOk = false;
  }
  const toAddr = toTagged ? undefined : req.to();
  if (
    !extraOk ||
    vias!.length === 0 ||
    fromAddr === null ||
    toAddr === null ||
    to === null ||
    req.callId === null ||
    req.cseq === null
  )
    return parseMessage(data);
  const hdrs: HeaderLine[] = new Array(lines.length + 1);
  for (let i = 0; i < lines.length; i++) {
    const n = names[i]!;
    hdrs[i] = new HeaderLine(n, lnameOf(n), lines[i]!, n.length + 1);
  }
  hdrs[lines.length] = new HeaderLine(
    'Content-Length',
    'content-length',
    `Content-Length: ${body.length}`,
    15,
  );
  return new Message({
    data,
    start: 0,
    end: data.length,
    wireClean: true,
    firstLine,
    isRequest: false,
    method: '',
    ruri: '',
    status,
    reason,
    version: 'SIP/2.0',
    headers: hdrs,
    body: data.subarray(data.length - body.length),
    callId: req.callId,
    cseq: req.cseq,
    from: fromAddr,
    // A tag added here changes the To: parsed again when first asked for.
    to: toAddr,
    maxForwards: null,
    vias,
    ruriParsed: null,
  });
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
