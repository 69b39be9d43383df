/** KSR.tmx: route-type tests, early retransmission check, suspend/continue (Kamailio's tmx). */
import type { KsrFunction, PolysipModule } from '../../core/api/module.ts';
import { int, str } from '../../core/api/registry.ts';
import type { RouteContext } from '../../core/api/context.ts';
import { tmState } from '../../core/proxy/stateful.ts';
import { proxyOf, txnOf } from '../tm/tm.ts';
import { registerTmPvs } from './pv.ts';

registerTmPvs();

type Impl = (ctx: RouteContext, ...a: (string | number)[]) => number | Promise<number>;

function fn(name: string, params: KsrFunction['params'], doc: string, impl: Impl): KsrFunction {
  return { module: 'tmx', name, params, returns: 'int', doc, impl };
}

const is = (ok: boolean): number => (ok ? 1 : -1);

function cancelBranches(ctx: RouteContext, mode: string): number {
  const txn = txnOf(ctx);
  if (!txn) return -1;
  const idx = tmState(ctx).branchIdx;
  for (const b of txn.branches) {
    const self = b.idx === idx;
    if (mode === 'all' || (mode === 'others' && !self) || (mode === 'this' && self)) {
      txn.proxy.cancelBranch(b, null);
    }
  }
  return 1;
}

const exports: KsrFunction[] = [
  fn(
    't_precheck_trans',
    [],
    'True if another copy of this request is being routed right now.',
    (ctx) => is(tmState(ctx).precheck),
  ),
  fn('t_is_request_route', [], 'True in a request route.', (ctx) =>
    is(ctx.routeType === 'request'),
  ),
  fn('t_is_reply_route', [], 'True in a reply route.', (ctx) =>
    is(ctx.routeType === 'onreply' || ctx.routeType === 'reply'),
  ),
  fn('t_is_failure_route', [], 'True in a failure route.', (ctx) =>
    is(ctx.routeType === 'failure'),
  ),
  fn('t_is_branch_route', [], 'True in a branch route.', (ctx) => is(ctx.routeType === 'branch')),
  fn(
    't_suspend',
    [],
    'Suspends the transaction (created if needed); ids in $T(id_index)/$T(id_label).',
    (ctx) => {
      const p = proxyOf(ctx);
      return is(!!p?.suspend(ctx));
    },
  ),
  fn(
    't_continue',
    [int('tindex'), int('tlabel'), str('cbname')],
    'Resumes a suspended transaction by running the named function on its request.',
    async (ctx, index, label, name) => {
      const p = proxyOf(ctx);
      return p ? p.resume(Number(index), Number(label), String(name)) : -1;
    },
  ),
  fn('t_flush_flags', [], 'Copies the message flags into the transaction.', (ctx) => {
    const txn = txnOf(ctx);
    if (!txn) return -1;
    txn.flags = ctx.flags;
    return 1;
  }),
  fn('t_flush_xflags', [], 'Copies the extended flags into the transaction.', (ctx) => {
    const txn = txnOf(ctx);
    if (!txn) return -1;
    txn.xflags = ctx.xflags;
    return 1;
  }),
  fn('t_cancel_branches', [str('mode')], 'Cancels branches: "all", "others" or "this".', (ctx, m) =>
    cancelBranches(ctx, String(m)),
  ),
];

export const module: PolysipModule = { name: 'tmx', exports };
