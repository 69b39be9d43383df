/**
 * Record-Route and loose routing (RFC 3261 §16.6 step 4, §16.12; RFC 5658 double
 * Record-Route). Our Record-Route URI carries `lr` and the From tag (`ftag`) so
 * is_direction works; scripts add their own parameters with add_rr_param.
 */
import { isIP } from 'node:net';
import type { RouteContext } from '../../core/api/context.ts';
import { PRE_SEND_KEY, type PreSendHook } from '../../core/proxy/stateful.ts';
import { hostForUri } from '../../core/proxy/target.ts';
import { fromScriptText } from '../../core/sip/text.ts';
import type { NameAddr, SipMessage } from '../../core/sip/types.ts';
import type { Listener } from '../../core/transport/types.ts';

const KEY = 'rr';

interface RrState {
  /** Values of the Record-Route headers we inserted (to find them again). */
  added: string[];
  /** The address part of our Record-Route (`sip:host:port;transport=x`). */
  addr: string | null;
  /** Extra parameters (`;a=b`), added before or after record_route. */
  params: string;
  /** Parameters of our Route header consumed by loose_route (`;lr;ftag=x;nat=yes`). */
  routeParams: string | null;
}

function state(ctx: RouteContext): RrState {
  let s = ctx.ext.get(KEY) as RrState | undefined;
  if (!s) {
    s = { added: [], addr: null, params: '', routeParams: null };
    ctx.ext.set(KEY, s);
  }
  return s;
}

function socketAddr(transport: string, ip: string, port: number): string {
  const t = transport.toLowerCase();
  return `sip:${hostForUri(ip)}:${port}${t === 'udp' ? '' : `;transport=${t}`}`;
}

function rrValue(ctx: RouteContext, addr: string, extra: string): string {
  const ftag = ctx.msg.fromTag;
  return `<${addr};lr${ftag ? `;ftag=${ftag}` : ''}${extra}${state(ctx).params}>`;
}

function insertRr(ctx: RouteContext, value: string): void {
  ctx.msg.prependHeader('Record-Route', value);
  state(ctx).added.push(value);
}

/** Replaces a header line we added (found by value) with a new value, keeping it on top. */
function replaceOurs(msg: SipMessage, old: string, value: string): void {
  const fields = msg.headerFields();
  for (let i = 0; i < fields.length; i++) {
    const h = fields[i]!;
    if (h.lname === 'record-route' && h.value === old) {
      msg.removeHeaderAt(i);
      break;
    }
  }
  msg.prependHeader('Record-Route', value);
}

const familyOf = (ip: string): number => (isIP(ip) === 6 ? 6 : 4);

/**
 * Before a branch leaves: when it leaves from another transport or address family than the
 * request came in on, both sockets are recorded (r2=on), so in-dialog requests from either
 * side find their way (RFC 5658).
 */
const doubleRr: PreSendHook = (msg: SipMessage, out: Listener, ctx: RouteContext) => {
  const s = ctx.ext.get(KEY) as RrState | undefined;
  if (!s || s.added.length !== 1 || s.addr === null) return;
  const rcv = ctx.rcv;
  if (out.transport === rcv.transport && out.family === familyOf(rcv.dstIp)) return;
  const inbound = rrValue(ctx, s.addr, ';r2=on');
  const outbound = rrValue(ctx, socketAddr(out.transport, out.host, out.port), ';r2=on');
  replaceOurs(msg, s.added[0]!, inbound);
  msg.prependHeader('Record-Route', outbound);
};

function armDouble(ctx: RouteContext): void {
  let hooks = ctx.ext.get(PRE_SEND_KEY) as PreSendHook[] | undefined;
  if (!hooks) {
    hooks = [];
    ctx.ext.set(PRE_SEND_KEY, hooks);
  }
  if (!hooks.includes(doubleRr)) hooks.push(doubleRr);
}

export function recordRoute(ctx: RouteContext, params = ''): number {
  if (!ctx.msg.isRequest) return -1;
  const s = state(ctx);
  if (s.added.length > 0) {
    ctx.log('err', 'rr: double attempt to record-route\n');
    return -1;
  }
  const r = ctx.rcv;
  s.addr = socketAddr(r.transport, r.dstIp, r.dstPort);
  insertRr(ctx, rrValue(ctx, s.addr, normParams(params)));
  armDouble(ctx);
  return 1;
}

function normParams(p: string): string {
  const t = fromScriptText(p).trim();
  if (t === '') return '';
  return t.startsWith(';') ? t : `;${t}`;
}

/** `host[:port][;params]` or a full `sip:` URI, as record_route_preset accepts. */
function presetAddr(addr: string): string {
  const a = fromScriptText(addr).trim().replace(/^<|>$/g, '');
  return /^sips?:/i.test(a) ? a : `sip:${a}`;
}

export function recordRoutePreset(ctx: RouteContext, addr1: string, addr2: string | null): number {
  if (!ctx.msg.isRequest || addr1.trim() === '') return -1;
  const s = state(ctx);
  if (s.added.length > 0) return -1;
  if (addr2 === null || addr2.trim() === '') {
    insertRr(ctx, rrValue(ctx, presetAddr(addr1), ''));
    return 1;
  }
  // Outbound (addr2) ends up on top, where the next hop reads it first.
  insertRr(ctx, rrValue(ctx, presetAddr(addr1), ';r2=on'));
  insertRr(ctx, rrValue(ctx, presetAddr(addr2), ';r2=on'));
  return 1;
}

