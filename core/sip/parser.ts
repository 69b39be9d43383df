/**
 * SIP message parser (RFC 3261 §7, §25). One pass over the header section finds the line
 * boundaries; only the fields the transaction layer needs (and the ones whose breakage must
 * be answered with 400) are parsed here, everything else on demand (see message.ts).
 *
 * Decisions (see also test/conformance-parse.test.ts):
 * - Line ends are CRLF only. A bare CR or LF in the header section is a 400: RFC 3261 allows
 *   nothing else, and a lenient reading is how request smuggling between parsers starts.
 * - The Request-Line is strict: single SP separators, no trailing SP, no `<uri>` (RFC 4475
 *   lwsstart, trws, ltgtruri → 400). Headers in a SIP Request-URI are refused (escruri).
 * - CSeq method ≠ request method is 400, except for a method we do not know, which is 501
 *   (RFC 4475 mismatch02 prefers it: the unknown method is the real fault).
 * - Broken responses are never answered: their SipParseError has status 0 ("drop").
 */
import { SipParseError, type PartialMessage } from './errors.ts';
import { lnameOf } from './headers.ts';
import { isToken, isTokenChar } from './lex.ts';
import { HeaderLine, Message, parseBoundedInt, parseCSeq } from './message.ts';
import { parseNameAddr } from './nameaddr.ts';
import type { CSeq, NameAddr, SipMessage, SipUri, Via } from './types.ts';
import { parseUri } from './uri.ts';
import { parseViaList } from './via.ts';

export interface ParseOptions {
  /** The bytes came framed from a stream: Content-Length is mandatory. */
  stream?: boolean;
}

/** Methods this server knows; a CSeq mismatch with any other method is answered 501. */
export const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'OPTIONS',
  'REGISTER',
  'PRACK',
  'SUBSCRIBE',
  'NOTIFY',
  'PUBLISH',
  'INFO',
  'REFER',
  'MESSAGE',
  'UPDATE',
]);

const MAX_CONTENT_LENGTH = 2 ** 31 - 1;
/** A Buffer needle: a string one is encoded again on every indexOf. */
const END_OF_HEADERS = Buffer.from('\r\n\r\n', 'latin1');
const CR = 0x0d;
const LF = 0x0a;

/** Eager single-value headers, by lname, and how they are spelled in error reasons. */
const SINGLE: Readonly<Record<string, string>> = {
  'call-id': 'Call-ID',
  from: 'From',
  to: 'To',
  cseq: 'CSeq',
  'max-forwards': 'Max-Forwards',
  'content-length': 'Content-Length',
};

interface StartLine {
  isRequest: boolean | null;
  method: string;
  ruri: string;
  status: number;
  reason: string;
  version: string;
  /** [status, reason] when malformed. */
  error: [number, string] | null;
}

function isSipVersion(v: string): boolean {
  return v.length === 7 && v.toUpperCase() === 'SIP/2.0';
}

/** `SIP/<digits>.<digits>` in any case. */
function looksLikeVersion(v: string): boolean {
  return /^SIP\/\d+\.\d+$/i.test(v);
}

function parseStartLine(line: string): StartLine {
  const r: StartLine = {
    isRequest: null,
    method: '',
    ruri: '',
    status: 0,
    reason: '',
    version: '',
    error: null,
  };
  if (line.length >= 4 && line.slice(0, 4).toUpperCase() === 'SIP/') {
    r.isRequest = false;
    const sp = line.indexOf(' ');
    r.version = sp < 0 ? line : line.slice(0, sp);
    if (!looksLikeVersion(r.version)) r.error = [0, 'Bad Status-Line'];
    else if (!isSipVersion(r.version)) r.error = [0, 'Unsupported SIP version'];
    if (r.error) return r;
    const code = sp < 0 ? '' : line.slice(sp + 1, sp + 4);
    const n = code.length === 3 ? parseBoundedInt(code, 999) : -1;
    // RFC 4475 noreason: the SP after the code is required, but "SIP/2.0 100" without it is harmless.
    if (n < 100 || n > 699 || (sp + 4 < line.length && line.charCodeAt(sp + 4) !== 0x20)) {
      r.error = [0, 'Bad status code'];
      return r;
    }
    r.status = n;
    r.reason = sp + 5 <= line.length ? line.slice(sp + 5) : '';
    return r;
  }
  const sp1 = line.indexOf(' ');
  const method = sp1 < 0 ? line : line.slice(0, sp1);
  if (!isToken(method)) {
    r.error = [400, 'Bad Request-Line'];
    return r;
  }
  r.isRequest = true;
  r.method = method;
  if (sp1 < 0) {
    r.error = [400, 'Bad Request-Line'];
    return r;
  }
  const sp2 = line.indexOf(' ', sp1 + 1);
  if (sp2 < 0) {
    r.error = [400, 'Missing SIP version in Request-Line'];
    return r;
  }
  r.ruri = line.slice(sp1 + 1, sp2);
  r.version = line.slice(sp2 + 1);
  if (looksLikeVersion(r.version) && !isSipVersion(r.version)) {
    r.error = [505, 'Unsupported SIP version'];
  } else if (r.ruri === '' || !looksLikeVersion(r.version)) {
    r.error = [400, 'Bad Request-Line'];
  } else if (r.ruri.charCodeAt(0) === 0x3c) {
    r.error = [400, 'Request-URI in angle brackets'];
  } else if (r.ruri.indexOf('\t') >= 0) {
    r.error = [400, 'Bad Request-Line'];
  }
  return r;
}

