/** Stateless replies (Kamailio's sl module). */
import type { RouteContext } from '../../core/api/context.ts';
import type { KsrFunction, PolysipModule } from '../../core/api/module.ts';
import { int, str } from '../../core/api/registry.ts';

/**
 * tm, when loaded, puts a function here that answers through the transaction, so
 * `send_reply` replies statefully when a transaction exists, as Kamailio's does.
 */
export const STATEFUL_REPLY_KEY = 'tm:reply';
/** Modules that fail internally record the error reply here for sl_reply_error. */
export const LAST_ERROR_KEY = 'core:last-error';

export type StatefulReply = (status: number, reason: string) => Promise<boolean>;
export interface LastError {
  readonly status: number;
  readonly reason: string;
}

function validStatus(code: number): boolean {
  return Number.isInteger(code) && code >= 100 && code <= 699;
}

/**
 * Sends a reply without waiting for the transport to finish with it, as Kamailio's sl does:
 * the datagram is handed to the socket before this returns, and a KSR function that replies
 * this way can answer the script synchronously (an engine suspends the route for every
 * Promise a KSR function returns). Building the reply fails here, as an exception; a send
 * that fails later is logged by the core.
 */
export function replyNow(
  ctx: RouteContext,
  status: number,
  reason: string,
  opts?: Parameters<RouteContext['core']['sendReply']>[3],
): void {
  ctx.core.sendReply(ctx, status, reason, opts).then(undefined, (e: unknown) => {
    ctx.log('err', `sending the ${status} reply failed: ${(e as Error).message}\n`);
  });
}

function okCode(sent: boolean): number {
  return sent ? 1 : -1;
}

function slReply(ctx: RouteContext, code: number, reason: string): number {
  if (!ctx.msg.isRequest || !validStatus(code)) return -1;
  if (ctx.msg.method === 'ACK') return -1;
  replyNow(ctx, code, reason);
  return 1;
}

const exports: KsrFunction[] = [
  {
    module: 'sl',
    name: 'sl_send_reply',
    params: [int('code'), str('reason')],
    returns: 'int',
    doc: 'Sends a stateless reply; 1 on success, -1 on failure.',
    impl: (ctx, code, reason) => slReply(ctx, Number(code), String(reason)),
  },
  {
    module: 'sl',
    name: 'send_reply',
    params: [int('code'), str('reason')],
    returns: 'int',
    doc: 'Replies statefully when a transaction exists, else statelessly.',
    impl: (ctx, code, reason) => {
      const stateful = ctx.ext.get(STATEFUL_REPLY_KEY) as StatefulReply | undefined;
      if (stateful) return stateful(Number(code), String(reason)).then(okCode);
      return slReply(ctx, Number(code), String(reason));
    },
  },
  {
    module: 'sl',
    name: 'sl_reply_error',
    params: [],
    returns: 'int',
    doc: 'Sends a stateless reply for the last internal error (500 when none is known).',
    impl: (ctx) => {
      const e = ctx.ext.get(LAST_ERROR_KEY) as LastError | undefined;
      return slReply(ctx, e?.status ?? 500, e?.reason ?? 'Server Internal Error');
    },
  },
  {
    module: 'sl',
    name: 'send_reply_error',
    params: [],
    returns: 'int',
    doc: 'Like sl_reply_error, statefully when a transaction exists.',
    impl: (ctx) => {
      const e = ctx.ext.get(LAST_ERROR_KEY) as LastError | undefined;
      const stateful = ctx.ext.get(STATEFUL_REPLY_KEY) as StatefulReply | undefined;
      const status = e?.status ?? 500;
      const reason = e?.reason ?? 'Server Internal Error';
      if (stateful) return stateful(status, reason).then(okCode);
      return slReply(ctx, status, reason);
    },
  },
  {
    module: 'sl',
    name: 'get_reply_totag',
    params: [],
    returns: 'xval',
    doc: 'The To-tag a stateless reply to this request carries (null for replies).',
    impl: (ctx) => (ctx.msg.isRequest ? ctx.core.replyToTag(ctx) : null),
  },
];

export const module: PolysipModule = { name: 'sl', exports };
