/** KSR.tm: transactions and stateful relaying (Kamailio's tm module). */
import type { KsrFunction, PolysipModule } from '../../core/api/module.ts';
import { int, str } from '../../core/api/registry.ts';
import type { RouteContext } from '../../core/api/context.ts';
import { tLoadContacts, tNextContacts } from './contacts.ts';
import {
  proxyUri,
  tAnyReplied,
  tAnyTimeout,
  tBranchReplied,
  tBranchTimeout,
  tCheckStatus,
  tCheckTrans,
  tDropReplies,
  tGetBranchIndex,
  tGetStatusCode,
  tGrepStatus,
  tIsCanceled,
  tIsSet,
  tLookupCancel,
  tLookupRequest,
  tNewtran,
  tOn,
  tRelay,
  tRelease,
  tReply,
  tReplyError,
  tResetFr,
  tRetransmitReply,
  transportOf,
  tSaveLumps,
  tSendReply,
  tSetFr,
  txnOf,
} from './tm.ts';

type Impl = (ctx: RouteContext, ...a: (string | number)[]) => number | Promise<number>;

function fn(name: string, params: KsrFunction['params'], doc: string, impl: Impl): KsrFunction {
  return { module: 'tm', name, params, returns: 'int', doc, impl };
}

const S = (v: string | number): string => String(v);
const N = (v: string | number): number => Number(v);

/** Per-transaction switches that only need to be remembered (no behaviour attached yet). */
function txnSwitch(ctx: RouteContext, set: (on: boolean) => void, state: string | number): number {
  if (!txnOf(ctx)) return -1;
  set(N(state) !== 0);
  return 1;
}

