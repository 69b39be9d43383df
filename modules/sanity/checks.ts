/**
 * Sanity checks of Kamailio's sanity module, by bit. A failed check answers the request
 * itself (as Kamailio's sl zreply does) unless the message is a reply or an ACK, or the
 * module runs with `noreply` (then sanity_reply() sends it later).
 *
 * Most faults these checks look for are refused earlier by the parser (bad version, missing
 * headers, CSeq mismatch, bad Content-Length); they still matter for messages a script has
 * edited, and they keep Kamailio's return codes for scripts that call them.
 */
import type { RouteContext } from '../../core/api/context.ts';
import { splitList } from '../../core/sip/lex.ts';
import type { NameAddr, SipUri } from '../../core/sip/types.ts';
import { parseUri } from '../../core/sip/uri.ts';

export const RURI_SIP_VERSION = 1;
export const RURI_SCHEME = 2;
export const REQUIRED_HEADERS = 4;
export const VIA_SIP_VERSION = 8;
export const VIA_PROTOCOL = 16;
export const CSEQ_METHOD = 32;
export const CSEQ_VALUE = 64;
export const CONTENT_LENGTH = 128;
export const EXPIRES_VALUE = 256;
export const PROXY_REQUIRE = 512;
export const PARSE_URIS = 1024;
export const DIGEST = 2048;
export const DUPTAGS = 4096;
export const AUTHORIZATION = 8192;
export const VIA1_HEADER = 16384;
export const RFC3261_COMPLIANCE = 32768;
export const SIZES = 65536;

export const URI_RURI = 1;
export const URI_FROM = 2;
export const URI_TO = 4;
export const URI_CONTACT = 8;

/** Kamailio's defaults: 1+2+4+32+64+128+256+512+2048 and R-URI+From+To. */
export const DEFAULT_MSG_CHECKS = 3047;
export const DEFAULT_URI_CHECKS = 7;

export interface SanityOptions {
  /** Extensions this proxy supports in Proxy-Require (Kamailio's `proxy_require`); default none. */
  readonly proxyRequire?: readonly string[];
  readonly defaultChecks?: number;
  readonly uriChecks?: number;
  /** Do not reply on failure; the script calls sanity_reply() (Kamailio's `noreply`). */
  readonly noreply?: boolean;
}

export interface SanityFailure {
  readonly status: number;
  readonly reason: string;
  readonly headers: readonly (readonly [string, string])[];
}

/** Where a pending reply is kept for sanity_reply() when `noreply` is set. */
export const SANITY_EXT_KEY = 'sanity:failure';

type Outcome = SanityFailure | 'fail-silent' | null;

const fault = (
  status: number,
  reason: string,
  headers: (readonly [string, string])[] = [],
): SanityFailure => ({
  status,
  reason,
  headers,
});

/** RFC 3261 `1*DIGIT` within 32 bits, as Kamailio's str2valid_uint. */
function isUint32(s: string): boolean {
  return /^[0-9]{1,10}$/.test(s) && Number(s) <= 0xffffffff;
}

/** Schemes Kamailio's URI parser accepts. */
const KNOWN_SCHEMES = new Set(['sip', 'sips', 'tel', 'tels', 'urn']);

function checkRuriVersion(ctx: RouteContext): Outcome {
  const v = ctx.msg.version;
  const slash = v.indexOf('/');
  if (slash < 0 || v.slice(slash + 1) !== '2.0') return fault(505, 'Version Not Supported (R-URI)');
  return null;
}

function ruri(ctx: RouteContext): SipUri | null {
  try {
    return ctx.msg.ruriParsed();
  } catch {
    return null;
  }
}

function checkRuriScheme(ctx: RouteContext): Outcome {
  const u = ruri(ctx);
  if (!u) return fault(400, 'Bad Request URI');
  if (!KNOWN_SCHEMES.has(u.scheme)) return fault(416, 'Unsupported URI Scheme in Request URI');
  return null;
}

function checkRequiredHeaders(ctx: RouteContext): Outcome {
  const m = ctx.msg;
  if (
    !m.hasHeader('from') ||
    !m.hasHeader('to') ||
    !m.hasHeader('call-id') ||
    !m.hasHeader('cseq') ||
    !m.hasHeader('via')
  )
    return fault(400, 'Missing Required Header in Request');
  return null;
}

