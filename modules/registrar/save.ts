/**
 * REGISTER processing (RFC 3261 §10.3, RFC 3327 Path, RFC 5626 instance/reg-id): check,
 * plan every binding change, refuse the whole request if one contact is out of order, then
 * apply the plan to usrloc and answer 200 with every current binding.
 */
import { randomBytes } from 'node:crypto';
import type { RouteContext } from '../../core/api/context.ts';
import { hostForUri } from '../../core/proxy/target.ts';
import { parseUri } from '../../core/sip/uri.ts';
import type { NameAddr, SipUri } from '../../core/sip/types.ts';
import type { LocationRecord } from '../../core/store/types.ts';
import { replyNow } from '../sl/index.ts';
import type { Usrloc } from '../usrloc/index.ts';

/** Modparams of registrar, named as Kamailio's. */
export interface RegistrarParams {
  readonly default_expires?: number;
  readonly min_expires?: number;
  readonly max_expires?: number;
  /** 0 = unlimited. */
  readonly max_contacts?: number;
  /** 1 (polysip default): an expires below min_expires gets 423; 0: raised to min_expires. */
  readonly min_expires_mode?: number;
  /** Honour the contact's Allow methods in lookup (-2 when none accepts the method). */
  readonly method_filtering?: number;
  /** Store Path headers (RFC 3327); 1 by default here. */
  readonly use_path?: number;
  /** Add the other contacts as branches in lookup (1 = yes, the default). */
  readonly append_branches?: number;
  /** 1: lookup sends to the source address of the REGISTER (NAT) even over UDP. */
  readonly nat_received?: number;
}

export const SAVE_MEM_ONLY = 1;
export const SAVE_NO_REPLY = 2;
export const SAVE_SINGLE_CONTACT = 4;
export const SAVE_NO_EXPIRE_RANGE = 8;
export const SAVE_PREPARE_REPLY = 0x10;

/** Headers prepared by save(…, 0x10) for reg_send_reply. */
export const PREPARED_REPLY_KEY = 'registrar:reply';

export interface PreparedReply {
  readonly status: number;
  readonly reason: string;
  readonly headers: [string, string][];
}

interface Planned {
  readonly contact: NameAddr;
  readonly expires: number;
  readonly q: number;
  readonly instance: string | null;
  readonly regId: number;
  readonly existing: LocationRecord | null;
}

class Refusal {
  constructor(
    readonly status: number,
    readonly reason: string,
    readonly code: number,
    readonly headers: [string, string][] = [],
  ) {}
}

function param(a: NameAddr, name: string): string | null | undefined {
  for (const p of a.params) if (p.name.toLowerCase() === name) return p.value;
  return undefined;
}