const exports: KsrFunction[] = [
  fn(
    't_relay',
    [],
    'Relays statefully to $du or the R-URI plus appended branches; 1 sent, -1 error.',
    (ctx) => tRelay(ctx),
  ),
  fn('t_relay_to_proxy', [str('sproxy')], 'Relays statefully to "proto:host:port".', (ctx, p) => {
    const uri = proxyUri(S(p));
    return uri === null ? -1 : tRelay(ctx, { uri });
  }),
  fn('t_relay_to_proto', [str('sproto')], 'Relays statefully forcing the transport.', (ctx, p) => {
    const proto = transportOf(S(p));
    return proto === null ? -1 : tRelay(ctx, { proto });
  }),
  fn(
    't_relay_to_proto_addr',
    [str('sproto'), str('host'), int('port')],
    'Relays statefully to the given transport, host and port.',
    (ctx, p, h, port) => {
      const proto = transportOf(S(p));
      const uri = proxyUri(`${S(p)}:${S(h)}:${N(port)}`);
      return proto === null || uri === null ? -1 : tRelay(ctx, { uri, proto });
    },
  ),
  fn('t_relay_to_flags', [int('rflags')], 'Relays statefully (flags: 0x01 no 100 Trying).', (ctx) =>
    tRelay(ctx),
  ),
  fn(
    't_relay_to_proxy_flags',
    [str('sproxy'), int('rflags')],
    'Relays statefully to "proto:host:port" with flags.',
    (ctx, p) => {
      const uri = proxyUri(S(p));
      return uri === null ? -1 : tRelay(ctx, { uri });
    },
  ),
  fn(
    't_newtran',
    [],
    'Creates the server transaction; 1 created, 0 retransmission (stop), -1 error.',
    (ctx) => tNewtran(ctx),
  ),
  fn(
    't_reply',
    [int('code'), str('reason')],
    'Replies within the existing transaction.',
    (ctx, c, r) => tReply(ctx, N(c), S(r)),
  ),
  fn(
    't_send_reply',
    [int('code'), str('reason')],
    'Creates the transaction if needed and replies statefully.',
    (ctx, c, r) => tSendReply(ctx, N(c), S(r)),
  ),
  fn(
    't_reply_error',
    [],
    'Replies statefully with the last internal error (500 when none).',
    (ctx) => tReplyError(ctx),
  ),
  fn(
    't_check_trans',
    [],
    'Request: 0 retransmission handled (stop), 1 related transaction (CANCEL/ACK), -1 none; reply: 1 if it belongs to one.',
    (ctx) => tCheckTrans(ctx),
  ),
  fn(
    't_on_failure',
    [str('rname')],
    'Function to run when the transaction fails (one-shot); "" resets.',
    (ctx, n) => tOn(ctx, 'failure_route', S(n)),
  ),
  fn(
    't_on_branch',
    [str('rname')],
    'Function to run for each outgoing branch; "" resets.',
    (ctx, n) => tOn(ctx, 'branch_route', S(n)),
  ),
  fn(
    't_on_reply',
    [str('rname')],
    'Function to run for each reply of the transaction; "" resets.',
    (ctx, n) => tOn(ctx, 'onreply_route', S(n)),
  ),
  fn(
    't_on_branch_failure',
    [str('rname')],
    'Function to run for each failed branch (armed only).',
    (ctx, n) => tOn(ctx, 'branch_failure_route', S(n)),
  ),
  fn(
    't_is_set',
    [str('target')],
    'True if "failure_route", "branch_route", "onreply_route" or "branch_failure_route" is armed.',
    (ctx, w) => tIsSet(ctx, S(w)),
  ),
  fn('t_is_canceled', [], 'True if the transaction was cancelled.', (ctx) => tIsCanceled(ctx)),
  fn('t_branch_timeout', [], 'True if the current (failed) branch timed out.', (ctx) =>
    tBranchTimeout(ctx),
  ),
  fn('t_branch_replied', [], 'True if the current (failed) branch received a reply.', (ctx) =>
    tBranchReplied(ctx),
  ),
  fn('t_any_timeout', [], 'True if any branch timed out.', (ctx) => tAnyTimeout(ctx)),
  fn('t_any_replied', [], 'True if any branch received a reply.', (ctx) => tAnyReplied(ctx)),
  fn(
    't_check_status',
    [str('sexp')],
    'True if the relevant reply code matches the regular expression.',
    (ctx, re) => tCheckStatus(ctx, S(re)),
  ),
  fn(
    't_grep_status',
    [int('code')],
    'True if any branch got a final reply with this code.',
    (ctx, c) => tGrepStatus(ctx, N(c)),
  ),
  fn(
    't_set_fr',
    [int('fr_inv'), int('fr')],
    'Sets fr_inv and fr timers (ms, 0 = default) for this transaction.',
    (ctx, a, b) => tSetFr(ctx, N(a), N(b)),
  ),
  fn(
    't_set_fr_inv',
    [int('fr_inv')],
    'Sets the fr_inv timer (ms) for this transaction.',
    (ctx, a) => tSetFr(ctx, N(a), 0),
  ),
  fn('t_reset_fr', [], 'Resets the fr timers to their defaults.', (ctx) => tResetFr(ctx)),
  fn(
    't_load_contacts',
    [],
    'Orders the destination set by q into the tm_contacts xavp (serial forking).',
    (ctx) => tLoadContacts(ctx),
  ),
  fn('ki_t_load_contacts_mode', [int('mode')], 't_load_contacts with a mode (0 only).', (ctx) =>
    tLoadContacts(ctx),
  ),
  fn(
    't_next_contacts',
    [],
    'Loads the next q group of contacts as R-URI and branches; -1 when none.',
    (ctx) => tNextContacts(ctx),
  ),
  fn(
    't_save_lumps',
    [],
    'Saves the current message changes into the transaction for later branches.',
    (ctx) => tSaveLumps(ctx),
  ),
  fn(
    't_drop_replies',
    [str('mode')],
    'Drops received replies from selection: a all, l last set, n none.',
    (ctx, m) => tDropReplies(ctx, S(m)),
  ),
  fn('t_drop_replies_all', [], 'Drops every received reply from selection.', (ctx) =>
    tDropReplies(ctx, 'a'),
  ),
  fn(
    't_is_retr_async_reply',
    [],
    'True for a retransmitted reply on a suspended reply (never here).',
    () => -1,
  ),
  fn('t_get_branch_index', [], 'Index of the current branch.', (ctx) => tGetBranchIndex(ctx)),
  fn(
    't_get_status_code',
    [],
    'The most relevant reply code of the transaction, -1 if none.',
    (ctx) => tGetStatusCode(ctx),
  ),
  fn('t_lookup_request', [], 'True if a transaction exists for this request.', (ctx) =>
    tLookupRequest(ctx),
  ),
  fn('t_lookup_cancel', [], 'True if the INVITE transaction of this CANCEL exists.', (ctx) =>
    tLookupCancel(ctx),
  ),
  fn('t_exists', [], 'True if a transaction is bound to this message.', (ctx) =>
    txnOf(ctx) ? 1 : -1,
  ),
  fn('t_retransmit_reply', [], 'Re-sends the last reply of the transaction.', (ctx) =>
    tRetransmitReply(ctx),
  ),
  fn(
    't_release',
    [],
    'Releases the transaction (it ends on its own timers once answered).',
    (ctx) => tRelease(ctx),
  ),
  fn(
    't_set_auto_inv_100',
    [int('state')],
    'Per transaction: automatic 100 Trying for INVITE on/off.',
    (ctx, s) => txnSwitch(ctx, (on) => (txnOf(ctx)!.autoInv100 = on), s),
  ),
  fn(
    't_set_disable_6xx',
    [int('state')],
    'Per transaction: treat 6xx like other replies (no cancel).',
    (ctx, s) => txnSwitch(ctx, (on) => (txnOf(ctx)!.disable6xx = on), s),
  ),
];

export const module: PolysipModule = { name: 'tm', exports };
