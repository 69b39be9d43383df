/**
 * The in-memory SIP message (implements `SipMessage`). Header lines keep their received text
 * (`raw`, latin1) so the serializer re-emits untouched lines byte for byte; a mutation
 * replaces whole lines. Header line objects are immutable, so `clone()` shares them.
 */
import { SipParseError, SipValueError } from './errors.ts';
import { isListHeader, lnameOf } from './headers.ts';
import { findParam, isToken, skipWsp, splitList, unfold } from './lex.ts';
import { parseNameAddr, parseNameAddrList } from './nameaddr.ts';
import type { CSeq, HeaderField, NameAddr, SipMessage, SipUri, Via } from './types.ts';
import { parseUri } from './uri.ts';
import { parseViaList } from './via.ts';

export class HeaderLine implements HeaderField {
  #value: string | undefined;
  /**
   * @param raw The whole header line as received or built, without its final CRLF.
   * @param valueStart Index in `raw` just after the ':'.
   */
  constructor(
    readonly name: string,
    readonly lname: string,
    readonly raw: string,
    readonly valueStart: number,
  ) {}

  get value(): string {
    return (this.#value ??= unfold(this.raw.slice(this.valueStart)));
  }

  static build(name: string, value: string): HeaderLine {
    return new HeaderLine(name, lnameOf(name), `${name}: ${value}`, name.length + 1);
  }
}

/** Everything the parser hands over; the eager fields are already validated. */
export interface MessageInit {
  data: Buffer;
  /** First byte of the start-line in `data`. */
  start: number;
  /** End of the message in `data` (body framed by Content-Length). */
  end: number;
  /** `data[start, end)` is already a correct wire form (exactly one right Content-Length). */
  wireClean: boolean;
  firstLine: string;
  isRequest: boolean;
  method: string;
  ruri: string;
  status: number;
  reason: string;
  version: string;
  headers: HeaderLine[];
  body: Buffer;
  // `undefined`: computed from the header lines when first asked for (built messages).
  callId: string | null | undefined;
  cseq: CSeq | null | undefined;
  from: NameAddr | null | undefined;
  to: NameAddr | null | undefined;
  maxForwards: number | null | undefined;
  vias: Via[] | undefined;
  ruriParsed: SipUri | null | undefined;
}

const MAX_CSEQ = 2 ** 31 - 1;

/** `1*DIGIT` with leading zeros allowed, bounded by `max`; -1 when not a number in range. */
export function parseBoundedInt(s: string, max: number): number {
  if (s.length === 0) return -1;
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
    if (n > max) return -1;
  }
  return n;
}

/** CSeq value → {seq, method}, or a reason string. */
export function parseCSeq(value: string): CSeq | string {
  let i = 0;
  while (i < value.length && value.charCodeAt(i) >= 0x30 && value.charCodeAt(i) <= 0x39) i++;
  if (i === 0) return 'Bad CSeq';
  const seq = parseBoundedInt(value.slice(0, i), MAX_CSEQ);
  if (seq < 0) return 'CSeq number out of range';
  const sep = value.charCodeAt(i);
  if (sep !== 0x20 && sep !== 0x09) return 'Bad CSeq';
  const method = value.slice(skipWsp(value, i));
  if (!isToken(method)) return 'Bad CSeq method';
  return { seq, method };
}

function checkName(name: string): void {
  if (!isToken(name)) throw new SipValueError(`bad header name ${JSON.stringify(name)}`);
}

function checkValue(value: string): void {
  if (value.indexOf('\r') >= 0 || value.indexOf('\n') >= 0) {
    throw new SipValueError('header value must not contain CR or LF');
  }
}

export class Message implements SipMessage {
  readonly isRequest: boolean;
  readonly method: string;
  readonly version: string;
  #ruri: string;
  #status: number;
  #reason: string;

  #data: Buffer;
  #start: number;
  #end: number;
  /** True while `#data[#start, #end)` is still the exact wire form. */
  #pristine: boolean;
  #firstLine: string;
  #hdrs: HeaderLine[];
  #body: Buffer;