function unquote(v: string): string {
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

function parseExpires(v: string | null | undefined): number | null {
  if (v === null || v === undefined) return null;
  const t = v.trim();
  if (!/^\d{1,10}$/.test(t)) return null;
  return Math.min(Number(t), 2 ** 32 - 1);
}

function parseQ(v: string | null | undefined): number | Refusal {
  if (v === undefined || v === null) return -1;
  if (!/^(0(\.\d{0,3})?|1(\.0{0,3})?)$/.test(v.trim())) {
    return new Refusal(400, 'Invalid q value', -1);
  }
  return Number(v.trim());
}

export function newRuid(): string {
  return 'uloc-' + randomBytes(9).toString('hex');
}

/** `sip:ip:port;transport=x` for the source of the message (NAT traversal, connection reuse). */
export function receivedUri(ctx: RouteContext): string {
  const t = ctx.rcv.transport;
  return `sip:${hostForUri(ctx.rcv.srcIp)}:${ctx.rcv.srcPort}${t === 'udp' ? '' : `;transport=${t}`}`;
}

export function socketOf(ctx: RouteContext): string {
  return `${ctx.rcv.transport}:${hostForUri(ctx.rcv.dstIp)}:${ctx.rcv.dstPort}`;
}

/** Contact header values for the 200: every live binding with its remaining lifetime. */
export function bindingHeaders(
  bindings: readonly LocationRecord[],
  now: number,
): [string, string][] {
  return bindings.map((b) => {
    let v = `<${b.contact}>;expires=${Math.max(0, b.expires - now)}`;
    if (b.q >= 0) v += `;q=${formatQ(b.q)}`;
    if (b.instance !== null) v += `;+sip.instance=${b.instance}`;
    if (b.regId > 0) v += `;reg-id=${b.regId}`;
    return ['Contact', v] as [string, string];
  });
}

function formatQ(q: number): string {
  return q === 1 ? '1' : q === 0 ? '0' : String(Math.round(q * 1000) / 1000);
}

/** AoR key of a To (or given) URI; a Refusal when it is not a SIP/SIPS URI. */
export function aorOf(usrloc: Usrloc, uri: SipUri | null, tenant = ''): string | Refusal {
  if (!uri || (uri.scheme !== 'sip' && uri.scheme !== 'sips')) {
    return new Refusal(400, 'Bad To: AoR must be a SIP or SIPS URI', -1);
  }
  if (uri.user === null || uri.user === '') return new Refusal(400, 'Bad To: no user', -1);
  return usrloc.aorKey(uri.user, uri.host, tenant);
}

export interface SaveDeps {
  readonly usrloc: Usrloc;
  readonly params: RegistrarParams;
}

/** KSR.registrar.save / save_uri. Synchronous: the reply is handed to the transport at once. */
export function save(
  deps: SaveDeps,
  ctx: RouteContext,
  flags: number,
  aorUri: string | null,
): number {
  const msg = ctx.msg;
  if (!msg.isRequest || msg.method !== 'REGISTER') return -1;
  let outcome: { code: number; status: number; reason: string; headers: [string, string][] };
  try {
    outcome = plan(deps, ctx, flags, aorUri);
  } catch (e) {
    const r =
      e instanceof Refusal
        ? e
        : new Refusal(400, `Bad Request (${(e as Error).message.replace(/[\r\n]/g, ' ')})`, -1);
    outcome = { code: r.code, status: r.status, reason: r.reason, headers: r.headers };
  }
  if (flags & SAVE_PREPARE_REPLY) {
    ctx.ext.set(PREPARED_REPLY_KEY, {
      status: outcome.status,
      reason: outcome.reason,
      headers: outcome.headers,
    } satisfies PreparedReply);
  }
  if (!(flags & SAVE_NO_REPLY) && !(flags & SAVE_PREPARE_REPLY)) {
    replyNow(ctx, outcome.status, outcome.reason, { headers: outcome.headers });
  }
  return outcome.code;
}

function plan(
  deps: SaveDeps,
  ctx: RouteContext,
  flags: number,
  aorUri: string | null,
): { code: number; status: number; reason: string; headers: [string, string][] } {
  const { usrloc, params } = deps;
  const msg = ctx.msg;
  const now = usrloc.now();
  const toUri = aorUri !== null ? parseUri(aorUri) : (msg.to()?.uri ?? null);
  const aor = aorOf(usrloc, toUri, ctx.tenant);
  if (aor instanceof Refusal) throw aor;

  const star = msg.contactStar();
  const contacts = star ? [] : msg.contacts();
  const headerExpires = parseExpires(msg.header('expires'));
  const memOnly = (flags & SAVE_MEM_ONLY) !== 0;
  const extra: [string, string][] = [];
  if (Number(params.use_path ?? 1) !== 0 && msg.hasHeader('path')) {
    const supported = msg.headerValues('supported').some((v) => v.trim().toLowerCase() === 'path');
    if (supported) for (const p of msg.headerValues('path')) extra.push(['Path', p]);
  }

  if (star) {
    // RFC 3261 §10.3 step 6: '*' only alone and only with Expires: 0.
    if (msg.headerValues('contact').length !== 1 || headerExpires !== 0) {
      throw new Refusal(400, 'Invalid Contact: * needs Expires: 0 and no other contact', -1);
    }
    const existing = usrloc.get(aor);
    for (const b of existing) {
      if (b.callId === msg.callId && b.cseq >= (msg.cseq?.seq ?? 0)) {
        throw new Refusal(400, 'Invalid CSeq number', -1);
      }
    }
    usrloc.removeAor(aor, memOnly);
    return { code: 3, status: 200, reason: 'OK', headers: extra };
  }

  const existing = usrloc.get(aor);
  if (contacts.length === 0) {
    return {
      code: 4,
      status: 200,
      reason: 'OK',
      headers: [...bindingHeaders(existing, now), ...extra],
    };
  }

  const min = Number(params.min_expires ?? 60);
  const max = Number(params.max_expires ?? 0);
  const dflt = Number(params.default_expires ?? 3600);
  const seq = msg.cseq?.seq ?? 0;
  const planned: Planned[] = [];
  for (const c of contacts) {
    let e = parseExpires(param(c, 'expires')) ?? headerExpires ?? dflt;
    if (e !== 0 && !(flags & SAVE_NO_EXPIRE_RANGE)) {
      if (min > 0 && e < min) {
        if (Number(params.min_expires_mode ?? 1) !== 0) {
          throw new Refusal(423, 'Interval Too Brief', -1, [['Min-Expires', String(min)]]);
        }
        e = min;
      }
      if (max > 0 && e > max) e = max;
    }
    const q = parseQ(param(c, 'q'));
    if (q instanceof Refusal) throw q;
    const inst = param(c, '+sip.instance');
    const instance = inst === undefined || inst === null ? null : inst;
    const regId = Number(param(c, 'reg-id') ?? 0) || 0;
    const match =
      existing.find((b) =>
        instance !== null
          ? b.instance !== null &&
            unquote(b.instance) === unquote(instance) &&
            (regId === 0 || b.regId === regId)
          : b.instance === null && b.contact === c.uri.raw,
      ) ?? null;
    // §10.3 step 7: same Call-ID needs a higher CSeq, or the whole request fails.
    if (match && match.callId === msg.callId && seq <= match.cseq) {
      throw new Refusal(400, 'Invalid CSeq number', -1);
    }
    // Two contacts of one request that designate the same binding: the last one wins.
    const dup = planned.findIndex((p) =>
      instance !== null
        ? p.instance === instance && p.regId === regId
        : p.contact.uri.raw === c.uri.raw,
    );
    if (dup >= 0) planned.splice(dup, 1);
    planned.push({ contact: c, expires: e, q, instance, regId, existing: match });
  }

  // Count what the AoR will hold before touching anything.
  const single = (flags & SAVE_SINGLE_CONTACT) !== 0;
  const kept = single
    ? 0
    : existing.filter((b) => !planned.some((p) => p.existing?.ruid === b.ruid)).length;
  const added = planned.filter((p) => p.expires > 0).length;
  const maxContacts = Number(params.max_contacts ?? 0);
  if (maxContacts > 0 && kept + added > maxContacts) {
    return { code: -2, status: 503, reason: 'Too many registered contacts', headers: [] };
  }

  let inserted = 0;
  let updated = 0;
  let deleted = 0;
  if (single) {
    for (const b of existing) {
      if (!planned.some((p) => p.existing?.ruid === b.ruid)) {
        usrloc.remove(aor, b.ruid, memOnly);
        deleted++;
      }
    }
  }
  const path =
    Number(params.use_path ?? 1) !== 0 && msg.hasHeader('path')
      ? msg.headerValues('path').join(',')
      : null;
  const methods = msg
    .headerValues('allow')
    .map((m) => m.trim().toUpperCase())
    .join(',');
  for (const p of planned) {
    if (p.expires === 0) {
      if (p.existing) {
        usrloc.remove(aor, p.existing.ruid, memOnly);
        deleted++;
      }
      continue;
    }
    usrloc.put(
      {
        ruid: p.existing?.ruid ?? newRuid(),
        aor,
        contact: p.contact.uri.raw,
        received: receivedUri(ctx),
        path,
        expires: now + p.expires,
        q: p.q,
        callId: msg.callId ?? '',
        cseq: seq,
        cflags: ctx.bflags,
        userAgent: msg.header('user-agent') ?? '',
        socket: socketOf(ctx),
        methods,
        instance: p.instance,
        regId: p.regId,
        lastModified: now,
      },
      memOnly,
    );
    if (p.existing) updated++;
    else inserted++;
  }
  const code = inserted > 0 ? 1 : updated > 0 ? 2 : deleted > 0 ? 3 : 4;
  return {
    code,
    status: 200,
    reason: 'OK',
    headers: [...bindingHeaders(usrloc.get(aor), now), ...extra],
  };
}
