/**
 * Functions Kamailio exports directly on `KSR` (src/core/kemi.c): logging, flags, method and
 * protocol tests, "myself" checks, R-URI/$du setters and stateless forwarding.
 */
import type { RouteContext, ScriptLogLevel } from '../../core/api/context.ts';
import type { KsrFunction, PolysipModule } from '../../core/api/module.ts';
import { int, str } from '../../core/api/registry.ts';
import { formatUri, parseUri } from '../../core/sip/uri.ts';
import type { SipUri } from '../../core/sip/types.ts';
import { isIP } from 'node:net';
import { KEMI_METHOD_TESTS } from '../../core/api/kemi-methods.ts';

const METHOD_LETTERS: Record<string, string> = {
  I: 'INVITE',
  A: 'ACK',
  B: 'BYE',
  C: 'CANCEL',
  R: 'REGISTER',
  O: 'OPTIONS',
  S: 'SUBSCRIBE',
  N: 'NOTIFY',
  P: 'PUBLISH',
  M: 'MESSAGE',
  F: 'REFER',
  E: 'PRACK',
  U: 'UPDATE',
  K: 'KDMQ',
  G: 'GET',
  T: 'POST',
  V: 'PUT',
  D: 'DELETE',
};

const PROTO_LETTERS: Record<string, string> = {
  u: 'udp',
  t: 'tcp',
  e: 'tls',
  s: 'sctp',
  v: 'ws',
  w: 'wss',
};

/** The method a message is about: the request method, or the CSeq method of a reply. */
function methodOf(ctx: RouteContext): string {
  return ctx.msg.isRequest ? ctx.msg.method : (ctx.msg.cseq?.method ?? '');
}

function flagBit(flag: number, max: number): number | null {
  return Number.isInteger(flag) && flag >= 0 && flag <= max ? flag : null;
}

function tryUri(text: string | null | undefined): SipUri | null {
  if (!text) return null;
  try {
    return parseUri(text);
  } catch {
    return null;
  }
}

function uriIsMyself(ctx: RouteContext, uri: SipUri | null): boolean {
  if (!uri || (uri.scheme !== 'sip' && uri.scheme !== 'sips')) return false;
  const transport = uri.params.find((p) => p.name.toLowerCase() === 'transport')?.value ?? null;
  return ctx.core.isMyself(uri.host, uri.port, transport);
}

/** The R-URI with one part replaced; null when the R-URI is not a SIP URI. */
function rewriteRuri(ctx: RouteContext, change: (u: SipUri) => SipUri): boolean {
  const uri = tryUri(ctx.msg.ruri);
  if (!uri) return false;
  ctx.msg.setRuri(formatUri(change(uri)));
  return true;
}

function nextHopTransport(ctx: RouteContext): string {
  const uri = tryUri(ctx.dstUri ?? ctx.msg.ruri);
  if (!uri) return '';
  const t = uri.params.find((p) => p.name.toLowerCase() === 'transport')?.value;
  if (t) return t.toLowerCase();
  return uri.scheme === 'sips' ? 'tls' : 'udp';
}

function nextHopFamily(ctx: RouteContext): number {
  const uri = tryUri(ctx.dstUri ?? ctx.msg.ruri);
  if (!uri) return 0;
  const h = uri.host.startsWith('[') ? uri.host.slice(1, -1) : uri.host;
  return isIP(h);
}

const log = (level: ScriptLogLevel): KsrFunction => ({
  module: '',
  name: level,
  params: [str('msg')],
  returns: 'void',
  doc: `Writes the text to the log at ${level} level (no PV expansion).`,
  impl: (ctx, text) => ctx.log(level, String(text)),
});

const LOG_NAMES: Record<string, ScriptLogLevel> = {
  dbg: 'dbg',
  info: 'info',
  notice: 'notice',
  warn: 'warn',
  err: 'err',
  crit: 'crit',
  alert: 'alert',
};