export function recordRouteAdvertised(ctx: RouteContext, addr: string): number {
  if (!ctx.msg.isRequest || addr.trim() === '') return -1;
  const s = state(ctx);
  if (s.added.length > 0) return -1;
  const a = fromScriptText(addr).trim();
  const hasPort = /^\[[^\]]+\]:\d+$/.test(a) || /^[^:[\]]+:\d+$/.test(a);
  const port = ctx.rcv.dstPort;
  const t = ctx.rcv.transport;
  s.addr = `sip:${a}${hasPort ? '' : `:${port}`}${t === 'udp' ? '' : `;transport=${t}`}`;
  insertRr(ctx, rrValue(ctx, s.addr, ''));
  return 1;
}

export function addRrParam(ctx: RouteContext, param: string): number {
  const p = normParams(param);
  if (p === '') return -1;
  const s = state(ctx);
  s.params += p;
  // Already recorded: rewrite our headers with the new parameter.
  s.added = s.added.map((v) => {
    const nv = v.slice(0, -1) + p + '>';
    replaceOurs(ctx.msg, v, nv);
    return nv;
  });
  return 1;
}

export function removeRecordRoute(ctx: RouteContext): number {
  const s = state(ctx);
  if (s.added.length === 0) return -1;
  for (const v of s.added) {
    const fields = ctx.msg.headerFields();
    const i = fields.findIndex((h) => h.lname === 'record-route' && h.value === v);
    if (i >= 0) ctx.msg.removeHeaderAt(i);
  }
  s.added = [];
  return 1;
}

function isOurs(ctx: RouteContext, na: NameAddr): boolean {
  const u = na.uri;
  if (u.scheme !== 'sip' && u.scheme !== 'sips') return false;
  let transport: string | null = null;
  for (const p of u.params) if (p.name.toLowerCase() === 'transport') transport = p.value;
  return ctx.core.isMyself(u.host, u.port, transport);
}

function hasParam(na: NameAddr, name: string, value?: string): boolean {
  for (const p of na.uri.params) {
    if (p.name.toLowerCase() !== name) continue;
    return value === undefined || (p.value ?? '').toLowerCase() === value;
  }
  return false;
}

function paramText(na: NameAddr): string {
  return na.uri.params
    .map((p) => (p.value === null ? `;${p.name}` : `;${p.name}=${p.value}`))
    .join('');
}

/** Drops the first `n` Route values, keeping the rest in order. */
function dropRoutes(msg: SipMessage, routes: NameAddr[], n: number): void {
  const fields = msg.headerFields();
  const first = fields.findIndex((h) => h.lname === 'route');
  if (n === 1 && first >= 0 && fields[first]!.value === routes[0]!.raw) {
    msg.removeHeaderAt(first);
    return;
  }
  const rest = routes.slice(n);
  msg.removeHeader('route');
  for (const r of rest) msg.appendHeader('Route', r.raw);
}

/** loose_route: 1 routed by the Route set, -1 no Route header, -3 preloaded (no To tag). */
export function looseRoute(ctx: RouteContext): number {
  const msg = ctx.msg;
  if (!msg.isRequest || !msg.hasHeader('route')) return -1;
  let routes: NameAddr[];
  try {
    routes = msg.routes();
  } catch {
    ctx.log('err', 'rr: cannot parse the Route header\n');
    return -1;
  }
  if (routes.length === 0) return -1;
  const preloaded = msg.toTag === null;
  const s = state(ctx);
  const first = routes[0]!;
  if (isOurs(ctx, first)) {
    s.routeParams = paramText(first);
    let n = 1;
    const second = routes[1];
    if (hasParam(first, 'r2', 'on') && second && isOurs(ctx, second)) n = 2;
    dropRoutes(msg, routes, n);
    return preloaded ? -3 : 1;
  }
  // The previous hop was a strict router: it put our Record-Route in the R-URI.
  let ruri;
  try {
    ruri = msg.ruriParsed();
  } catch {
    return preloaded ? -3 : 1;
  }
  const ruriNa: NameAddr = {
    displayName: null,
    uri: ruri,
    params: [],
    bracketed: true,
    raw: msg.ruri,
  };
  if (isOurs(ctx, ruriNa) && hasParam(ruriNa, 'lr')) {
    s.routeParams = paramText(ruriNa);
    const last = routes[routes.length - 1]!;
    msg.setRuri(last.uri.raw);
    const keep = routes.slice(0, -1);
    msg.removeHeader('route');
    for (const r of keep) msg.appendHeader('Route', r.raw);
    return 1;
  }
  return preloaded ? -3 : 1;
}

export function looseRoutePreloaded(ctx: RouteContext): number {
  if (ctx.msg.toTag !== null) return -1;
  const r = looseRoute(ctx);
  return r === -3 ? 1 : -1;
}

export function checkRouteParam(ctx: RouteContext, re: string): number {
  const p = state(ctx).routeParams;
  if (p === null) return -1;
  let rx: RegExp;
  try {
    rx = new RegExp(fromScriptText(re));
  } catch {
    ctx.log('err', `rr.check_route_param: bad regular expression ${JSON.stringify(re)}\n`);
    return -1;
  }
  return rx.test(p) ? 1 : -1;
}

/** "downstream": the request goes the way the dialog-creating one went (From tag = ftag). */
export function isDirection(ctx: RouteContext, dir: string): number {
  const p = state(ctx).routeParams;
  if (p === null) return -1;
  const m = /;ftag=([^;]*)/i.exec(p);
  if (!m) return -1;
  const downstream = m[1] === ctx.msg.fromTag;
  const want = dir.toLowerCase();
  if (want === 'downstream') return downstream ? 1 : -1;
  if (want === 'upstream') return downstream ? -1 : 1;
  return -1;
}

export function nextHopRoute(ctx: RouteContext): number {
  return ctx.msg.isRequest && ctx.msg.hasHeader('route') ? 1 : -1;
}
