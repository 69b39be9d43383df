/**
 * Pseudo-variables (`$ru`, `$hdr(Via)[1]`, `$avp(x)`, …): the API other modules use to read
 * and write them (xlog formats, htable registers `$sht`, tm registers `$T_*`).
 *
 * A PV name is parsed once into an accessor and cached by its text: `KSR.pv.get("$ru")` runs
 * on every message of most scripts. Names with inner PVs (`$sht(t=>$si)`) cache the outer
 * shape and expand the inner part per call, so dynamic names do not grow the cache.
 *
 * Values follow Kamailio's KEMI typing: int-typed PVs (`$rs`, `$sp`, `$Rp`, `$ml`, a `$var`
 * holding an int) come back as numbers, everything else as strings, absent as null. Header
 * text is held as latin1 octets in the message; it crosses to the script as UTF-8 text.
 */
import {
  SEND_INFO_KEY,
  type PvValue,
  type RouteContext,
  type SendInfo,
} from '../../core/api/context.ts';
import { lnameOf } from '../../core/sip/headers.ts';
import { quotedEnd, trimLws } from '../../core/sip/lex.ts';
import { fromScriptText, toScriptText } from '../../core/sip/text.ts';
import type { NameAddr, SipUri } from '../../core/sip/types.ts';
import { replaceUriPart, splitSipUri } from './uri-text.ts';

/** `[n]`, `[-n]`, `[*]` after a PV name; `pv` when the index is itself a PV (`[$var(i)]`). */
export type PvIndex =
  | { readonly kind: 'int'; readonly n: number }
  | { readonly kind: 'all' }
  | { readonly kind: 'pv'; readonly name: string };

/** A PV class owned by another module (`$sht(...)`, `$T_reply_code`…). */
export interface PvClassHandler {
  /** `param` is the text inside the parentheses with inner PVs expanded, null without them. */
  get(ctx: RouteContext, param: string | null): PvValue | null;
  /** Absent for read-only classes. Returns false on a failure the handler has logged. */
  set?(ctx: RouteContext, param: string | null, value: PvValue | null): boolean;
}

export class PvNameError extends Error {
  override readonly name = 'PvNameError';
  readonly code = 'POLYSIP_ERR_PV_NAME';
}

interface Accessor {
  get(ctx: RouteContext): PvValue | null;
  /** null for read-only PVs. */
  readonly set: ((ctx: RouteContext, v: PvValue | null) => boolean) | null;
}

type Factory = (param: string | null, index: PvIndex | null, spec: string) => Accessor;

const builtins = new Map<string, Factory>();
const external = new Map<string, PvClassHandler>();
const cache = new Map<string, Accessor>();
/** Bounds memory when scripts build PV names from data (kemi.md warns about exactly this). */
const CACHE_MAX = 4096;

/** Lets another module own a PV class: `registerPvClass('sht', {get, set})` serves `$sht(t=>k)`. */
export function registerPvClass(cls: string, handler: PvClassHandler): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(cls))
    throw new PvNameError(`invalid PV class name "${cls}"`);
  if (builtins.has(cls) || external.has(cls))
    throw new PvNameError(`PV class $${cls} is already defined`);
  external.set(cls, handler);
  cache.clear();
}

/** Undoes registerPvClass (module stop, tests). */
export function unregisterPvClass(cls: string): void {
  if (external.delete(cls)) cache.clear();
}

/** Value of a PV, null when unset/absent. Unknown or malformed names log an error and give null. */
export function getPv(ctx: RouteContext, name: string): PvValue | null {
  let acc = cache.get(name);
  if (acc === undefined) {
    try {
      acc = compile(name);
    } catch (e) {
      ctx.log('err', `pv: ${(e as Error).message}\n`);
      return null;
    }
    remember(name, acc);
  }
  try {
    return acc.get(ctx);
  } catch (e) {
    // A message a script broke (a Via set to garbage…) must not turn a read into a crash.
    ctx.log('err', `pv: cannot get ${name}: ${(e as Error).message}\n`);
    return null;
  }
}

/**
 * Assigns a PV (null = `$null`: unset). Returns false when a known PV refuses the value (read-only,
 * no such header, reply instead of request…) after logging why. Throws PvNameError for a name
 * that is not a PV at all, so a typo in a script fails loudly.
 */
