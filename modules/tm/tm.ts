/**
 * Logic of the tm functions: thin adapters from KEMI calls to the core's stateful proxy
 * (`ctx.core.transactions`). Return codes follow Kamailio's KEMI exports.
 */
import type { RouteContext } from '../../core/api/context.ts';
import {
  ProxyTransaction,
  tmState,
  type RelayOptions,
  type StatefulProxy,
} from '../../core/proxy/stateful.ts';
import type { Transport } from '../../core/sip/types.ts';
import {
  LAST_ERROR_KEY,
  STATEFUL_REPLY_KEY,
  type LastError,
  type StatefulReply,
} from '../sl/index.ts';

const bound = new WeakSet<StatefulProxy>();

/** Every context bound to a transaction answers sl.send_reply statefully. */
function binder(ctx: RouteContext): void {
  // Passed inline, not bound to a name: tsx (esbuild keepNames) would rename it per context.
  ctx.ext.set(
    STATEFUL_REPLY_KEY,
    (async (status: number, reason: string) =>
      (await tReply(ctx, status, reason)) > 0) satisfies StatefulReply,
  );
}

export function proxyOf(ctx: RouteContext): StatefulProxy | null {
  const p = ctx.core.transactions;
  if (!p) return null;
  if (!bound.has(p)) {
    bound.add(p);
    p.addBinder(binder);
  }
  return p;
}

export function txnOf(ctx: RouteContext): ProxyTransaction | null {
  proxyOf(ctx);
  return tmState(ctx).txn;
}

function validStatus(code: number): boolean {
  return Number.isInteger(code) && code >= 100 && code <= 699;
}

export async function tRelay(ctx: RouteContext, opts: RelayOptions = {}): Promise<number> {
  const p = proxyOf(ctx);
  if (!p) {
    ctx.log('err', 'tm: no transaction support in this server\n');
    return -1;
  }
  const code = await p.relay(ctx, opts);
  if (code < 0) {
    const e = tmState(ctx).lastError;
    if (e) ctx.ext.set(LAST_ERROR_KEY, e satisfies LastError);
  }
  return code;
}

/** `proto:host:port` / `host:port` / `host` as Kamailio's t_relay_to_proxy accepts. */
export function proxyUri(spec: string): string | null {
  const m = /^(?:(udp|tcp|tls|ws|wss|sctp):)?(\[[^\]]+\]|[^:;]+)(?::(\d+))?$/i.exec(spec.trim());
  if (!m) return null;
  const proto = m[1]?.toLowerCase();
  return `sip:${m[2]}${m[3] ? `:${m[3]}` : ''}${proto && proto !== 'udp' ? `;transport=${proto}` : ''}`;
}

export function transportOf(proto: string): Transport | null {
  const p = proto.trim().toLowerCase();
  return p === 'udp' || p === 'tcp' || p === 'tls' || p === 'ws' || p === 'wss' || p === 'sctp'
    ? p
    : null;
}

export function tNewtran(ctx: RouteContext): number {
  const p = proxyOf(ctx);
  if (!p) return -1;
  return p.newTransaction(ctx).code;
}

export async function tReply(ctx: RouteContext, code: number, reason: string): Promise<number> {
  const txn = txnOf(ctx);
  if (!txn || !validStatus(code)) return -1;
  if (!txn.replyLocal(code, reason)) return -1;
  ctx.replied = true;
  return 1;
}

export async function tSendReply(ctx: RouteContext, code: number, reason: string): Promise<number> {
  if (!validStatus(code) || !ctx.msg.isRequest || ctx.msg.method === 'ACK') return -1;
  if (!txnOf(ctx)) {
    const r = tNewtran(ctx);
    if (r <= 0) return r;
  }
  return tReply(ctx, code, reason);
}

export async function tReplyError(ctx: RouteContext): Promise<number> {
  const e = ctx.ext.get(LAST_ERROR_KEY) as LastError | undefined;
  return tReply(ctx, e?.status ?? 500, e?.reason ?? 'Server Internal Error');
}

export function tCheckTrans(ctx: RouteContext): number {
  const p = proxyOf(ctx);
  return p ? p.checkTransaction(ctx) : -1;
}

const CALLBACKS = [
  'failure_route',
  'branch_route',
  'onreply_route',
  'branch_failure_route',
] as const;
type CallbackKind = (typeof CALLBACKS)[number];

/** Arms a callback by function name; "" disarms. On the transaction if one is bound. */
const CALLBACK_FN: Record<CallbackKind, string> = {
  failure_route: 't_on_failure',
  branch_route: 't_on_branch',
  onreply_route: 't_on_reply',
  branch_failure_route: 't_on_branch_failure',
};

export function tOn(ctx: RouteContext, kind: CallbackKind, name: string): number {
  // Kamailio only finds a misspelt callback when it is due, and then silently skips it;
  // checking at arming time names the mistake on the line that made it.
  if (name !== '' && !ctx.script.hasFunction(name)) {
    ctx.log('err', `${CALLBACK_FN[kind]}: the script has no function "${name}"; nothing armed`);
    return -1;
  }
  const st = tmState(ctx);
  const txn = txnOf(ctx);
  switch (kind) {
    case 'failure_route':
      if (txn) txn.onFailure = name;
      else st.onFailure = name;
      break;
    case 'branch_route':
      if (txn) txn.onBranch = name;
      else st.onBranch = name;
      break;
    case 'onreply_route':
      if (txn) txn.onReply = name;
      else st.onReply = name;
      break;
    case 'branch_failure_route':
      if (txn) txn.onBranchFailure = name;
      else st.onBranchFailure = name;
      break;
  }
  return 1;
}