function cseqParts(ctx: RouteContext): [string, string] | null {
  const v = ctx.msg.header('cseq');
  if (v === null) return null;
  const m = /^\s*(\S*)\s*(\S*)/.exec(v)!;
  return [m[1]!, m[2]!];
}

function checkCseqMethod(ctx: RouteContext): Outcome {
  const c = cseqParts(ctx);
  if (!c) return 'fail-silent';
  if (c[1] === '') return fault(400, 'Missing method in CSeq header');
  if (c[1] !== ctx.msg.method) return fault(400, 'CSeq method does not match request method');
  return null;
}

function checkCseqValue(ctx: RouteContext): Outcome {
  const c = cseqParts(ctx);
  if (!c) return 'fail-silent';
  if (c[0] === '') return fault(400, 'Missing number in CSeq header');
  if (!isUint32(c[0])) return fault(400, 'CSeq number is illegal');
  return null;
}

function checkContentLength(ctx: RouteContext): Outcome {
  const v = ctx.msg.header('content-length');
  if (v === null) return null;
  const t = v.trim();
  if (!/^[0-9]+$/.test(t) || Number(t) !== ctx.msg.body.length)
    return fault(400, 'Content-Length mis-match');
  return null;
}

function checkExpires(ctx: RouteContext): Outcome {
  const v = ctx.msg.header('expires');
  if (v === null) return null;
  const t = v.trim();
  if (t === '') return fault(400, 'Missing number in Expires header');
  if (!isUint32(t)) return fault(400, 'Expires value is illegal');
  return null;
}

function checkProxyRequire(ctx: RouteContext, supported: ReadonlySet<string>): Outcome {
  const unsupported: string[] = [];
  for (const tag of ctx.msg.headerValues('proxy-require')) {
    const t = tag.trim();
    // Option tags compare case-insensitively (RFC 3261 §19.2); Kamailio compares bytes.
    if (t !== '' && !supported.has(t.toLowerCase()) && !unsupported.includes(t))
      unsupported.push(t);
  }
  if (unsupported.length === 0) return null;
  return fault(420, 'Bad Extension', [['Unsupported', unsupported.join(', ')]]);
}

function addrUriOk(a: NameAddr): boolean {
  return KNOWN_SCHEMES.has(a.uri.scheme);
}

function checkParseUris(ctx: RouteContext, uriChecks: number): Outcome {
  const m = ctx.msg;
  if (uriChecks & URI_RURI && m.isRequest && !ruri(ctx)) return fault(400, 'Bad Request URI');
  if (uriChecks & URI_FROM) {
    if (!m.hasHeader('from')) return fault(400, 'Missing From Header');
    const f = m.from();
    if (!f) return fault(400, 'Bad From header');
    if (!addrUriOk(f)) return fault(400, 'Bad From URI');
  }
  if (uriChecks & URI_TO) {
    if (!m.hasHeader('to')) return fault(400, 'Missing To Header');
    const t = m.to();
    if (!t || !addrUriOk(t)) return fault(400, 'Bad To URI');
  }
  if (uriChecks & URI_CONTACT && m.hasHeader('contact') && !m.contactStar()) {
    let first: NameAddr | undefined;
    try {
      first = m.contacts()[0];
    } catch {
      return fault(400, 'Bad Contact Header');
    }
    if (first && !addrUriOk(first)) return fault(400, 'Bad Contact URI');
  }
  return null;
}

/**
 * Digest credentials in Authorization / Proxy-Authorization: 'pass' when there are none,
 * 'other' for a non-Digest scheme, 'bad' when a required parameter is missing or empty.
 */
function digestState(ctx: RouteContext): 'pass' | 'other' | 'bad' {
  const creds = [
    ...ctx.msg.headerValues('authorization'),
    ...ctx.msg.headerValues('proxy-authorization'),
  ];
  for (const c of creds) {
    const m = /^\s*(\S+)\s*(.*)$/s.exec(c);
    if (!m || m[1]!.toLowerCase() !== 'digest') return 'other';
    const params = new Map<string, string>();
    for (const p of splitList(m[2]!) ?? []) {
      const eq = p.indexOf('=');
      if (eq < 0) continue;
      let v = p.slice(eq + 1).trim();
      if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) v = v.slice(1, -1);
      params.set(p.slice(0, eq).trim().toLowerCase(), v);
    }
    for (const need of ['username', 'realm', 'nonce', 'uri', 'response'])
      if (!params.has(need) || (need !== 'realm' && params.get(need) === '')) return 'bad';
    if (params.has('qop') && (!params.get('cnonce') || !params.get('nc'))) return 'bad';
  }
  return 'pass';
}

