/**
 * `pike.top` as Kamailio's: the tracked sources, busiest first, each with status HOT (blocked),
 * WARM (a quarter of the way there) or OK. Param 1 (positional, or named `filter`) is "HOT"
 * (default: the blocked sources), "WARM" (HOT and WARM) or "ALL". In the shape of the
 * management endpoint's method map, so the composition root mounts it as it is.
 */
import { RPC_INVALID_PARAMS, RpcError, param, type RpcMethod } from '../../core/mgmt/server.ts';
import { module } from './index.ts';
import type { PikeTracker } from './tracker.ts';

export function createPikeRpc(tracker: PikeTracker): Record<string, RpcMethod> {
  return {
    'pike.top': (p) => {
      const raw = param(p, 0, 'filter');
      const filter = typeof raw === 'string' && raw !== '' ? raw.toUpperCase() : 'HOT';
      if (filter !== 'HOT' && filter !== 'WARM' && filter !== 'ALL')
        throw new RpcError(RPC_INVALID_PARAMS, 'pike.top: filter must be HOT, WARM or ALL');
      const rows = tracker.list(filter === 'HOT');
      return (filter === 'WARM' ? rows.filter((e) => e.blocked || e.warm) : rows).map((e) => ({
        ip: e.ip,
        leaf_hits_prev: e.hitsPrev,
        leaf_hits_curr: e.hitsCurr,
        status: e.blocked ? 'HOT' : e.warm ? 'WARM' : 'OK',
        expires: e.expires,
      }));
    },
  };
}

/** The RPC methods of the built-in instance, to mount on the management endpoint. */
export const pikeRpc: Record<string, RpcMethod> = createPikeRpc(module.tracker);
