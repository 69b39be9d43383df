/**
 * The transaction pseudo-variables tmx provides: $T_reply_code, $T_reply_reason,
 * $T_reply_last, $T_branch_idx, $T(name), and $T_req(pv)/$T_rpl(pv)/$T_inv(pv), which
 * evaluate a PV on the transaction's request or its picked reply.
 */
import type { PvValue, RouteContext } from '../../core/api/context.ts';
import { newRouteContext } from '../../core/api/context.ts';
import { tmState } from '../../core/proxy/stateful.ts';
import type { SipMessage } from '../../core/sip/types.ts';
import { getPv, registerPvClass } from '../pv/pvapi.ts';
import { statusCode, txnOf } from '../tm/tm.ts';

function replyCode(ctx: RouteContext): PvValue | null {
  if (!ctx.msg.isRequest) return ctx.msg.status;
  const txn = txnOf(ctx);
  if (!txn) return null;
  const s = statusCode(ctx);
  return s > 0 ? s : 0;
}

function replyReason(ctx: RouteContext): PvValue | null {
  if (!ctx.msg.isRequest) return ctx.msg.reason;
  const txn = txnOf(ctx);
  if (!txn) return null;
  const b = txn.branches[txn.picked];
  if (ctx.routeType === 'failure' && b) return b.reason;
  if (txn.replyReason !== '') return txn.replyReason;
  return b ? b.reason : null;
}

function branchIdx(ctx: RouteContext): PvValue | null {
  const idx = tmState(ctx).branchIdx;
  return idx >= 0 ? idx : 0;
}

function lastReply(ctx: RouteContext): PvValue | null {
  const txn = txnOf(ctx);
  if (!txn) return null;
  let best = 0;
  for (const b of txn.branches) if (b.ct && b.ct.lastStatus > best) best = b.ct.lastStatus;
  return best > 0 ? String(best) : null;
}

/** $T_rpl(pv), $T_req(pv): the inner PV read on another message of the transaction. */
function onMessage(ctx: RouteContext, msg: SipMessage | null, pv: string | null): PvValue | null {
  if (!msg || pv === null || !pv.startsWith('$')) return null;
  const other = newRouteContext({
    msg,
    rcv: ctx.rcv,
    routeType: ctx.routeType,
    core: ctx.core,
    log: ctx.log,
    tenant: ctx.tenant,
    script: ctx.script,
  });
  return getPv(other, pv);
}

function pickedReply(ctx: RouteContext): SipMessage | null {
  if (!ctx.msg.isRequest) return ctx.msg;
  const txn = txnOf(ctx);
  return txn?.branches[txn.picked]?.reply ?? null;
}

let registered = false;

/** Registers the $T_* classes with the pv module (once per process). */
export function registerTmPvs(): void {
  if (registered) return;
  registered = true;
  registerPvClass('T_reply_code', { get: (ctx) => replyCode(ctx) });
  registerPvClass('T_reply_reason', { get: (ctx) => replyReason(ctx) });
  registerPvClass('T_reply_last', { get: (ctx) => lastReply(ctx) });
  registerPvClass('T_branch_idx', { get: (ctx) => branchIdx(ctx) });
  registerPvClass('T_rpl', { get: (ctx, p) => onMessage(ctx, pickedReply(ctx), p) });
  registerPvClass('T_req', {
    get: (ctx, p) => onMessage(ctx, txnOf(ctx)?.request ?? null, p),
  });
  registerPvClass('T_inv', {
    get: (ctx, p) => onMessage(ctx, txnOf(ctx)?.request ?? null, p),
  });
  registerPvClass('T', {
    get: (ctx, p) => {
      const txn = txnOf(ctx);
      if (!txn) return null;
      switch (p) {
        case 'id_index':
          return txn.index;
        case 'id_label':
          return txn.label;
        case 'reply_code':
          return replyCode(ctx);
        case 'reply_reason':
          return replyReason(ctx);
        case 'branch_index':
          return branchIdx(ctx);
        case 'reply_type':
          return txn.branches[txn.picked]?.reply ? 0 : 1;
        default:
          return null;
      }
    },
  });
}