export function setPv(ctx: RouteContext, name: string, value: PvValue | null): boolean {
  let acc = cache.get(name);
  if (acc === undefined) {
    acc = compile(name);
    remember(name, acc);
  }
  if (!acc.set) {
    ctx.log('err', `pv: ${name} is read-only\n`);
    return false;
  }
  try {
    return acc.set(ctx, value);
  } catch (e) {
    // The message refused the value (bad URI, CR/LF in a header value…).
    ctx.log('err', `pv: cannot set ${name}: ${(e as Error).message}\n`);
    return false;
  }
}

/** True when the name parses as a PV this server knows (no evaluation). */
export function isKnownPv(name: string): boolean {
  if (cache.has(name)) return true;
  try {
    remember(name, compile(name));
    return true;
  } catch {
    return false;
  }
}

function remember(name: string, acc: Accessor): void {
  if (cache.size >= CACHE_MAX) cache.clear();
  cache.set(name, acc);
}

/**
 * Replaces each PV in `text` by its value (`"$rU@$rd"` → `"alice@example.com"`); null prints as
 * `<null>`, as Kamailio does. `$$` is a literal `$`; something that is not a PV stays as written.
 */
export function expandPvText(ctx: RouteContext, text: string): string {
  let i = text.indexOf('$');
  if (i < 0) return text;
  let out = '';
  let from = 0;
  while (i >= 0) {
    if (text[i + 1] === '$') {
      out += text.slice(from, i + 1);
      from = i + 2;
      i = text.indexOf('$', from);
      continue;
    }
    const end = pvEnd(text, i);
    if (end > i + 1) {
      const spec = text.slice(i, end);
      if (isKnownPv(spec)) {
        const v = getPv(ctx, spec);
        out += text.slice(from, i) + (v === null ? '<null>' : String(v));
        from = end;
      }
    }
    i = text.indexOf('$', Math.max(i + 1, from));
  }
  return out + text.slice(from);
}

/**
 * End index of the PV spec starting at text[i] === '$' (class, optional (param), optional
 * [idx]); `i` itself when nothing there looks like a PV.
 */
export function pvEnd(text: string, i: number): number {
  let j = i + 1;
  if (text[j] === '(') {
    const close = matching(text, j, '(', ')');
    return close < 0 ? i : close + 1;
  }
  while (j < text.length && /[A-Za-z0-9_]/.test(text[j]!)) j++;
  if (j === i + 1) return i;
  if (text[j] === '(') {
    const close = matching(text, j, '(', ')');
    if (close < 0) return j;
    j = close + 1;
  }
  if (text[j] === '[') {
    const close = matching(text, j, '[', ']');
    if (close > 0) j = close + 1;
  }
  return j;
}

function matching(s: string, open: number, o: string, c: string): number {
  let depth = 0;
  for (let k = open; k < s.length; k++) {
    if (s[k] === o) depth++;
    else if (s[k] === c && --depth === 0) return k;
  }
  return -1;
}

// ---------------------------------------------------------------------------------------------
// Name parsing

interface Spec {
  cls: string;
  param: string | null;
  index: PvIndex | null;
}

function parseSpec(name: string): Spec {
  if (name.length < 2 || name[0] !== '$') throw new PvNameError(`invalid PV name "${name}"`);
  let body = name.slice(1);
  if (body[0] === '(') {
    if (body[body.length - 1] !== ')' || matching(body, 0, '(', ')') !== body.length - 1)
      throw new PvNameError(`invalid PV name "${name}"`);
    body = body.slice(1, -1);
    if (body.includes('{'))
      throw new PvNameError(`PV transformations are not supported: "${name}"`);
  }
  const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(body);
  if (!m) throw new PvNameError(`invalid PV name "${name}"`);
  const cls = m[0];
  let j = cls.length;
  let param: string | null = null;
  if (body[j] === '(') {
    const close = matching(body, j, '(', ')');
    if (close < 0) throw new PvNameError(`unbalanced parentheses in PV name "${name}"`);
    param = body.slice(j + 1, close);
    j = close + 1;
  }
  let index: PvIndex | null = null;
  if (body[j] === '[') {
    const close = matching(body, j, '[', ']');
    if (close < 0) throw new PvNameError(`unbalanced brackets in PV name "${name}"`);
    index = parseIndex(body.slice(j + 1, close), name);
    j = close + 1;
  }
  if (j !== body.length) throw new PvNameError(`invalid PV name "${name}"`);
  return { cls, param, index };
}

