/**
 * Location lookups: R-URI rewriting and branches (lookup, lookup_to_dset, lookup_branches),
 * registered/unregister and the $ulc-style contact profiles (reg_fetch_contacts).
 * Everything here reads usrloc's memory: no database on this path.
 */
import type { BranchEntry, RouteContext } from '../../core/api/context.ts';
import { parseNameAddrList } from '../../core/sip/nameaddr.ts';
import { parseUri } from '../../core/sip/uri.ts';
import type { SipUri } from '../../core/sip/types.ts';
import type { LocationRecord } from '../../core/store/types.ts';
import type { Usrloc } from '../usrloc/index.ts';
import type { RegistrarParams } from './save.ts';

export interface LookupDeps {
  readonly usrloc: Usrloc;
  readonly params: RegistrarParams;
}

function parsed(uri: string): SipUri | null {
  try {
    const u = parseUri(uri);
    return u.scheme === 'sip' || u.scheme === 'sips' ? u : null;
  } catch {
    return null;
  }
}

/** The AoR key in the location table of the route's tenant. */
function keyOf(usrloc: Usrloc, uri: SipUri, tenant: string): string | null {
  if (uri.user === null || uri.user === '') return null;
  return usrloc.aorKey(uri.user, uri.host, tenant);
}

/** Where a binding is reached: its first Path hop, its source over a stream, or its Contact. */
export function destinationOf(b: LocationRecord, params: RegistrarParams): string | null {
  if (b.path) {
    try {
      const first = parseNameAddrList(b.path)[0];
      if (first) return first.uri.raw;
    } catch {
      /* a broken Path is ignored, as if absent */
    }
  }
  if (b.received === null) return null;
  const stream = /;transport=(tcp|tls|ws|wss|sctp)$/i.test(b.received);
  if (stream || Number(params.nat_received ?? 0) !== 0) return b.received;
  return null;
}

function toBranch(b: LocationRecord, params: RegistrarParams): BranchEntry {
  return {
    uri: b.contact,
    dstUri: destinationOf(b, params),
    q: b.q < 0 ? null : b.q,
    path: b.path,
    flags: b.cflags,
    socket: b.socket,
    instance: b.instance,
    ruid: b.ruid,
  };
}

/** Live bindings allowed for this method; null = none registered, [] = none allowed. */
function candidates(deps: LookupDeps, ctx: RouteContext, uri: SipUri): LocationRecord[] | null {
  const key = keyOf(deps.usrloc, uri, ctx.tenant);
  if (key === null) return null;
  const all = deps.usrloc.get(key);
  if (all.length === 0) return null;
  if (Number(deps.params.method_filtering ?? 0) === 0 || !ctx.msg.isRequest) return all;
  const m = ctx.msg.method.toUpperCase();
  return all.filter((b) => b.methods === '' || b.methods.split(',').includes(m));
}

/** lookup / lookup_uri: 1 found, -1 not found, -2 method not allowed, -3 error. */
export function lookup(deps: LookupDeps, ctx: RouteContext, uriText: string | null): number {
  if (!ctx.msg.isRequest) return -3;
  const uri = parsed(uriText ?? ctx.msg.ruri);
  if (!uri) return -1;
  const found = candidates(deps, ctx, uri);
  if (found === null) return -1;
  if (found.length === 0) return -2;
  const [first, ...rest] = found;
  ctx.msg.setRuri(first!.contact);
  ctx.dstUri = destinationOf(first!, deps.params);
  ctx.bflags = first!.cflags;
  if (first!.path) {
    // The route set toward the UA (RFC 3327 §5): Path values become Route headers.
    let hops: string[] = [];
    try {
      hops = parseNameAddrList(first!.path).map((a) => a.raw);
    } catch {
      /* a broken Path is ignored, as if absent */
    }
    for (const h of hops.reverse()) ctx.msg.prependHeader('Route', h);
  }
  if (Number(deps.params.append_branches ?? 1) !== 0) {
    for (const b of rest) ctx.branches.push(toBranch(b, deps.params));
  }
  return 1;
}

/** lookup_to_dset: every contact becomes a branch; the R-URI is untouched. */
export function lookupToDset(deps: LookupDeps, ctx: RouteContext, uriText: string): number {
  const uri = parsed(uriText || ctx.msg.ruri);
  if (!uri) return -1;
  const found = candidates(deps, ctx, uri);
  if (found === null) return -1;
  if (found.length === 0) return -2;
  for (const b of found) ctx.branches.push(toBranch(b, deps.params));
  return 1;
}