  // Caches; `undefined` means "recompute from the header lines".
  #callId: string | null | undefined;
  #cseq: CSeq | null | undefined;
  #from: NameAddr | null | undefined;
  #to: NameAddr | null | undefined;
  #maxForwards: number | null | undefined;
  #vias: Via[] | undefined;
  #ruriParsed: SipUri | null | undefined;
  #contacts: NameAddr[] | undefined;
  #routes: NameAddr[] | undefined;
  #recordRoutes: NameAddr[] | undefined;

  constructor(init: MessageInit) {
    this.isRequest = init.isRequest;
    this.method = init.method;
    this.version = init.version;
    this.#ruri = init.ruri;
    this.#status = init.status;
    this.#reason = init.reason;
    this.#data = init.data;
    this.#start = init.start;
    this.#end = init.end;
    this.#pristine = init.wireClean;
    this.#firstLine = init.firstLine;
    this.#hdrs = init.headers;
    this.#body = init.body;
    this.#callId = init.callId;
    this.#cseq = init.cseq;
    this.#from = init.from;
    this.#to = init.to;
    this.#maxForwards = init.maxForwards;
    this.#vias = init.vias;
    this.#ruriParsed = init.ruriParsed;
  }

  get ruri(): string {
    return this.#ruri;
  }
  get status(): number {
    return this.#status;
  }
  get reason(): string {
    return this.#reason;
  }
  get body(): Buffer {
    return this.#body;
  }