function parseIndex(t: string, name: string): PvIndex {
  const s = t.trim();
  if (s === '*') return { kind: 'all' };
  if (/^-?[0-9]+$/.test(s)) return { kind: 'int', n: Number(s) };
  if (s.startsWith('$')) return { kind: 'pv', name: s };
  throw new PvNameError(`invalid index in PV name "${name}"`);
}

function compile(name: string): Accessor {
  const spec = parseSpec(name);
  const ext = external.get(spec.cls);
  if (ext) {
    if (spec.index) throw new PvNameError(`$${spec.cls} takes no index: "${name}"`);
    return externalAccessor(ext, spec.param);
  }
  const factory = builtins.get(spec.cls);
  if (!factory) throw new PvNameError(`unknown pseudo-variable "${name}"`);
  if (spec.param !== null && spec.param.includes('$')) {
    // The class is built per call, once the inner PVs are known; only the outer shape is cached.
    const param = spec.param;
    const build = (ctx: RouteContext): Accessor | null => {
      try {
        return factory(expandPvText(ctx, param), spec.index, name);
      } catch (e) {
        ctx.log('err', `pv: ${(e as Error).message}\n`);
        return null;
      }
    };
    return {
      get: (ctx) => build(ctx)?.get(ctx) ?? null,
      set: (ctx, v) => {
        const acc = build(ctx);
        if (!acc) return false;
        if (!acc.set) return fail(ctx, `${name} is read-only`);
        return acc.set(ctx, v);
      },
    };
  }
  return factory(spec.param, spec.index, name);
}

function externalAccessor(h: PvClassHandler, param: string | null): Accessor {
  const dynamic = param !== null && param.includes('$');
  const p = (ctx: RouteContext) => (dynamic ? expandPvText(ctx, param!) : param);
  const set = h.set;
  return {
    get: (ctx) => h.get(ctx, p(ctx)),
    set: set ? (ctx, v) => set.call(h, ctx, p(ctx), v) : null,
  };
}

function resolveIndex(ctx: RouteContext, idx: PvIndex | null): number | 'all' {
  if (idx === null) return 0;
  if (idx.kind === 'all') return 'all';
  if (idx.kind === 'int') return idx.n;
  const v = getPv(ctx, idx.name);
  const n = typeof v === 'number' ? v : Number(v);
  return Number.isInteger(n) ? n : 0;
}

/** Element `i` of a list (negative from the end), or undefined. */
function pick<T>(list: readonly T[], i: number): T | undefined {
  return i < 0 ? list[list.length + i] : list[i];
}

// ---------------------------------------------------------------------------------------------
// Builtin classes

function def(names: string | string[], f: Factory): void {
  for (const n of Array.isArray(names) ? names : [names]) builtins.set(n, f);
}

/** A PV without parameter or index. */
function simple(
  names: string | string[],
  get: (ctx: RouteContext) => PvValue | null,
  set: ((ctx: RouteContext, v: PvValue | null) => boolean) | null = null,
): void {
  const acc: Accessor = { get, set };
  def(names, (param, index, spec) => {
    if (param !== null || index !== null) throw new PvNameError(`"${spec}" takes no parameter`);
    return acc;
  });
}

const text = (s: string | null | undefined): string | null =>
  s === null || s === undefined ? null : toScriptText(s);

function str(v: PvValue | null): string | null {
  return v === null ? null : fromScriptText(String(v));
}

function fail(ctx: RouteContext, why: string): false {
  ctx.log('err', `pv: ${why}\n`);
  return false;
}

function parsedRuri(ctx: RouteContext): SipUri | null {
  if (!ctx.msg.isRequest) return null;
  try {
    return ctx.msg.ruriParsed();
  } catch {
    ctx.log('err', 'pv: failed to parse the R-URI\n');
    return null;
  }
}