/** lookup_branches: lookup for the R-URI and for every branch URI; unknown branches stay. */
export function lookupBranches(deps: LookupDeps, ctx: RouteContext): number {
  const old = ctx.branches.splice(0, ctx.branches.length);
  let any = lookup(deps, ctx, null) === 1;
  for (const br of old) {
    const uri = parsed(br.uri);
    const found = uri ? candidates(deps, ctx, uri) : null;
    if (!found || found.length === 0) {
      ctx.branches.push(br);
      continue;
    }
    any = true;
    for (const b of found) ctx.branches.push(toBranch(b, deps.params));
  }
  return any ? 1 : -1;
}

export function registered(deps: LookupDeps, ctx: RouteContext, uriText: string | null): number {
  const uri = parsed(uriText ?? ctx.msg.ruri);
  if (!uri) return -1;
  const key = keyOf(deps.usrloc, uri, ctx.tenant);
  return key !== null && deps.usrloc.get(key).length > 0 ? 1 : -1;
}

export function unregister(
  deps: LookupDeps,
  tenant: string,
  uriText: string,
  ruid: string | null,
): number {
  const uri = parsed(uriText);
  if (!uri) return -1;
  const key = keyOf(deps.usrloc, uri, tenant);
  if (key === null) return -1;
  if (ruid === null) {
    deps.usrloc.removeAor(key);
    return 1;
  }
  return deps.usrloc.remove(key, ruid) ? 1 : -1;
}

// --- contact profiles ($ulc): reg_fetch_contacts / ulc_rget / ulc_cget

export const ULC_KEY = 'registrar:ulc';

interface Profile {
  readonly aor: string;
  readonly domain: string;
  readonly contacts: readonly LocationRecord[];
}

function profiles(ctx: RouteContext): Map<string, Profile> {
  let m = ctx.ext.get(ULC_KEY) as Map<string, Profile> | undefined;
  if (!m) {
    m = new Map();
    ctx.ext.set(ULC_KEY, m);
  }
  return m;
}

export function fetchContacts(
  deps: LookupDeps,
  ctx: RouteContext,
  uriText: string,
  profile: string,
): number {
  const uri = parsed(uriText);
  if (!uri) return -1;
  const key = keyOf(deps.usrloc, uri, ctx.tenant);
  if (key === null) return -1;
  const contacts = deps.usrloc.get(key);
  // The profile shows the AoR as the script wrote it, without the tenant prefix.
  const aor = deps.usrloc.aorKey(uri.user, uri.host);
  profiles(ctx).set(profile, { aor, domain: uri.host.toLowerCase(), contacts });
  return contacts.length > 0 ? 1 : -1;
}

export function freeContacts(ctx: RouteContext, profile: string): number {
  profiles(ctx).delete(profile);
  return 1;
}

export function ulcRget(ctx: RouteContext, profile: string, attr: string): string | number | null {
  const p = profiles(ctx).get(profile);
  if (!p) return null;
  switch (attr) {
    case 'aor':
      return p.aor;
    case 'domain':
      return p.domain;
    case 'count':
      return p.contacts.length;
    default:
      return null;
  }
}

export function ulcCget(
  deps: LookupDeps,
  ctx: RouteContext,
  profile: string,
  attr: string,
  idx: number,
): string | number | null {
  const c = profiles(ctx).get(profile)?.contacts[idx];
  if (!c) return null;
  switch (attr) {
    case 'addr':
      return c.contact;
    case 'path':
      return c.path;
    case 'received':
      return c.received;
    case 'expires':
      return Math.max(0, c.expires - deps.usrloc.now());
    case 'callid':
      return c.callId;
    case 'q':
      return c.q < 0 ? -1 : Math.round(c.q * 1000);
    case 'cseq':
      return c.cseq;
    case 'flags':
    case 'cflags':
      return c.cflags;
    case 'user_agent':
      return c.userAgent;
    case 'socket':
      return c.socket;
    case 'modified':
      return c.lastModified;
    case 'methods':
      return c.methods;
    case 'instance':
      return c.instance;
    case 'reg_id':
      return c.regId;
    case 'ruid':
      return c.ruid;
    default:
      return null;
  }
}
