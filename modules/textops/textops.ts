/**
 * Text operations over the message (Kamailio's textops). Searches read the current message as
 * serialized (Kamailio reads the received buffer: edits made earlier in the route are
 * invisible to it; here they are visible).
 *
 * Rewrites (subst, replace…) run over the text after the first line (header section and
 * body, as Kamailio), then the result is applied back through the SipMessage mutations:
 * header lines that did not change stay byte for byte, changed ones are rebuilt as
 * `Name: value`, the body is replaced when it changed, Content-Length follows.
 */
import type { RouteContext } from '../../core/api/context.ts';
import { lnameOf } from '../../core/sip/headers.ts';
import { fromScriptText, toScriptText } from '../../core/sip/text.ts';
import {
  badHeaderText,
  headerIndexes,
  insertHeadersAt,
  parseHeaderText,
  type HeaderText,
} from '../hdr/api.ts';
import {
  compilePosix,
  parseSubst,
  runSubst,
  SEARCH_FLAGS,
  SubstSyntaxError,
  type RegexOptions,
  type SubstExpr,
} from './regex.ts';

function compile(
  ctx: RouteContext,
  fn: string,
  re: string,
  o: RegexOptions = SEARCH_FLAGS,
): RegExp | null {
  try {
    return compilePosix(re, o);
  } catch (e) {
    ctx.log(
      'err',
      `textops.${fn}: failed to compile regex ${JSON.stringify(re)}: ${(e as Error).message}\n`,
    );
    return null;
  }
}

function subst(ctx: RouteContext, fn: string, expr: string): SubstExpr | null {
  try {
    return parseSubst(expr);
  } catch (e) {
    if (!(e instanceof SubstSyntaxError)) throw e;
    ctx.log('err', `textops.${fn}: ${e.message}\n`);
    return null;
  }
}

/** The serialized message split as [first line + CRLF, header section, CRLF CRLF + body…]. */
function parts(ctx: RouteContext): { first: string; rest: string } {
  const w = ctx.msg.serialize().toString('latin1');
  const eol = w.indexOf('\r\n');
  return { first: w.slice(0, eol + 2), rest: w.slice(eol + 2) };
}

// ---- searches

export function search(ctx: RouteContext, re: string): number {
  if (re === '') return 1;
  const r = compile(ctx, 'search', re);
  if (!r) return -1;
  return r.test(ctx.msg.serialize().toString('latin1')) ? 1 : -1;
}

export function searchBody(ctx: RouteContext, re: string): number {
  if (re === '') return 1;
  const r = compile(ctx, 'search_body', re);
  if (!r) return -1;
  if (ctx.msg.body.length === 0) return -1;
  return r.test(ctx.msg.body.toString('latin1')) ? 1 : -1;
}

/** Regex over the bodies of the named headers: flags a (any), f (first), l (last). */
export function searchHf(ctx: RouteContext, name: string, re: string, flags: string): number {
  const r = compile(ctx, 'search_hf', re);
  if (!r) return -1;
  const l = lnameOf(name);
  const values = ctx.msg
    .headerFields()
    .filter((h) => h.lname === l)
    .map((h) => h.value);
  const pick = flags === 'f' ? values.slice(0, 1) : flags === 'l' ? values.slice(-1) : values;
  return pick.some((v) => r.test(v)) ? 1 : -1;
}

export function searchStr(ctx: RouteContext, text: string, re: string): number {
  if (re === '') return 2;
  if (text === '') return -2;
  const r = compile(ctx, 'search_str', re);
  if (!r) return -2;
  return r.test(fromScriptText(text)) ? 1 : -1;
}

export function isPresentHf(ctx: RouteContext, name: string): number {
  if (name === '') return -1;
  return ctx.msg.hasHeader(name) ? 1 : -1;
}

export function isPresentHfRe(ctx: RouteContext, re: string): number {
  const r = compile(ctx, 'is_present_hf_re', re);
  if (!r) return -1;
  return ctx.msg.headerFields().some((h) => r.test(h.name)) ? 1 : -1;
}

// ---- header removal