const exports: KsrFunction[] = [
  log('dbg'),
  log('info'),
  log('notice'),
  log('warn'),
  log('err'),
  log('crit'),
  {
    module: '',
    name: 'log',
    params: [str('level'), str('msg')],
    returns: 'void',
    doc: 'Logs at the named level (dbg, info, notice, warn, err, crit); unknown levels log as err.',
    impl: (ctx, level, text) => ctx.log(LOG_NAMES[String(level)] ?? 'err', String(text)),
  },
  {
    module: '',
    name: 'get_debug',
    params: [],
    returns: 'int',
    doc: "The current log level as Kamailio's debug number (3 debug, 2 info, 0 warn, -1 err).",
    impl: (ctx) => ctx.core.debugLevel(),
  },
  {
    module: '',
    name: 'set_drop',
    params: [],
    returns: 'void',
    doc: 'Marks the message to be dropped when the route returns; the script keeps running.',
    impl: (ctx) => {
      ctx.dropped = true;
    },
  },
  ...KEMI_METHOD_TESTS.map((m): KsrFunction => ({
    module: '',
    name: `is_${m}`,
    params: [],
    returns: 'bool',
    doc: `True when the method (CSeq method of a reply) is ${m}.`,
    impl: (ctx) => methodOf(ctx) === m,
  })),
  {
    module: '',
    name: 'is_method',
    params: [str('method')],
    returns: 'bool',
    doc: 'True when the method equals the name (case-insensitive); "A|B" matches any listed.',
    impl: (ctx, names) => {
      const m = methodOf(ctx).toUpperCase();
      return String(names)
        .split('|')
        .some((n) => n.trim().toUpperCase() === m);
    },
  },
  {
    module: '',
    name: 'is_method_in',
    params: [str('letters')],
    returns: 'bool',
    doc: 'True when the method is in the set given as letters (I=INVITE A=ACK B=BYE C=CANCEL R=REGISTER O=OPTIONS S=SUBSCRIBE N=NOTIFY P=PUBLISH M=MESSAGE F=REFER E=PRACK U=UPDATE K=KDMQ G=GET T=POST V=PUT D=DELETE).',
    impl: (ctx, letters) => {
      const m = methodOf(ctx);
      for (const ch of String(letters)) if (METHOD_LETTERS[ch] === m) return true;
      return false;
    },
  },
  ...(['UDP', 'TCP', 'TLS', 'WS', 'WSS', 'SCTP'] as const).map((p): KsrFunction => ({
    module: '',
    name: `is_${p}`,
    params: [],
    returns: 'bool',
    doc: `True when the message was received over ${p}.`,
    impl: (ctx) => ctx.rcv.transport === p.toLowerCase(),
  })),
  {
    module: '',
    name: 'is_TCPX',
    params: [],
    returns: 'bool',
    doc: 'True when received over a TCP-based transport (TCP, TLS, WS, WSS).',
    impl: (ctx) => ctx.rcv.transport !== 'udp' && ctx.rcv.transport !== 'sctp',
  },
  {
    module: '',
    name: 'is_WSX',
    params: [],
    returns: 'bool',
    doc: 'True when received over WS or WSS.',
    impl: (ctx) => ctx.rcv.transport === 'ws' || ctx.rcv.transport === 'wss',
  },
  {
    module: '',
    name: 'is_proto',
    params: [str('protos')],
    returns: 'bool',
    doc: 'True when the receiving protocol matches a letter: u=UDP t=TCP e=TLS s=SCTP v=WS w=WSS.',
    impl: (ctx, protos) => [...String(protos)].some((c) => PROTO_LETTERS[c] === ctx.rcv.transport),
  },
  {
    module: '',
    name: 'is_IPv4',
    params: [],
    returns: 'bool',
    doc: 'True when received over IPv4.',
    impl: (ctx) => isIP(ctx.rcv.srcIp) === 4,
  },
  {
    module: '',
    name: 'is_IPv6',
    params: [],
    returns: 'bool',
    doc: 'True when received over IPv6.',
    impl: (ctx) => isIP(ctx.rcv.srcIp) === 6,
  },
  ...(['UDP', 'TCP', 'TLS', 'SCTP', 'WS', 'WSS'] as const).map((p): KsrFunction => ({
    module: '',
    name: `to_${p}`,
    params: [],
    returns: 'bool',
    doc: `True when the next hop ($du, else R-URI) uses ${p}.`,
    impl: (ctx) => nextHopTransport(ctx) === p.toLowerCase(),
  })),
  {
    module: '',
    name: 'to_IPv4',
    params: [],
    returns: 'bool',
    doc: 'True when the next hop host is an IPv4 literal.',
    impl: (ctx) => nextHopFamily(ctx) === 4,
  },
  {
    module: '',
    name: 'to_IPv6',
    params: [],
    returns: 'bool',
    doc: 'True when the next hop host is an IPv6 literal.',
    impl: (ctx) => nextHopFamily(ctx) === 6,
  },
  {
    module: '',
    name: 'is_src_port',
    params: [int('port')],
    returns: 'bool',
    doc: 'True when the source port equals the value.',
    impl: (ctx, port) => ctx.rcv.srcPort === port,
  },
  {
    module: '',
    name: 'is_dst_port',
    params: [int('port')],
    returns: 'bool',
    doc: 'True when the local receiving port equals the value.',
    impl: (ctx, port) => ctx.rcv.dstPort === port,
  },
  {
    module: '',
    name: 'is_myself',
    params: [str('uri')],
    returns: 'bool',
    doc: 'True when the URI host:port is one of our listening addresses or aliases.',
    impl: (ctx, uri) => uriIsMyself(ctx, tryUri(String(uri))),
  },
  {
    module: '',
    name: 'is_myself_ruri',
    params: [],
    returns: 'bool',
    doc: 'True when the R-URI points to this server.',
    impl: (ctx) => ctx.msg.isRequest && uriIsMyself(ctx, tryUri(ctx.msg.ruri)),
  },
  {
    module: '',
    name: 'is_myself_duri',
    params: [],
    returns: 'bool',
    doc: 'True when $du points to this server.',
    impl: (ctx) => uriIsMyself(ctx, tryUri(ctx.dstUri)),
  },
  {
    module: '',
    name: 'is_myself_nhuri',
    params: [],
    returns: 'bool',
    doc: 'True when the next hop ($du if set, else R-URI) points to this server.',
    impl: (ctx) => uriIsMyself(ctx, tryUri(ctx.dstUri ?? ctx.msg.ruri)),
  },
  {
    module: '',
    name: 'is_myself_furi',
    params: [],
    returns: 'bool',
    doc: 'True when the From URI is one of our domains or addresses.',
    impl: (ctx) => uriIsMyself(ctx, ctx.msg.from()?.uri ?? null),
  },
  {
    module: '',
    name: 'is_myself_turi',
    params: [],
    returns: 'bool',
    doc: 'True when the To URI is one of our domains or addresses.',
    impl: (ctx) => uriIsMyself(ctx, ctx.msg.to()?.uri ?? null),
  },
  {
    module: '',
    name: 'is_myself_srcip',
    params: [],
    returns: 'bool',
    doc: 'True when the source IP is one of our local addresses (loop detection).',
    impl: (ctx) =>
      ctx.core.isMyself(ctx.rcv.srcIp, ctx.rcv.dstPort) ||
      ctx.core
        .listenSockets()
        .some((s) => s.includes(`:${ctx.rcv.srcIp}:`) || s.includes(`[${ctx.rcv.srcIp}]`)),
  },
  {
    module: '',
    name: 'is_myself_suri',
    params: [],
    returns: 'bool',
    doc: 'True when the source address (ip:port:proto) is one of our sockets.',
    impl: (ctx) => ctx.core.isMyself(ctx.rcv.srcIp, ctx.rcv.srcPort, ctx.rcv.transport),
  },
  ...flagFns(
    'flag',
    31,
    (ctx) => ctx.flags,
    (ctx, v) => (ctx.flags = v),
    'message',
  ),
  ...flagFns(
    'bflag',
    31,
    (ctx) => ctx.bflags,
    (ctx, v) => (ctx.bflags = v),
    'branch 0',
  ),
  {
    module: '',
    name: 'seturi',
    params: [str('uri')],
    returns: 'bool',
    doc: 'Replaces the whole R-URI.',
    impl: (ctx, uri) => {
      if (!tryUri(String(uri))) return false;
      ctx.msg.setRuri(String(uri));
      return true;
    },
  },
  {
    module: '',
    name: 'setuser',
    params: [str('user')],
    returns: 'bool',
    doc: 'Replaces the user part of the R-URI.',
    impl: (ctx, user) =>
      rewriteRuri(ctx, (u) => ({ ...u, user: String(user) === '' ? null : String(user) })),
  },
  {
    module: '',
    name: 'sethost',
    params: [str('host')],
    returns: 'bool',
    doc: 'Replaces the host part of the R-URI.',
    impl: (ctx, host) => rewriteRuri(ctx, (u) => ({ ...u, host: String(host) })),
  },
  {
    module: '',
    name: 'setdsturi',
    params: [str('uri')],
    returns: 'bool',
    doc: 'Sets the destination URI ($du): where the request is sent, the R-URI unchanged.',
    impl: (ctx, uri) => {
      if (!tryUri(String(uri))) return false;
      ctx.dstUri = String(uri);
      return true;
    },
  },
  {
    module: '',
    name: 'resetdsturi',
    params: [],
    returns: 'bool',
    doc: 'Clears the destination URI ($du).',
    impl: (ctx) => {
      ctx.dstUri = null;
      return true;
    },
  },
  {
    module: '',
    name: 'isdsturiset',
    params: [],
    returns: 'bool',
    doc: 'True when $du is set.',
    impl: (ctx) => ctx.dstUri !== null,
  },
  {
    module: '',
    name: 'force_rport',
    params: [],
    returns: 'bool',
    doc: 'Acts as if the top Via had rport: replies go back to the source ip:port.',
    impl: (ctx) => {
      const via = ctx.msg.topVia;
      if (!via || !ctx.msg.isRequest) return false;
      if (via.rport === null) {
        ctx.msg.popVia();
        ctx.msg.pushVia(`${via.raw};rport`);
      }
      return true;
    },
  },
  {
    module: '',
    name: 'forward',
    params: [],
    returns: 'int',
    doc: 'Forwards the request statelessly to $du, else the R-URI; 1 when sent, -1 otherwise.',
    impl: async (ctx) => ((await ctx.core.forward(ctx, null)) ? 1 : -1),
  },
  {
    module: '',
    name: 'forward_uri',
    params: [str('uri')],
    returns: 'int',
    doc: 'Forwards the request statelessly to the given SIP URI; 1 when sent, -1 otherwise.',
    impl: async (ctx, uri) => ((await ctx.core.forward(ctx, String(uri))) ? 1 : -1),
  },
];