export function tIsSet(ctx: RouteContext, what: string): number {
  const st = tmState(ctx);
  const txn = txnOf(ctx);
  let v: string | null;
  switch (what) {
    case 'failure_route':
      v = st.onFailure ?? txn?.onFailure ?? '';
      break;
    case 'branch_route':
      v = st.onBranch ?? txn?.onBranch ?? '';
      break;
    case 'onreply_route':
      v = st.onReply ?? txn?.onReply ?? '';
      break;
    case 'branch_failure_route':
      v = st.onBranchFailure ?? txn?.onBranchFailure ?? '';
      break;
    default:
      ctx.log('err', `tm.t_is_set: unknown target "${what}"\n`);
      return -1;
  }
  return v !== '' ? 1 : -1;
}

/** The branch a failure/onreply/branch route is about. */
function currentBranch(ctx: RouteContext) {
  const txn = txnOf(ctx);
  if (!txn) return null;
  const idx = tmState(ctx).branchIdx;
  return txn.branches[idx >= 0 ? idx : txn.picked] ?? null;
}

export const tBranchTimeout = (ctx: RouteContext): number =>
  currentBranch(ctx)?.timedOut ? 1 : -1;
export const tBranchReplied = (ctx: RouteContext): number => (currentBranch(ctx)?.replied ? 1 : -1);
export const tAnyTimeout = (ctx: RouteContext): number =>
  txnOf(ctx)?.branches.some((b) => b.timedOut) ? 1 : -1;
export const tAnyReplied = (ctx: RouteContext): number =>
  txnOf(ctx)?.branches.some((b) => b.replied) ? 1 : -1;
export const tIsCanceled = (ctx: RouteContext): number => (txnOf(ctx)?.canceled ? 1 : -1);

/** The status a route sees: the reply in reply routes, the picked one in failure routes. */
export function statusCode(ctx: RouteContext): number {
  if (!ctx.msg.isRequest) return ctx.msg.status;
  const txn = txnOf(ctx);
  if (!txn) return -1;
  if (ctx.routeType === 'failure') {
    const b = txn.branches[txn.picked];
    if (b) return b.status;
  }
  if (txn.uas.lastStatus > 0) return txn.uas.lastStatus;
  const b = txn.branches[txn.picked];
  return b ? b.status : -1;
}

const regexCache = new Map<string, RegExp | null>();
function compile(re: string): RegExp | null {
  let r = regexCache.get(re);
  if (r === undefined) {
    try {
      r = new RegExp(re);
    } catch {
      r = null;
    }
    if (regexCache.size > 256) regexCache.clear();
    regexCache.set(re, r);
  }
  return r;
}

export function tCheckStatus(ctx: RouteContext, re: string): number {
  const rx = compile(re);
  if (!rx) {
    ctx.log('err', `tm.t_check_status: bad regular expression ${JSON.stringify(re)}\n`);
    return -1;
  }
  const s = statusCode(ctx);
  return s > 0 && rx.test(String(s)) ? 1 : -1;
}

export function tGrepStatus(ctx: RouteContext, code: number): number {
  return txnOf(ctx)?.branches.some((b) => b.status === code) ? 1 : -1;
}

export function tSetFr(ctx: RouteContext, frInv: number, fr: number): number {
  const p = proxyOf(ctx);
  const cfg = p?.layer.config;
  const inv = frInv > 0 ? frInv : (cfg?.frInv ?? 0);
  const nonInv = fr > 0 ? fr : (cfg?.fr ?? 0);
  const txn = txnOf(ctx);
  if (txn) {
    txn.frInv = inv;
    txn.fr = nonInv;
  } else {
    const st = tmState(ctx);
    st.frInv = inv;
    st.fr = nonInv;
  }
  return 1;
}

export function tResetFr(ctx: RouteContext): number {
  return tSetFr(ctx, 0, 0);
}

export function tSaveLumps(ctx: RouteContext): number {
  const txn = txnOf(ctx);
  if (!txn || !ctx.msg.isRequest) return -1;
  txn.request = ctx.msg.clone();
  return 1;
}

/** a: every reply so far, l: the last branch set's, n: none. */
export function tDropReplies(ctx: RouteContext, mode: string): number {
  const txn = txnOf(ctx);
  if (!txn) return -1;
  const m = mode === '' ? 'a' : mode[0];
  if (m === 'n') return 1;
  for (const b of txn.branches) {
    if (m === 'a' || !b.dropped) b.dropped = true;
  }
  return 1;
}

export function tGetBranchIndex(ctx: RouteContext): number {
  const st = tmState(ctx);
  if (st.branchIdx >= 0) return st.branchIdx;
  const txn = txnOf(ctx);
  return txn ? txn.branches.length : -1;
}

export function tGetStatusCode(ctx: RouteContext): number {
  const txn = txnOf(ctx);
  if (!txn) return -1;
  return statusCode(ctx);
}

export function tLookupRequest(ctx: RouteContext): number {
  if (!ctx.msg.isRequest) return -1;
  const p = proxyOf(ctx);
  return p?.layer.findServer(ctx.msg) ? 1 : -1;
}

export function tLookupCancel(ctx: RouteContext): number {
  if (ctx.msg.method !== 'CANCEL') return -1;
  const p = proxyOf(ctx);
  return p?.layer.findInviteForCancel(ctx.msg)?.owner ? 1 : -1;
}

export function tRetransmitReply(ctx: RouteContext): number {
  const txn = txnOf(ctx);
  const last = txn?.uas.lastResponse;
  if (!txn || !last) return -1;
  void txn.proxy.layer.send(txn.uas.target, last);
  return 1;
}

export function tRelease(ctx: RouteContext): number {
  const txn = txnOf(ctx);
  if (!txn) return -1;
  if (!txn.uas.finalSent) return -1;
  return 1;
}