function nameAddr(ctx: RouteContext, which: 'from' | 'to'): NameAddr | null {
  try {
    return which === 'from' ? ctx.msg.from() : ctx.msg.to();
  } catch {
    ctx.log('err', `pv: cannot parse ${which === 'from' ? 'From' : 'To'} header\n`);
    return null;
  }
}

// --- request line, R-URI, $du

simple(
  'ru',
  (ctx) => (ctx.msg.isRequest ? text(ctx.msg.ruri) : null),
  (ctx, v) => {
    if (!ctx.msg.isRequest) return fail(ctx, 'cannot set $ru of a reply');
    const s = str(v);
    if (!s) return fail(ctx, 'str value required to set R-URI');
    ctx.msg.setRuri(s);
    return true;
  },
);

function ruriPart(
  part: 'user' | 'host' | 'port',
): (ctx: RouteContext, v: PvValue | null) => boolean {
  return (ctx, v) => {
    if (!ctx.msg.isRequest) return fail(ctx, 'cannot change the R-URI of a reply');
    const s = str(v);
    const next = replaceUriPart(ctx.msg.ruri, part, s === '' ? null : s);
    if (next === null) return fail(ctx, `cannot set the ${part} of R-URI "${ctx.msg.ruri}"`);
    ctx.msg.setRuri(next);
    return true;
  };
}

simple(
  'rU',
  (ctx) => {
    if (!parsedRuri(ctx)) return null;
    const u = splitSipUri(ctx.msg.ruri);
    if (u) return u.user ? text(u.user) : null;
    // tel: and other schemes: the parser's view (the number for tel:).
    return text(ctx.msg.ruriParsed().user || null);
  },
  ruriPart('user'),
);
simple(
  'rd',
  (ctx) => {
    const u = parsedRuri(ctx);
    return u && u.host !== '' ? text(u.host) : null;
  },
  ruriPart('host'),
);
simple(
  'rp',
  (ctx) => {
    // Kamailio gives the port as written, or the default for the transport, as a string.
    const u = parsedRuri(ctx);
    if (!u) return null;
    const raw = splitSipUri(ctx.msg.ruri);
    if (raw?.port) return raw.port;
    return isTlsUri(u) ? '5061' : '5060';
  },
  ruriPart('port'),
);
simple('rP', (ctx) => {
  const u = parsedRuri(ctx);
  if (!u) return null;
  const t = u.params.find((p) => p.name.toLowerCase() === 'transport');
  return t?.value ? text(t.value) : 'udp';
});
simple('rz', (ctx) => parsedRuri(ctx)?.scheme ?? null);
simple('rm', (ctx) => text(ctx.msg.isRequest ? ctx.msg.method : (ctx.msg.cseq?.method ?? null)));
simple(
  'rs',
  (ctx) => (ctx.msg.isRequest ? null : ctx.msg.status),
  (ctx, v) => {
    if (ctx.msg.isRequest) return fail(ctx, 'cannot set $rs of a request');
    const n = typeof v === 'number' ? v : Number(v);
    if (!Number.isInteger(n) || n < 100 || n > 699)
      return fail(ctx, `invalid status code ${String(v)}`);
    ctx.msg.setStatus(n, ctx.msg.reason);
    return true;
  },
);
simple(
  'rr',
  (ctx) => (ctx.msg.isRequest ? null : text(ctx.msg.reason)),
  (ctx, v) => {
    if (ctx.msg.isRequest) return fail(ctx, 'cannot set $rr of a request');
    ctx.msg.setStatus(ctx.msg.status, str(v) ?? '');
    return true;
  },
);
simple('rv', (ctx) => text(ctx.msg.version));
simple(
  'du',
  (ctx) => ctx.dstUri,
  (ctx, v) => {
    const s = v === null ? null : String(v);
    ctx.dstUri = s === '' ? null : s;
    return true;
  },
);

function isTlsUri(u: SipUri): boolean {
  if (u.scheme === 'sips') return true;
  const t = u.params.find((p) => p.name.toLowerCase() === 'transport');
  return t?.value?.toLowerCase() === 'tls';
}

// --- From / To