  get callId(): string | null {
    if (this.#callId === undefined) this.#callId = this.header('call-id');
    return this.#callId;
  }
  get cseq(): CSeq | null {
    if (this.#cseq === undefined) {
      const v = this.header('cseq');
      const c = v === null ? null : parseCSeq(v);
      this.#cseq = typeof c === 'string' ? null : c;
    }
    return this.#cseq;
  }
  get fromTag(): string | null {
    return tagOf(this.from());
  }
  get toTag(): string | null {
    return tagOf(this.to());
  }
  get maxForwards(): number | null {
    if (this.#maxForwards === undefined) {
      const v = this.header('max-forwards');
      const n = v === null ? -1 : parseBoundedInt(v, 255);
      this.#maxForwards = n < 0 ? null : n;
    }
    return this.#maxForwards;
  }
  get topVia(): Via | null {
    try {
      return this.vias()[0] ?? null;
    } catch {
      return null;
    }
  }

  ruriParsed(): SipUri {
    if (!this.isRequest) throw new SipParseError(0, 'A response has no Request-URI');
    return (this.#ruriParsed ??= parseUri(this.#ruri));
  }
  from(): NameAddr | null {
    if (this.#from === undefined) this.#from = this.#lenientAddr('from');
    return this.#from;
  }
  to(): NameAddr | null {
    if (this.#to === undefined) this.#to = this.#lenientAddr('to');
    return this.#to;
  }
  #lenientAddr(lname: string): NameAddr | null {
    const v = this.header(lname);
    if (v === null) return null;
    try {
      return parseNameAddr(v);
    } catch {
      return null;
    }
  }

  /** All Via values, every line split. Throws SipParseError when a Via was set to garbage. */
  vias(): Via[] {
    if (this.#vias === undefined) {
      const out: Via[] = [];
      for (const h of this.#hdrs)
        if (h.lname === 'via') for (const v of parseViaList(h.value)) out.push(v);
      this.#vias = out;
    }
    return this.#vias.slice();
  }
  contacts(): NameAddr[] {
    if (this.#contacts === undefined) {
      const out: NameAddr[] = [];
      for (const h of this.#hdrs) {
        if (h.lname !== 'contact' || h.value === '*') continue;
        for (const a of parseNameAddrList(h.value)) out.push(a);
      }
      this.#contacts = out;
    }
    return this.#contacts.slice();
  }
  contactStar(): boolean {
    for (const h of this.#hdrs) if (h.lname === 'contact' && h.value === '*') return true;
    return false;
  }
  routes(): NameAddr[] {
    return (this.#routes ??= this.#addrList('route')).slice();
  }
  recordRoutes(): NameAddr[] {
    return (this.#recordRoutes ??= this.#addrList('record-route')).slice();
  }
  #addrList(lname: string): NameAddr[] {
    const out: NameAddr[] = [];
    for (const h of this.#hdrs)
      if (h.lname === lname) for (const a of parseNameAddrList(h.value)) out.push(a);
    return out;
  }

  headerFields(): readonly HeaderField[] {
    return this.#hdrs.slice();
  }
  header(name: string): string | null {
    const l = lnameOf(name);
    for (const h of this.#hdrs) if (h.lname === l) return h.value;
    return null;
  }
  headerValues(name: string): string[] {
    const l = lnameOf(name);
    const list = isListHeader(l);
    const out: string[] = [];
    for (const h of this.#hdrs) {
      if (h.lname !== l) continue;
      if (!list) out.push(h.value);
      else for (const v of splitList(h.value) ?? [h.value]) out.push(v);
    }
    return out;
  }
  hasHeader(name: string): boolean {
    const l = lnameOf(name);
    for (const h of this.#hdrs) if (h.lname === l) return true;
    return false;
  }

  // ---- mutations ----

  #touch(lname: string | null): void {
    this.#pristine = false;
    switch (lname) {
      case 'call-id':
        this.#callId = undefined;
        break;
      case 'cseq':
        this.#cseq = undefined;
        break;
      case 'from':
        this.#from = undefined;
        break;
      case 'to':
        this.#to = undefined;
        break;
      case 'max-forwards':
        this.#maxForwards = undefined;
        break;
      case 'via':
        this.#vias = undefined;
        break;
      case 'contact':
        this.#contacts = undefined;
        break;
      case 'route':
        this.#routes = undefined;
        break;
      case 'record-route':
        this.#recordRoutes = undefined;
        break;
    }
  }

  setRuri(uri: string): void {
    if (!this.isRequest) throw new SipValueError('a response has no Request-URI');
    const parsed = parseUri(uri);
    this.#ruri = uri;
    this.#ruriParsed = parsed;
    this.#firstLine = `${this.method} ${uri} ${this.version}`;
    this.#touch(null);
  }

  setStatus(status: number, reason: string): void {
    if (this.isRequest) throw new SipValueError('a request has no status');
    if (!Number.isInteger(status) || status < 100 || status > 699)
      throw new SipValueError(`bad status ${status}`);
    checkValue(reason);
    this.#status = status;
    this.#reason = reason;
    this.#firstLine = `${this.version} ${status} ${reason}`;
    this.#touch(null);
  }

  #line(name: string, value: string): HeaderLine {
    checkName(name);
    checkValue(value);
    return HeaderLine.build(name, value);
  }

  appendHeader(name: string, value: string): void {
    const h = this.#line(name, value);
    this.#hdrs.push(h);
    this.#touch(h.lname);
  }

  prependHeader(name: string, value: string): void {
    const h = this.#line(name, value);
    this.#hdrs.unshift(h);
    this.#touch(h.lname);
  }

  insertHeaderAfter(afterName: string, name: string, value: string): void {
    const h = this.#line(name, value);
    const after = lnameOf(afterName);
    let idx = -1;
    for (let i = 0; i < this.#hdrs.length; i++) if (this.#hdrs[i]!.lname === after) idx = i;
    if (idx < 0) this.#hdrs.push(h);
    else this.#hdrs.splice(idx + 1, 0, h);
    this.#touch(h.lname);
  }

  removeHeader(name: string): number {
    const l = lnameOf(name);
    const before = this.#hdrs.length;
    this.#hdrs = this.#hdrs.filter((h) => h.lname !== l);
    const n = before - this.#hdrs.length;
    if (n > 0) this.#touch(l);
    return n;
  }

  removeHeaderAt(index: number): void {
    const h = this.#hdrs[index];
    if (!h) throw new RangeError(`no header field at index ${index}`);
    this.#hdrs.splice(index, 1);
    this.#touch(h.lname);
  }

  setHeader(name: string, value: string): void {
    const h = this.#line(name, value);
    const idx = this.#hdrs.findIndex((x) => x.lname === h.lname);
    if (idx < 0) this.#hdrs.push(h);
    else {
      this.#hdrs = this.#hdrs.filter((x, i) => i < idx || x.lname !== h.lname);
      this.#hdrs.splice(idx, 0, h);
    }
    this.#touch(h.lname);
  }

  /** Rewrites the first line of `lname` in place keeping the name as written; appends when absent. */
  #replaceFirst(lname: string, canonical: string, value: string): void {
    const idx = this.#hdrs.findIndex((x) => x.lname === lname);
    if (idx < 0) this.#hdrs.push(HeaderLine.build(canonical, value));
    else this.#hdrs[idx] = HeaderLine.build(this.#hdrs[idx]!.name, value);
    this.#touch(lname);
  }

  pushVia(value: string): void {
    const h = this.#line('Via', value);
    const idx = this.#hdrs.findIndex((x) => x.lname === 'via');
    this.#hdrs.splice(idx < 0 ? 0 : idx, 0, h);
    this.#touch('via');
  }

  popVia(): void {
    const idx = this.#hdrs.findIndex((x) => x.lname === 'via');
    if (idx < 0) return;
    const h = this.#hdrs[idx]!;
    const parts = splitList(h.value) ?? [];
    if (parts.length > 1) this.#hdrs[idx] = HeaderLine.build(h.name, parts.slice(1).join(', '));
    else this.#hdrs.splice(idx, 1);
    this.#touch('via');
  }

  setMaxForwards(n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > 255) throw new SipValueError(`bad Max-Forwards ${n}`);
    this.#replaceFirst('max-forwards', 'Max-Forwards', String(n));
  }

  setBody(body: Buffer | string, contentType?: string): void {
    this.#body = typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
    this.#replaceFirst('content-length', 'Content-Length', String(this.#body.length));
    if (contentType !== undefined) {
      if (contentType === '') this.removeHeader('content-type');
      else this.setHeader('Content-Type', contentType);
    }
  }

  serialize(): Buffer {
    // Zero-copy fast path: the caller must treat the returned bytes as read-only.
    if (this.#pristine) return this.#data.subarray(this.#start, this.#end);
    const bodyLen = this.#body.length;
    const want = String(bodyLen);
    let head = this.#firstLine + '\r\n';
    let clSeen = false;
    for (const h of this.#hdrs) {
      if (h.lname === 'content-length') {
        if (clSeen) continue;
        clSeen = true;
        head += (h.value === want ? h.raw : `${h.name}: ${want}`) + '\r\n';
      } else head += h.raw + '\r\n';
    }
    if (!clSeen) head += `Content-Length: ${want}\r\n`;
    head += '\r\n';
    const out = Buffer.allocUnsafe(head.length + bodyLen);
    out.write(head, 0, 'latin1');
    this.#body.copy(out, head.length);
    return out;
  }

  clone(): SipMessage {
    const m = new Message({
      data: this.#data,
      start: this.#start,
      end: this.#end,
      wireClean: this.#pristine,
      firstLine: this.#firstLine,
      isRequest: this.isRequest,
      method: this.method,
      ruri: this.#ruri,
      status: this.#status,
      reason: this.#reason,
      version: this.version,
      headers: this.#hdrs.slice(),
      body: this.#body,
      callId: null,
      cseq: null,
      from: null,
      to: null,
      maxForwards: null,
      vias: [],
      ruriParsed: null,
    });
    // Cached values are immutable objects, so sharing them is safe.
    m.#callId = this.#callId;
    m.#cseq = this.#cseq;
    m.#from = this.#from;
    m.#to = this.#to;
    m.#maxForwards = this.#maxForwards;
    m.#vias = this.#vias;
    m.#ruriParsed = this.#ruriParsed;
    m.#contacts = this.#contacts;
    m.#routes = this.#routes;
    m.#recordRoutes = this.#recordRoutes;
    return m;
  }
}

function tagOf(a: NameAddr | null): string | null {
  if (!a) return null;
  const p = findParam(a.params, 'tag');
  return p ? (p.value ?? '') : null;
}
