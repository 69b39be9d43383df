/**
 * `pike.top` as Kamailio's: the tracked sources, busiest first, each with status HOT (blocked),
 * WARM (a quarter of the way there) or OK. Param 1 is the filter: "HOT" (default: the blocked
 * sources), "WARM" (HOT and WARM) or "ALL".
 */
import { module } from './index.ts';
import type { PikeTracker } from './tracker.ts';

export type RpcFunction = (params: unknown[]) => unknown;

export function createPikeRpc(tracker: PikeTracker): Record<string, RpcFunction> {
  return {
    'pike.top': (params) => {
      const filter = typeof params[0] === 'string' ? params[0].toUpperCase() : 'HOT';
      if (filter !== 'HOT' && filter !== 'WARM' && filter !== 'ALL') {
        throw Object.assign(new Error('pike.top: filter must be HOT, WARM or ALL'), {
          code: -32602,
        });
      }
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

/** The RPC functions of the built-in instance. */
export const pikeRpc: Record<string, RpcFunction> = createPikeRpc(module.tracker);