/** KEMI remove_hf answers 1 even when no header was there (it is hdr.remove underneath). */
export function removeHf(ctx: RouteContext, name: string): number {
  if (name === '') return -1;
  ctx.msg.removeHeader(name);
  return 1;
}

export function removeHfRe(ctx: RouteContext, re: string): number {
  const r = compile(ctx, 'remove_hf_re', re);
  if (!r) return -1;
  const fields = ctx.msg.headerFields();
  let n = 0;
  for (let i = fields.length - 1; i >= 0; i--) {
    if (r.test(fields[i]!.name)) {
      ctx.msg.removeHeaderAt(i);
      n++;
    }
  }
  return n === 0 ? -1 : 1;
}

/** Removes the idx-th header of that name (negative from the end); -1 when there is none. */
export function removeHfIdx(ctx: RouteContext, name: string, idx: number): number {
  const at = headerIndexes(ctx.msg, name);
  const i = idx < 0 ? at[at.length + idx] : at[idx];
  if (i === undefined) return -1;
  ctx.msg.removeHeaderAt(i);
  return 1;
}

/**
 * append_hf(txt): the cfg function, kept for scripts written against it. Kamailio's KEMI has
 * only KSR.hdr.append for this; both add the header text after the last header.
 */
export function appendHf(ctx: RouteContext, text: string): number {
  const lines = parseHeaderText(text);
  if (!lines) return badHeaderText(ctx, 'textops.append_hf', text);
  insertHeadersAt(ctx.msg, ctx.msg.headerFields().length, lines);
  return 1;
}

// ---- rewrites

/** Header entries of a header section text (a line plus its folded continuations). */
function entries(section: string): string[] {
  if (section === '') return [];
  const out: string[] = [];
  for (const line of section.split('\r\n')) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && out.length > 0)
      out[out.length - 1] += '\r\n' + line;
    else out.push(line);
  }
  return out;
}

/**
 * Applies a rewritten "everything after the first line" text to the message. Returns false
 * (message untouched) when the new text does not split into valid header lines and a body.
 */
function applyRest(ctx: RouteContext, oldRest: string, newRest: string): boolean {
  if (newRest === oldRest) return true;
  const cut = newRest.indexOf('\r\n\r\n');
  const oldCut = oldRest.indexOf('\r\n\r\n');
  if (cut < 0) return false;
  const oldEntries = entries(oldRest.slice(0, oldCut));
  const newEntries = entries(newRest.slice(0, cut));
  const parsed: HeaderText[] = [];
  for (const e of newEntries) {
    const h = parseHeaderText(toScriptText(e));
    if (!h || h.length !== 1) return false;
    parsed.push(h[0]!);
  }
  const msg = ctx.msg;
  const fields = msg.headerFields();
  if (fields.length === oldEntries.length) {
    let p = 0;
    while (p < oldEntries.length && p < newEntries.length && oldEntries[p] === newEntries[p]) p++;
    let s = 0;
    while (
      s < oldEntries.length - p &&
      s < newEntries.length - p &&
      oldEntries[oldEntries.length - 1 - s] === newEntries[newEntries.length - 1 - s]
    )
      s++;
    for (let i = oldEntries.length - s - 1; i >= p; i--) msg.removeHeaderAt(i);
    insertHeadersAt(msg, p, parsed.slice(p, parsed.length - s));
  } else {
    // The serializer added or dropped a Content-Length line: rebuild the whole section.
    for (let i = fields.length - 1; i >= 0; i--) msg.removeHeaderAt(i);
    insertHeadersAt(msg, 0, parsed);
  }
  const body = newRest.slice(cut + 4);
  if (body !== oldRest.slice(oldCut + 4)) msg.setBody(Buffer.from(body, 'latin1'));
  return true;
}

function rewriteRest(ctx: RouteContext, fn: string, edit: (text: string) => string | null): number {
  const { rest } = parts(ctx);
  const next = edit(rest);
  if (next === null) return -1;
  try {
    if (applyRest(ctx, rest, next)) return 1;
  } catch (e) {
    ctx.log('err', `textops.${fn}: ${(e as Error).message}\n`);
    return -1;
  }
  ctx.log('err', `textops.${fn}: the result is not a valid header section\n`);
  return -1;
}

