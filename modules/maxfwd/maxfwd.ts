/**
 * Max-Forwards processing as Kamailio's maxfwd module does it: add the header when missing,
 * refuse to forward at 0, cap values above the `max_limit` setting, decrement.
 */
import type { RouteContext } from '../../core/api/context.ts';

/** Kamailio's `max_limit` modparam default: larger received values are lowered to it. */
export const MAX_LIMIT = 70;

/** Received value: the number, -1 when absent, -2 when unreadable. */
function present(ctx: RouteContext): number {
  const v = ctx.msg.maxForwards;
  if (v !== null) return v;
  return ctx.msg.hasHeader('max-forwards') ? -2 : -1;
}

function validLimit(ctx: RouteContext, fn: string, limit: number): boolean {
  if (Number.isInteger(limit) && limit >= 0 && limit <= 255) return true;
  ctx.log('err', `maxfwd.${fn}: invalid limit ${limit}\n`);
  return false;
}

/**
 * 2 when the header was missing and `Max-Forwards: limit` was added on top, 1 after a
 * decrement, -1 when the value is 0 (the script answers 483), -2 on error.
 */
export function processMaxfwd(ctx: RouteContext, limit: number, maxLimit = MAX_LIMIT): number {
  if (!validLimit(ctx, 'process_maxfwd', limit)) return -1;
  let val = present(ctx);
  if (val === -1) {
    ctx.msg.prependHeader('Max-Forwards', String(limit));
    return 2;
  }
  if (val === -2) return -2;
  if (val === 0) return -1;
  if (val > maxLimit) val = maxLimit + 1;
  ctx.msg.setMaxForwards(val - 1);
  return 1;
}

/** 1 when Max-Forwards < limit, -1 when not, -2 when absent, -3 when unreadable. */
export function isMaxfwdLt(ctx: RouteContext, limit: number): number {
  if (!validLimit(ctx, 'is_maxfwd_lt', limit)) return -1;
  const val = present(ctx);
  if (val < 0) return val - 1;
  return val >= limit ? -1 : 1;
}
