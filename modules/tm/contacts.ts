/**
 * Serial forking by q value (t_load_contacts / t_next_contacts): the destination set is
 * sorted into the `tm_contacts` xavp, then handed out one q group at a time.
 */
import type { PvValue, RouteContext } from '../../core/api/context.ts';

const XAVP = 'tm_contacts';

interface Contact {
  uri: string;
  dstUri: string | null;
  path: string | null;
  flags: number;
  q: number;
}

export function tLoadContacts(ctx: RouteContext): number {
  if (!ctx.msg.isRequest) return -1;
  if (ctx.branches.length === 0) return 1; // one destination: nothing to order
  const all: Contact[] = [
    { uri: ctx.msg.ruri, dstUri: ctx.dstUri, path: null, flags: ctx.bflags, q: 1 },
  ];
  for (const b of ctx.branches) {
    all.push({ uri: b.uri, dstUri: b.dstUri, path: b.path, flags: b.flags, q: b.q ?? 1 });
  }
  if (all.every((c) => c.q === all[0]!.q)) return 1; // parallel forking as usual
  // Stable sort, highest q first; the xavp list is newest-first, so store it reversed.
  const sorted = all.map((c, i) => ({ c, i })).sort((a, b) => b.c.q - a.c.q || a.i - b.i);
  const records: Map<string, PvValue>[] = [];
  for (const { c } of sorted) {
    const r = new Map<string, PvValue>([
      ['uri', c.uri],
      ['flags', c.flags],
      ['q', Math.round(c.q * 1000)],
    ]);
    if (c.dstUri !== null) r.set('dst_uri', c.dstUri);
    if (c.path !== null) r.set('path', c.path);
    records.push(r);
  }
  ctx.xavps.set(XAVP, records);
  ctx.branches.length = 0;
  return 1;
}

export function tNextContacts(ctx: RouteContext): number {
  const list = ctx.xavps.get(XAVP);
  if (!list || list.length === 0) {
    ctx.xavps.delete(XAVP);
    return -1;
  }
  const q = list[0]!.get('q');
  let n = 0;
  while (n < list.length && list[n]!.get('q') === q) n++;
  const group = list.splice(0, n);
  if (list.length === 0) ctx.xavps.delete(XAVP);
  const first = group[0]!;
  ctx.msg.setRuri(String(first.get('uri')));
  ctx.dstUri = first.has('dst_uri') ? String(first.get('dst_uri')) : null;
  ctx.bflags = Number(first.get('flags') ?? 0);
  for (const r of group.slice(1)) {
    ctx.branches.push({
      uri: String(r.get('uri')),
      dstUri: r.has('dst_uri') ? String(r.get('dst_uri')) : null,
      q: Number(r.get('q')) / 1000,
      path: r.has('path') ? String(r.get('path')) : null,
      flags: Number(r.get('flags') ?? 0),
      socket: null,
      instance: null,
      ruid: null,
    });
  }
  return 1;
}