function rewriteBody(ctx: RouteContext, edit: (text: string) => string | null): number {
  const old = ctx.msg.body.toString('latin1');
  const next = edit(old);
  if (next === null) return -1;
  if (next !== old) ctx.msg.setBody(Buffer.from(next, 'latin1'));
  return 1;
}

export function substMsg(ctx: RouteContext, expr: string): number {
  const se = subst(ctx, 'subst', expr);
  if (!se) return -1;
  return rewriteRest(ctx, 'subst', (t) => runSubst(ctx, se, t)?.text ?? null);
}

export function substBody(ctx: RouteContext, expr: string): number {
  const se = subst(ctx, 'subst_body', expr);
  if (!se) return -1;
  return rewriteBody(ctx, (t) => runSubst(ctx, se, t)?.text ?? null);
}

export function substUri(ctx: RouteContext, expr: string): number {
  if (!ctx.msg.isRequest) return -1;
  const se = subst(ctx, 'subst_uri', expr);
  if (!se) return -1;
  const r = runSubst(ctx, se, ctx.msg.ruri);
  if (!r) return -1;
  return setRuri(ctx, 'subst_uri', r.text);
}

/** Substitution over the R-URI user part (an absent user reads as ''). */
export function substUser(ctx: RouteContext, expr: string): number {
  if (!ctx.msg.isRequest) return -1;
  const se = subst(ctx, 'subst_user', expr);
  if (!se) return -1;
  const uri = ctx.msg.ruri;
  const colon = uri.indexOf(':');
  const at = uri.indexOf('@');
  const hasUser = at > colon;
  const userinfo = hasUser ? uri.slice(colon + 1, at) : '';
  const pw = userinfo.indexOf(':');
  const user = pw < 0 ? userinfo : userinfo.slice(0, pw);
  const r = runSubst(ctx, se, user);
  if (!r) return -1;
  const tail = pw < 0 ? '' : userinfo.slice(pw);
  const rebuilt =
    uri.slice(0, colon + 1) +
    (r.text === '' ? '' : r.text + tail + '@') +
    (hasUser ? uri.slice(at + 1) : uri.slice(colon + 1));
  return setRuri(ctx, 'subst_user', rebuilt);
}

function setRuri(ctx: RouteContext, fn: string, uri: string): number {
  try {
    ctx.msg.setRuri(uri);
    return 1;
  } catch (e) {
    ctx.log('err', `textops.${fn}: the result is not a valid URI: ${(e as Error).message}\n`);
    return -1;
  }
}

/** Substitution on the bodies of named headers: flags a (all), f (first), l (last). */
export function substHf(ctx: RouteContext, name: string, expr: string, flags: string): number {
  const se = subst(ctx, 'subst_hf', expr);
  if (!se) return -1;
  const at = headerIndexes(ctx.msg, name);
  const pick = flags === 'f' ? at.slice(0, 1) : flags === 'l' ? at.slice(-1) : at;
  let changed = 0;
  // Right to left so the indexes still hold after each replacement.
  for (const i of [...pick].reverse()) {
    const h = ctx.msg.headerFields()[i]!;
    const r = runSubst(ctx, se, h.value);
    if (!r) continue;
    changed++;
    try {
      ctx.msg.removeHeaderAt(i);
      insertHeadersAt(ctx.msg, i, [{ name: h.name, value: r.text }]);
    } catch (e) {
      ctx.log('err', `textops.subst_hf: ${(e as Error).message}\n`);
      return -1;
    }
  }
  return changed > 0 ? 1 : -1;
}

/** replace / replace_all over headers and body: the replacement text is taken literally. */
export function replaceMsg(
  ctx: RouteContext,
  fn: string,
  re: string,
  val: string,
  all: boolean,
): number {
  const r = compile(ctx, fn, re, { ...SEARCH_FLAGS, global: all });
  if (!r) return -1;
  const rep = fromScriptText(val);
  return rewriteRest(ctx, fn, (t) => (r.test(t) ? t.replace(resetRe(r), () => rep) : null));
}