/**
 * Parses one message. Over UDP (default) octets after the Content-Length body are ignored
 * and a message without Content-Length takes the rest of the datagram; with `stream` the
 * bytes are one framed message and Content-Length is mandatory.
 *
 * @throws SipParseError with status 400/501/505 for requests, 0 (drop) for responses.
 */
export function parseMessage(data: Buffer, opts?: ParseOptions): SipMessage {
  const stream = opts?.stream === true;
  // RFC 3261 §7.5: CRLFs before the start-line are ignored.
  let start = 0;
  while (start + 1 < data.length && data[start] === CR && data[start + 1] === LF) start += 2;
  const sep = data.indexOf(END_OF_HEADERS, start);
  const closed = sep >= 0;
  const headEnd = closed ? sep + 2 : data.length;
  const head = data.toString('latin1', start, headEnd);

  let fl = head.indexOf('\r\n');
  if (fl < 0) fl = head.length;
  const firstLine = head.slice(0, fl);
  const sl = parseStartLine(firstLine);
  if (!sl.error && (firstLine.indexOf('\n') >= 0 || firstLine.indexOf('\r') >= 0)) {
    sl.error = [sl.isRequest === false ? 0 : 400, 'Bare CR or LF'];
  }

  // ---- one pass over the header lines ----
  const hdrs: HeaderLine[] = [];
  let lineError: string | null = null;
  const viaLines: HeaderLine[] = [];
  let hCallId: HeaderLine | undefined;
  let hFrom: HeaderLine | undefined;
  let hTo: HeaderLine | undefined;
  let hCSeq: HeaderLine | undefined;
  let hMaxF: HeaderLine | undefined;
  let hCL: HeaderLine | undefined;
  let dup: string | null = null;
  let clConflict = false;
  const n = head.length;
  let pos = fl + 2;
  while (pos < n) {
    const lineStart = pos;
    let lineEnd: number;
    for (;;) {
      const lf = head.indexOf('\n', pos);
      if (lf < 0) {
        lineEnd = n;
        if (head.indexOf('\r', pos) >= 0) lineError ??= 'Bare CR';
        pos = n;
        break;
      }
      if (head.charCodeAt(lf - 1) !== CR || lf - 1 < pos) lineError ??= 'Bare LF';
      else if (head.indexOf('\r', pos) < lf - 1) lineError ??= 'Bare CR';
      pos = lf + 1;
      const next = head.charCodeAt(pos);
      if (next !== 0x20 && next !== 0x09) {
        lineEnd = lf - 1;
        break;
      }
    }
    const raw = head.slice(lineStart, lineEnd);
    const colon = raw.indexOf(':');
    if (colon < 0) {
      lineError ??= 'Header line without colon';
      continue;
    }
    let ne = colon;
    while (ne > 0 && (raw.charCodeAt(ne - 1) === 0x20 || raw.charCodeAt(ne - 1) === 0x09)) ne--;
    const name = ne === colon ? raw.slice(0, colon) : raw.slice(0, ne);
    if (!isTokenName(name)) {
      lineError ??= 'Bad header name';
      continue;
    }
    const h = new HeaderLine(name, lnameOf(name), raw, colon + 1);
    hdrs.push(h);
    switch (h.lname) {
      case 'via':
        viaLines.push(h);
        break;
      case 'call-id':
        if (hCallId) dup ??= 'call-id';
        else hCallId = h;
        break;
      case 'from':
        if (hFrom) dup ??= 'from';
        else hFrom = h;
        break;
      case 'to':
        if (hTo) dup ??= 'to';
        else hTo = h;
        break;
      case 'cseq':
        if (hCSeq) dup ??= 'cseq';
        else hCSeq = h;
        break;
      case 'max-forwards':
        if (hMaxF) dup ??= 'max-forwards';
        else hMaxF = h;
        break;
      case 'content-length':
        if (hCL) {
          if (hCL.value !== h.value) clConflict = true;
          dup ??= 'content-length';
        } else hCL = h;
        break;
    }
  }

  const isRequest = sl.isRequest;
  // Failures below throw a Reject that becomes a SipParseError here: a `fail` closure made per
  // message cost an allocation plus, under tsx (esbuild keepNames), a defineProperty each time.
  try {
    return finish(
      data,
      start,
      sep,
      stream,
      sl,
      firstLine,
      hdrs,
      viaLines,
      lineError,
      dup,
      clConflict,
      hCallId,
      hFrom,
      hTo,
      hCSeq,
      hMaxF,
      hCL,
    );
  } catch (e) {
    if (!(e instanceof Reject)) throw e;
    const partial: PartialMessage = {
      isRequest,
      vias: viaLines.map((h) => h.value),
      from: hFrom ? hFrom.value : null,
      to: hTo ? hTo.value : null,
      callId: hCallId ? hCallId.value : null,
      cseq: hCSeq ? hCSeq.value : null,
    };
    throw new SipParseError(isRequest === false ? 0 : e.status, e.reason, partial);
  }
}