function checkDuptags(ctx: RouteContext): Outcome {
  for (const a of [ctx.msg.from(), ctx.msg.to()]) {
    if (!a) continue;
    if (a.params.filter((p) => p.name.toLowerCase() === 'tag').length > 1) return 'fail-silent';
  }
  return null;
}

function checkVia1(ctx: RouteContext): Outcome {
  const v = ctx.msg.topVia;
  if (!v || v.host === '' || !v.branch) return 'fail-silent';
  return null;
}

function checkRfc3261(ctx: RouteContext): Outcome {
  const v = ctx.msg.topVia;
  if (!v || !v.branch || !v.branch.startsWith('z9hG4bK')) return 'fail-silent';
  try {
    for (const r of [...ctx.msg.recordRoutes(), ...ctx.msg.routes()]) {
      if (!r.uri.params.some((p) => p.name.toLowerCase() === 'lr')) return 'fail-silent';
    }
  } catch {
    return 'fail-silent';
  }
  return null;
}

/** Runs the checks in Kamailio's order; the first failure wins. */
export function runChecks(
  ctx: RouteContext,
  msgChecks: number,
  uriChecks: number,
  opts: SanityOptions,
): Outcome {
  const req = ctx.msg.isRequest;
  const supported = new Set((opts.proxyRequire ?? []).map((s) => s.trim().toLowerCase()));
  const steps: [number, () => Outcome][] = [
    [RURI_SIP_VERSION, () => (req ? checkRuriVersion(ctx) : null)],
    [RURI_SCHEME, () => (req ? checkRuriScheme(ctx) : null)],
    [REQUIRED_HEADERS, () => checkRequiredHeaders(ctx)],
    [VIA1_HEADER, () => checkVia1(ctx)],
    [RFC3261_COMPLIANCE, () => checkRfc3261(ctx)],
    [CSEQ_METHOD, () => (req ? checkCseqMethod(ctx) : null)],
    [CSEQ_VALUE, () => checkCseqValue(ctx)],
    [CONTENT_LENGTH, () => checkContentLength(ctx)],
    [EXPIRES_VALUE, () => checkExpires(ctx)],
    [PROXY_REQUIRE, () => (req ? checkProxyRequire(ctx, supported) : null)],
    [PARSE_URIS, () => checkParseUris(ctx, uriChecks)],
    [DIGEST, () => (digestState(ctx) === 'pass' ? null : 'fail-silent')],
    [AUTHORIZATION, () => (digestState(ctx) === 'bad' ? 'fail-silent' : null)],
    [DUPTAGS, () => checkDuptags(ctx)],
  ];
  for (const [bit, run] of steps) {
    if (!(msgChecks & bit)) continue;
    const r = run();
    if (r !== null) return r;
  }
  return null;
}

/** Answers a failed request unless it is a reply or an ACK. */
export async function replyFailure(ctx: RouteContext, f: SanityFailure): Promise<void> {
  if (!ctx.msg.isRequest || ctx.msg.method === 'ACK') return;
  await ctx.core.sendReply(
    ctx,
    f.status,
    f.reason,
    f.headers.length ? { headers: f.headers } : undefined,
  );
  ctx.replied = true;
}

/** KEMI sanity_check: 1 when every selected check passes, -1 otherwise (after replying). */
export async function sanityCheck(
  ctx: RouteContext,
  msgChecks: number,
  uriChecks: number,
  opts: SanityOptions,
): Promise<number> {
  const r = runChecks(ctx, msgChecks, uriChecks, opts);
  if (r === null) return 1;
  if (r !== 'fail-silent') {
    if (opts.noreply) ctx.ext.set(SANITY_EXT_KEY, r);
    else await replyFailure(ctx, r);
  }
  return -1;
}

/** KEMI sanity_reply: sends the reply a failed check kept back in `noreply` mode. */
export async function sanityReply(ctx: RouteContext): Promise<number> {
  const f = ctx.ext.get(SANITY_EXT_KEY) as SanityFailure | undefined;
  if (!f || !ctx.msg.isRequest || ctx.msg.method === 'ACK') return -1;
  ctx.ext.delete(SANITY_EXT_KEY);
  await replyFailure(ctx, f);
  return 1;
}