export function replaceBody(
  ctx: RouteContext,
  fn: string,
  re: string,
  val: string,
  all: boolean,
): number {
  const r = compile(ctx, fn, re, { ...SEARCH_FLAGS, global: all });
  if (!r) return -1;
  const rep = fromScriptText(val);
  return rewriteBody(ctx, (t) => (r.test(t) ? t.replace(resetRe(r), () => rep) : null));
}

/** replace_body_atonce: all matches, `.` and `^`/`$` over the whole body as one string. */
export function replaceBodyAtonce(ctx: RouteContext, re: string, val: string): number {
  const r = compile(ctx, 'replace_body_atonce', re, { icase: true, newline: false, global: true });
  if (!r) return -1;
  const rep = fromScriptText(val);
  return rewriteBody(ctx, (t) => (r.test(t) ? t.replace(resetRe(r), () => rep) : null));
}

function resetRe(r: RegExp): RegExp {
  r.lastIndex = 0;
  return r;
}

// ---- body

/** 1 when Content-Length says there is a body (Kamailio reads the header, not the bytes). */
export function hasBody(ctx: RouteContext): number {
  const v = ctx.msg.header('content-length');
  if (v === null) return -1;
  const n = Number.parseInt(v, 10);
  return Number.isFinite(n) && n > 0 ? 1 : -1;
}

/** has_body plus the Content-Type (type/subtype, no parameters; absent means application/sdp). */
export function hasBodyType(ctx: RouteContext, ctype: string): number {
  if (hasBody(ctx) < 0) return -1;
  const ct = ctx.msg.header('content-type');
  const mime = ct === null ? 'application/sdp' : ct.split(';')[0]!.trim().toLowerCase();
  return mime === ctype.trim().toLowerCase() ? 1 : -1;
}

export function setBody(ctx: RouteContext, body: string, ctype: string): number {
  if (body === '') {
    ctx.log('err', 'textops.set_body: empty body\n');
    return -1;
  }
  ctx.msg.setBody(Buffer.from(body, 'utf8'), ctype === '' ? undefined : fromScriptText(ctype));
  return 1;
}

const PRIVACY_VALUES = new Set(['user', 'header', 'session', 'none', 'critical', 'id', 'history']);

/** 1 when a Privacy header lists that value (RFC 3323 values only). */
export function isPrivacy(ctx: RouteContext, value: string): number {
  const want = value.trim().toLowerCase();
  if (!PRIVACY_VALUES.has(want)) {
    ctx.log('err', `textops.is_privacy: invalid privacy value ${JSON.stringify(value)}\n`);
    return -1;
  }
  for (const v of ctx.msg.headerValues('privacy'))
    for (const token of v.split(';')) if (token.trim().toLowerCase() === want) return 1;
  return -1;
}

// ---- strings

/** 1 when equal, -1 when s1 sorts after s2, -2 before (Kamailio's cmp_str convention). */
export function cmpStr(a: string, b: string, icase: boolean): number {
  const x = icase ? a.toLowerCase() : a;
  const y = icase ? b.toLowerCase() : b;
  return x === y ? 1 : x > y ? -1 : -2;
}

export function startsWith(s: string, prefix: string): number {
  if (s.length < prefix.length) return -1;
  return cmpStr(s.slice(0, prefix.length), prefix, false);
}

export function endsWith(s: string, suffix: string): number {
  if (s.length < suffix.length) return -1;
  return cmpStr(s.slice(s.length - suffix.length), suffix, false);
}

/** Position (1-based) of needle in txt, -1 when absent. */
export function strFind(txt: string, needle: string, icase: boolean): number {
  if (needle.length > txt.length) return -1;
  const i = icase ? txt.toLowerCase().indexOf(needle.toLowerCase()) : txt.indexOf(needle);
  return i < 0 ? -1 : i + 1;
}

/** 1 when subject is one of the sep-separated items of list (items trimmed). */
export function inList(subject: string, list: string, sep: string, prefix: boolean): number {
  if (subject === '' || list === '' || sep === '') return -1;
  for (const item of list.split(sep[0]!)) {
    const t = item.replace(/^[ \t\r\n]+|[ \t\r\n]+$/g, '');
    if (prefix ? t !== '' && subject.startsWith(t) : t === subject) return 1;
  }
  return -1;
}