function flagFns(
  kind: 'flag' | 'bflag',
  max: number,
  get: (ctx: RouteContext) => number,
  set: (ctx: RouteContext, v: number) => void,
  what: string,
): KsrFunction[] {
  return [
    {
      module: '',
      name: `set${kind}`,
      params: [int('flag')],
      returns: 'bool',
      doc: `Sets ${what} flag (0..${max}).`,
      impl: (ctx, flag) => {
        const bit = flagBit(Number(flag), max);
        if (bit === null) return false;
        set(ctx, (get(ctx) | (1 << bit)) >>> 0);
        return true;
      },
    },
    {
      module: '',
      name: `reset${kind}`,
      params: [int('flag')],
      returns: 'bool',
      doc: `Resets ${what} flag (0..${max}).`,
      impl: (ctx, flag) => {
        const bit = flagBit(Number(flag), max);
        if (bit === null) return false;
        set(ctx, (get(ctx) & ~(1 << bit)) >>> 0);
        return true;
      },
    },
    {
      module: '',
      name: `is${kind}set`,
      params: [int('flag')],
      returns: 'bool',
      doc: `True when ${what} flag is set.`,
      impl: (ctx, flag) => {
        const bit = flagBit(Number(flag), max);
        return bit !== null && (get(ctx) & (1 << bit)) !== 0;
      },
    },
  ];
}

export const module: PolysipModule = { name: 'core', exports };
