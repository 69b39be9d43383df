/**
 * Message and value checks of Kamailio's siputils module. All return KEMI ints: 1 for true,
 * negative for false (some with a code saying why, as Kamailio does).
 */
import { isIP } from 'node:net';
import type { RouteContext } from '../../core/api/context.ts';
import { lnameOf } from '../../core/sip/headers.ts';
import { fromScriptText } from '../../core/sip/text.ts';
import type { SipUri } from '../../core/sip/types.ts';
import { parseUri } from '../../core/sip/uri.ts';
import { appendUriParam, joinSipUri, splitSipUri } from '../pv/uri-text.ts';

export function hasTotag(ctx: RouteContext): number {
  return ctx.msg.toTag ? 1 : -1;
}

function ruri(ctx: RouteContext, fn: string): SipUri | null {
  if (!ctx.msg.isRequest) {
    ctx.log('err', `siputils.${fn}: a reply has no R-URI\n`);
    return null;
  }
  try {
    return ctx.msg.ruriParsed();
  } catch {
    ctx.log('err', `siputils.${fn}: R-URI parsing failed\n`);
    return null;
  }
}

/**
 * Requests: first hop when there is a single Via. Replies: when the top Record-Route is this
 * server (mode 0 also wants an IP host and a source that is not that same address: a loop).
 */
export function isFirstHop(ctx: RouteContext, mode: number): number {
  if (ctx.msg.isRequest) {
    let n: number;
    try {
      n = ctx.msg.vias().length;
    } catch {
      return 1;
    }
    return n < 2 ? 1 : -1;
  }
  if (!ctx.msg.hasHeader('record-route')) return 1;
  let top: SipUri | undefined;
  try {
    top = ctx.msg.recordRoutes()[0]?.uri;
  } catch {
    return -1;
  }
  if (!top) return -1;
  const host = top.host.replace(/^\[|\]$/g, '');
  if (mode === 0 && isIP(host) === 0) return -1;
  const transport = top.params.find((p) => p.name.toLowerCase() === 'transport')?.value ?? null;
  if (!ctx.core.isMyself(top.host, top.port, transport)) return -1;
  if (mode === 0) {
    const proto = transport ? transport.toLowerCase() : 'udp';
    if (
      host === ctx.rcv.srcIp &&
      (top.port ?? 5060) === ctx.rcv.srcPort &&
      proto === ctx.rcv.transport
    )
      return -1;
  }
  return 1;
}

export function isUri(text: string): number {
  try {
    parseUri(fromScriptText(text));
    return 1;
  } catch {
    return -1;
  }
}

/**
 * uri_param(name) / uri_param_value(name, value): the R-URI has `;name` without value (or
 * `;name=value`). Names and values compare case-sensitively, as in Kamailio.
 */
export function uriParamValue(ctx: RouteContext, name: string, value: string | null): number {
  const u = ruri(ctx, 'uri_param');
  if (!u) return -1;
  const p = u.params.find((x) => x.name === fromScriptText(name));
  if (!p) return -1;
  if (value === null) return p.value === null || p.value === '' ? 1 : -1;
  return p.value === fromScriptText(value) ? 1 : -1;
}

export function uriParamAny(ctx: RouteContext, name: string): number {
  const u = ruri(ctx, 'uri_param_any');
  if (!u) return -1;
  const l = fromScriptText(name).toLowerCase();
  return u.params.some((x) => x.name.toLowerCase() === l) ? 1 : -1;
}

/** Removes `;name[=value]` from the R-URI text (other bytes untouched); 1 even when absent. */
export function uriParamRm(ctx: RouteContext, name: string): number {
  if (!ruri(ctx, 'uri_param_rm')) return -1;
  const parts = splitSipUri(ctx.msg.ruri);
  if (!parts) return 1;
  const q = parts.rest.indexOf('?');
  const params = q < 0 ? parts.rest : parts.rest.slice(0, q);
  const headers = q < 0 ? '' : parts.rest.slice(q);
  const l = fromScriptText(name).toLowerCase();
  const kept = params
    .split(';')
    .slice(1)
    .filter((seg) => {
      const eq = seg.indexOf('=');
      return (eq < 0 ? seg : seg.slice(0, eq)).trim().toLowerCase() !== l;
    });
  const rest = kept.map((s) => ';' + s).join('') + headers;
  if (rest !== parts.rest) ctx.msg.setRuri(joinSipUri({ ...parts, rest }));
  return 1;
}

/** Appends `;param` to the R-URI (before any `?headers`); an empty param is a no-op success. */
export function addUriParam(ctx: RouteContext, param: string): number {
  if (param === '') return 1;
  if (!ruri(ctx, 'add_uri_param')) return -1;
  try {
    ctx.msg.setRuri(appendUriParam(ctx.msg.ruri, fromScriptText(param)));
  } catch {
    ctx.log('err', `siputils.add_uri_param: result is not a valid URI\n`);
    return -1;
  }
  return 1;
}

const DIGITS = /^[0-9]+$/;

/** `+` then a non-zero digit then digits, or just digits. -2 when not. */
export function isTelNumber(v: string): number {
  if (v === '') return -2;
  if (v[0] === '+') return /^\+[1-9][0-9]*$/.test(v) ? 1 : -2;
  return DIGITS.test(v) ? 1 : -2;
}

export function isNumeric(v: string): number {
  return v !== '' && DIGITS.test(v) ? 1 : -2;
}

/** -2 for an empty value, -3 when a character is not alphanumeric (nor in `extra`). */
export function isAlphanumEx(v: string, extra: string): number {
  if (v === '') return -2;
  for (const ch of v) {
    if (/[0-9A-Za-z]/.test(ch)) continue;
    if (!extra.includes(ch)) return -3;
  }
  return 1;
}

/** 1 when the names designate the same header (compact forms included), else -1 / -2 by order. */
export function cmpHdrName(a: string, b: string): number {
  const la = lnameOf(a.trim());
  const lb = lnameOf(b.trim());
  return la === lb ? 1 : la > lb ? -1 : -2;
}