class Reject {
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {}
}

function fail(status: number, reason: string): never {
  throw new Reject(status, reason);
}

/** The checks and parsing after the header pass; failures throw Reject. */
function finish(
  data: Buffer,
  start: number,
  sep: number,
  stream: boolean,
  sl: StartLine,
  firstLine: string,
  hdrs: HeaderLine[],
  viaLines: HeaderLine[],
  lineError: string | null,
  dup: string | null,
  clConflict: boolean,
  hCallId: HeaderLine | undefined,
  hFrom: HeaderLine | undefined,
  hTo: HeaderLine | undefined,
  hCSeq: HeaderLine | undefined,
  hMaxF: HeaderLine | undefined,
  hCL: HeaderLine | undefined,
): SipMessage {
  const isRequest = sl.isRequest;
  const closed = sep >= 0;
  if (sl.error) fail(sl.error[0], sl.error[1]);
  if (lineError) fail(400, lineError);
  if (!closed) fail(400, 'Header section not terminated by an empty line');
  if (clConflict) fail(400, 'Conflicting Content-Length');
  if (dup) fail(400, `Duplicate ${SINGLE[dup]} header`);
  if (!hCallId) fail(400, 'Missing Call-ID header');
  if (!hFrom) fail(400, 'Missing From header');
  if (!hTo) fail(400, 'Missing To header');
  if (!hCSeq) fail(400, 'Missing CSeq header');
  if (viaLines.length === 0) fail(400, 'Missing Via header');

  // Content-Length and body framing first: a bad length makes everything after suspect.
  const bodyStart = sep + 4;
  const avail = data.length - bodyStart;
  let bodyLen = avail;
  if (hCL) {
    const v = parseBoundedInt(hCL.value, MAX_CONTENT_LENGTH);
    if (v < 0) fail(400, 'Bad Content-Length');
    if (v > avail) fail(400, 'Content-Length larger than the message');
    bodyLen = v;
  } else if (stream) fail(400, 'Missing Content-Length');

  const callId = hCallId!.value;
  if (callId === '' || callId.indexOf(' ') >= 0 || callId.indexOf('\t') >= 0)
    fail(400, 'Bad Call-ID');
  const cseq = parseCSeq(hCSeq!.value);
  if (typeof cseq === 'string') return fail(400, cseq);
  let maxForwards: number | null = null;
  if (hMaxF) {
    maxForwards = parseBoundedInt(hMaxF.value, 255);
    if (maxForwards < 0) fail(400, 'Bad Max-Forwards');
  }
  if (isRequest && cseq.method !== sl.method) {
    if (KNOWN_METHODS.has(sl.method)) fail(400, 'CSeq method does not match the request method');
    fail(501, 'Unknown method with mismatched CSeq');
  }
  const from = addr(hFrom!, 'From');
  const to = addr(hTo!, 'To');
  const vias: Via[] = [];
  for (const h of viaLines) {
    try {
      for (const v of parseViaList(h.value)) vias.push(v);
    } catch (e) {
      fail(400, e instanceof SipParseError ? e.reason : 'Bad Via header');
    }
  }
  let ruriParsed: SipUri | null = null;
  if (isRequest) {
    try {
      ruriParsed = parseUri(sl.ruri);
    } catch (e) {
      fail(400, `Bad Request-URI: ${e instanceof SipParseError ? e.reason : 'unparsable'}`);
    }
    if (
      (ruriParsed!.scheme === 'sip' || ruriParsed!.scheme === 'sips') &&
      ruriParsed!.headers.length > 0
    ) {
      fail(400, 'Headers in Request-URI');
    }
  }

  return new Message({
    data,
    start,
    end: bodyStart + bodyLen,
    wireClean: hCL !== undefined && !dup,
    firstLine,
    isRequest: isRequest === true,
    method: sl.method,
    ruri: sl.ruri,
    status: sl.status,
    reason: sl.reason,
    version: sl.version,
    headers: hdrs,
    body: data.subarray(bodyStart, bodyStart + bodyLen),
    callId,
    cseq: cseq as CSeq,
    from,
    to,
    maxForwards,
    vias,
    ruriParsed,
  });
}

function isTokenName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) if (!isTokenChar(name.charCodeAt(i))) return false;
  return true;
}

function addr(h: HeaderLine, label: string): NameAddr {
  try {
    return parseNameAddr(h.value);
  } catch (e) {
    return fail(
      400,
      `Bad ${label} header: ${e instanceof SipParseError ? e.reason : 'unparsable'}`,
    );
  }
}