/** The parts of a name-addr header value as written: display (with its quotes), URI, tail. */
function nameAddrText(na: NameAddr): { display: string; uri: string; tail: string } {
  const raw = na.raw;
  let lt: number;
  let display = '';
  if (raw.startsWith('"')) {
    const qe = quotedEnd(raw, 0);
    display = raw.slice(0, qe + 1);
    lt = raw.indexOf('<', qe + 1);
  } else {
    lt = na.bracketed ? raw.indexOf('<') : -1;
    display = lt > 0 ? trimLws(raw.slice(0, lt)) : '';
  }
  if (lt >= 0) {
    const gt = raw.indexOf('>', lt);
    return { display, uri: trimLws(raw.slice(lt + 1, gt)), tail: raw.slice(gt + 1) };
  }
  return { display: '', uri: na.uri.raw, tail: raw.slice(na.uri.raw.length) };
}

function headerNameOf(ctx: RouteContext, lname: string, fallback: string): string {
  const hf = ctx.msg.headerFields().find((h) => h.lname === lname);
  return hf && hf.name.length > 1 ? hf.name : fallback;
}

type NaPart = 'uri' | 'user' | 'host' | 'display';

function setNameAddr(
  which: 'from' | 'to',
  part: NaPart,
): (ctx: RouteContext, v: PvValue | null) => boolean {
  const label = which === 'from' ? 'From' : 'To';
  return (ctx, v) => {
    const na = nameAddr(ctx, which);
    if (!na) return fail(ctx, `no ${label} header to change`);
    const cur = nameAddrText(na);
    const s = str(v);
    let uri = cur.uri;
    let display = cur.display;
    if (part === 'uri') {
      if (!s) return fail(ctx, `str value required to set the ${label} URI`);
      uri = s;
    } else if (part === 'display') {
      display = !s ? '' : s.startsWith('"') ? s : '"' + s.replace(/(["\\])/g, '\\$1') + '"';
    } else {
      const next = replaceUriPart(uri, part, s === '' ? null : s);
      if (next === null) return fail(ctx, `cannot set the ${part} of ${label} URI "${uri}"`);
      uri = next;
    }
    const value = (display ? display + ' ' : '') + '<' + uri + '>' + cur.tail;
    ctx.msg.setHeader(headerNameOf(ctx, which, label), value);
    return true;
  };
}

function naGetters(prefix: 'f' | 't', which: 'from' | 'to'): void {
  simple(
    prefix + 'u',
    (ctx) => {
      const na = nameAddr(ctx, which);
      return na ? text(nameAddrText(na).uri) : null;
    },
    setNameAddr(which, 'uri'),
  );
  simple(
    prefix + 'U',
    (ctx) => {
      const na = nameAddr(ctx, which);
      if (!na) return null;
      const u = splitSipUri(nameAddrText(na).uri);
      return u ? text(u.user || null) : text(na.uri.user || null);
    },
    setNameAddr(which, 'user'),
  );
  simple(
    prefix + 'd',
    (ctx) => {
      const h = nameAddr(ctx, which)?.uri.host;
      return h ? text(h) : null;
    },
    setNameAddr(which, 'host'),
  );
  simple(
    prefix + 'n',
    (ctx) => {
      const na = nameAddr(ctx, which);
      return na ? text(nameAddrText(na).display || null) : null;
    },
    setNameAddr(which, 'display'),
  );
  simple(prefix + 't', (ctx) => text(which === 'from' ? ctx.msg.fromTag : ctx.msg.toTag));
}
naGetters('f', 'from');
naGetters('t', 'to');

// --- other headers

simple('ci', (ctx) => text(ctx.msg.callId));
simple('cs', (ctx) => {
  // As written ("0009" stays "0009"): Kamailio hands $cs over as a string.
  const v = ctx.msg.header('cseq');
  if (v === null) return null;
  const m = /^\s*([0-9]+)/.exec(v);
  return m ? m[1]! : null;
});
simple('ua', (ctx) => text(ctx.msg.header('user-agent')));
simple('ct', (ctx) => text(ctx.msg.header('contact')));
simple('cT', (ctx) => text(ctx.msg.header('content-type')));
simple('cl', (ctx) => {
  const v = ctx.msg.header('content-length');
  return v === null ? null : Number.parseInt(v, 10);
});

function headerMatcher(param: string | null, spec: string): (lname: string) => boolean {
  if (param === null || param.trim() === '') throw new PvNameError(`"${spec}" needs a header name`);
  const want = param.trim();
  if (want === '*') return () => true;
  const l = lnameOf(want);
  return (lname) => lname === l;
}

def('hdr', (param, index, spec) => {
  const match = headerMatcher(param, spec);
  return {
    get(ctx) {
      const vals = ctx.msg
        .headerFields()
        .filter((h) => match(h.lname))
        .map((h) => h.value);
      if (vals.length === 0) return null;
      const i = resolveIndex(ctx, index);
      if (i === 'all') return text(vals.join(','));
      return text(pick(vals, i));
    },
    set: null,
  };
});
def('hdrc', (param, index, spec) => {
  const match = headerMatcher(param, spec);
  if (index) throw new PvNameError(`"${spec}" takes no index`);
  return { get: (ctx) => ctx.msg.headerFields().filter((h) => match(h.lname)).length, set: null };
});

/** Digest credentials of the request: Proxy-Authorization first, except for REGISTER. */
function credentials(ctx: RouteContext): string | null {
  const order =
    ctx.msg.method === 'REGISTER'
      ? ['authorization', 'proxy-authorization']
      : ['proxy-authorization', 'authorization'];
  for (const h of order) {
    const v = ctx.msg.header(h);
    if (v !== null) return v;
  }
  return null;
}

function credParam(ctx: RouteContext, name: string): string | null {
  const v = credentials(ctx);
  if (v === null) return null;
  const re = new RegExp(`(?:^|[\\s,])${name}\\s*=\\s*("(?:[^"\\\\]|\\\\.)*"|[^\\s,]+)`, 'i');
  const m = re.exec(v.replace(/^\s*\S+/, ''));
  if (!m) return null;
  const raw = m[1]!;
  return raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
}

simple('au', (ctx) => text(credParam(ctx, 'username')));
simple('ar', (ctx) => text(credParam(ctx, 'realm')));
simple('aU', (ctx) => {
  const u = credParam(ctx, 'username');
  return u === null ? null : text(u.split('@')[0]);
});
simple('ad', (ctx) => {
  const u = credParam(ctx, 'username');
  if (u === null) return null;
  const at = u.indexOf('@');
  return text(at >= 0 ? u.slice(at + 1) : credParam(ctx, 'realm'));
});

// --- body and buffer

simple('rb', (ctx) => text(ctx.msg.body.toString('latin1')));
simple('mb', (ctx) => text(ctx.msg.serialize().toString('latin1')));
simple('ml', (ctx) => ctx.msg.serialize().length);

// --- network

simple('si', (ctx) => ctx.rcv.srcIp);
simple('sp', (ctx) => ctx.rcv.srcPort);
simple('su', (ctx) => `sip:${hostOf(ctx.rcv.srcIp)}:${ctx.rcv.srcPort}`);
simple(
  'sut',
  (ctx) => `sip:${hostOf(ctx.rcv.srcIp)}:${ctx.rcv.srcPort};transport=${ctx.rcv.transport}`,
);
simple('Ri', (ctx) => ctx.rcv.dstIp);
simple('Rp', (ctx) => ctx.rcv.dstPort);
simple(['pr', 'proto'], (ctx) => ctx.rcv.transport);
simple('conid', (ctx) => ctx.rcv.connectionId);

function hostOf(ip: string): string {
  return ip.includes(':') && !ip.startsWith('[') ? `[${ip}]` : ip;
}

// --- flags and branches

function intSetter(
  apply: (ctx: RouteContext, n: number) => void,
): (ctx: RouteContext, v: PvValue | null) => boolean {
  return (ctx, v) => {
    const n = v === null ? 0 : typeof v === 'number' ? v : Number(v);
    if (!Number.isInteger(n)) return fail(ctx, `int value required, got "${String(v)}"`);
    apply(ctx, n >>> 0);
    return true;
  };
}
simple(
  ['mf', 'mF', 'flags'],
  (ctx) => ctx.flags >>> 0,
  intSetter((ctx, n) => (ctx.flags = n)),
);
simple(
  ['bf', 'bF'],
  (ctx) => ctx.bflags >>> 0,
  intSetter((ctx, n) => (ctx.bflags = n)),
);
simple(
  'br',
  (ctx) => (ctx.msg.isRequest ? (ctx.branches[0]?.uri ?? null) : null),
  (ctx, v) => {
    const s = v === null ? '' : String(v);
    if (s === '') return fail(ctx, 'str value required to set the branch');
    ctx.branches.push({
      uri: s,
      dstUri: null,
      q: null,
      path: null,
      flags: 0,
      socket: null,
      instance: null,
      ruid: null,
    });
    return true;
  },
);
simple('null', () => null);

// --- time: Kamailio stamps the message once, the first time it is asked

interface PvState {
  sec: number;
  usec: number;
}
let lastNow: PvState = { sec: 0, usec: 0 };

function now(): PvState {
  const ms = Date.now();
  const hr = process.hrtime.bigint();
  return { sec: Math.floor(ms / 1000), usec: (ms % 1000) * 1000 + Number((hr / 1000n) % 1000n) };
}

function msgTime(ctx: RouteContext): PvState {
  let t = ctx.ext.get('pv:time') as PvState | undefined;
  if (!t) {
    t = now();
    ctx.ext.set('pv:time', t);
  }
  return t;
}

simple('Ts', (ctx) => msgTime(ctx).sec);
// $snd(...): where the message of an onsend route is going (Kamailio's onsend_route PVs).
def('snd', (param, index, spec) => {
  if (index) throw new PvNameError(`"${spec}" takes no index`);
  const info = (ctx: RouteContext): SendInfo | undefined =>
    ctx.ext.get(SEND_INFO_KEY) as SendInfo | undefined;
  switch (param) {
    case 'ip':
      return { get: (ctx) => info(ctx)?.ip ?? null, set: null };
    case 'port':
      return { get: (ctx) => info(ctx)?.port ?? null, set: null };
    case 'proto':
      return { get: (ctx) => info(ctx)?.transport ?? null, set: null };
    case 'len':
      return { get: (ctx) => info(ctx)?.buf.length ?? null, set: null };
    case 'buf':
      return {
        get: (ctx) => {
          const b = info(ctx)?.buf;
          return b ? toScriptText(b.toString('latin1')) : null;
        },
        set: null,
      };
    case 'sock':
      return { get: (ctx) => info(ctx)?.socket ?? null, set: null };
    default:
      throw new PvNameError(`"${spec}": unknown $snd attribute (ip, port, proto, len, buf, sock)`);
  }
});

def('TV', (param, index, spec) => {
  if (index) throw new PvNameError(`"${spec}" takes no index`);
  switch (param) {
    case 's':
      return { get: (ctx) => msgTime(ctx).sec, set: null };
    case 'u':
      return { get: (ctx) => msgTime(ctx).usec, set: null };
    case 'sn':
      return {
        get: () => {
          lastNow = now();
          return lastNow.sec;
        },
        set: null,
      };
    case 'un':
      return { get: () => lastNow.usec, set: null };
    case 'Sn':
      return {
        get: () => {
          const t = now();
          return `${t.sec}.${String(t.usec).padStart(6, '0')}`;
        },
        set: null,
      };
    default:
      throw new PvNameError(`unknown PV timeval name "${spec}"`);
  }
});

// --- variables

def('var', (param, index, spec) => {
  if (!param) throw new PvNameError(`"${spec}" needs a name`);
  if (index) throw new PvNameError(`"${spec}" takes no index`);
  const name = param;
  return {
    // Kamailio creates script vars holding int 0, and $null assigns 0 again.
    get: (ctx) => ctx.vars.get(name) ?? 0,
    set: (ctx, v) => {
      ctx.vars.set(name, v ?? 0);
      return true;
    },
  };
});

def('shv', (param, index, spec) => {
  if (!param) throw new PvNameError(`"${spec}" needs a name`);
  if (index) throw new PvNameError(`"${spec}" takes no index`);
  // One table for all tenants; a tenant's names are keyed under "\0TENANT\0" so no tenant
  // can spell another's (a script string may hold \0, but cannot change its own ctx.tenant).
  const name = param;
  const key = (ctx: RouteContext): string =>
    ctx.tenant === '' ? name : `\0${ctx.tenant}\0${name}`;
  return {
    get: (ctx) => ctx.core.sharedVars.get(key(ctx)) ?? 0,
    set: (ctx, v) => {
      ctx.core.sharedVars.set(key(ctx), v ?? 0);
      return true;
    },
  };
});

def('avp', (param, index, spec) => {
  if (!param) throw new PvNameError(`"${spec}" needs a name`);
  // 's:name' / 'i:12' are the old typed spellings of the same names.
  const name = /^[si]:/.test(param) ? param.slice(2) : param;
  return {
    get(ctx) {
      const stack = ctx.avps.get(name);
      if (!stack || stack.length === 0) return null;
      const i = resolveIndex(ctx, index);
      if (i === 'all') return stack.map(String).join(', ');
      return pick(stack, i) ?? null;
    },
    set(ctx, v) {
      const stack = ctx.avps.get(name);
      const all = index?.kind === 'all';
      if (v === null) {
        if (all || !stack || stack.length <= 1) ctx.avps.delete(name);
        else stack.shift();
        return true;
      }
      if (all || !stack) ctx.avps.set(name, [v]);
      else stack.unshift(v);
      return true;
    },
  };
});

/** `root[idx]=>field[idx]` */
interface XavpName {
  root: string;
  rootIdx: PvIndex | null;
  field: string | null;
}

function parseXavpName(param: string | null, spec: string): XavpName {
  if (!param) throw new PvNameError(`"${spec}" needs a name`);
  const m =
    /^\s*([A-Za-z0-9_.:-]+)\s*(?:\[([^\]]*)\])?\s*(?:=>\s*([A-Za-z0-9_.:-]+)\s*(?:\[([^\]]*)\])?)?\s*$/.exec(
      param,
    );
  if (!m) throw new PvNameError(`invalid xavp name "${spec}"`);
  if (m[4] !== undefined && m[4].trim() !== '0')
    throw new PvNameError(`xavp field index other than [0] is not supported: "${spec}"`);
  return {
    root: m[1]!,
    rootIdx: m[2] === undefined ? null : parseIndex(m[2], spec),
    field: m[3] ?? null,
  };
}

def('xavp', (param, index, spec) => {
  if (index) throw new PvNameError(`"${spec}" takes the index inside the parentheses`);
  const x = parseXavpName(param, spec);
  return {
    get(ctx) {
      const list = ctx.xavps.get(x.root);
      if (!list || list.length === 0) return null;
      const i = resolveIndex(ctx, x.rootIdx);
      if (x.field === null) return null;
      if (i === 'all') {
        const vals = list.map((r) => r.get(x.field!)).filter((v): v is PvValue => v !== undefined);
        return vals.length ? vals.map(String).join(', ') : null;
      }
      return pick(list, i)?.get(x.field) ?? null;
    },
    set(ctx, v) {
      const list = ctx.xavps.get(x.root);
      const i = resolveIndex(ctx, x.rootIdx);
      if (v === null) {
        if (!list) return true;
        if (x.field === null) {
          if (i === 'all' || x.rootIdx === null) {
            if (i === 'all' || list.length <= 1) ctx.xavps.delete(x.root);
            else list.shift();
          } else {
            const k = i < 0 ? list.length + i : i;
            if (k >= 0 && k < list.length) list.splice(k, 1);
            if (list.length === 0) ctx.xavps.delete(x.root);
          }
          return true;
        }
        const recs = i === 'all' ? list : [pick(list, i)].filter((r) => r !== undefined);
        for (const r of recs) r.delete(x.field);
        return true;
      }
      if (x.field === null)
        return fail(ctx, `${spec}: single-value xavps are not supported, use root=>field`);
      if (x.rootIdx === null) {
        // No index on the root: a new record goes on top (Kamailio's way to build a list).
        const rec = new Map<string, PvValue>([[x.field, v]]);
        if (list) list.unshift(rec);
        else ctx.xavps.set(x.root, [rec]);
        return true;
      }
      if (i === 'all') return true;
      const rec = list ? pick(list, i) : undefined;
      if (!rec) return true;
      rec.set(x.field, v);
      return true;
    },
  };
});
