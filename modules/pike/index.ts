/**
 * KSR.pike (Kamailio's pike module): flood detection per source address. It only reports;
 * the script decides what to do with a flooding source (drop silently, or reply).
 *
 * Parameters (`createPikeModule`), Kamailio's names and defaults: `sampling_time_unit` (2 s),
 * `reqs_density_per_unit` (30), `remove_latency` (120 s). The default `module` uses them.
 *
 * Tenants: pike_check_req counts the address a request really came from, in one tracker shared
 * by every tenant (it protects the server; `pike.top` shows it). pike_check_ip takes any
 * address from the script, so a tenant's calls count in a tracker of that tenant's own: a
 * tenant cannot get an address blocked for the others, nor probe their counters.
 */
import type { KsrFunction, PolysipModule } from '../../core/api/module.ts';
import { str } from '../../core/api/registry.ts';
import { PikeTracker } from './tracker.ts';

export { PikeTracker, normaliseIp, PIKE_OK, PIKE_BLOCKED, PIKE_NEWLY_BLOCKED } from './tracker.ts';
export type { PikeEntry } from './tracker.ts';

export interface PikeModuleParams {
  readonly sampling_time_unit?: number;
  readonly reqs_density_per_unit?: number;
  readonly remove_latency?: number;
  /** Clock in seconds (tests). */
  readonly now?: () => number;
}

export interface PikeModule extends PolysipModule {
  readonly tracker: PikeTracker;
}

export function createPikeModule(p: PikeModuleParams = {}): PikeModule {
  const tracker = new PikeTracker({
    samplingTimeUnit: p.sampling_time_unit,
    reqsDensityPerUnit: p.reqs_density_per_unit,
    removeLatency: p.remove_latency,
    now: p.now,
  });
  const byTenant = new Map<string, PikeTracker>();
  const trackerOf = (tenant: string): PikeTracker => {
    if (tenant === '') return tracker;
    let t = byTenant.get(tenant);
    if (!t) {
      t = new PikeTracker({
        samplingTimeUnit: p.sampling_time_unit,
        reqsDensityPerUnit: p.reqs_density_per_unit,
        removeLatency: p.remove_latency,
        now: p.now,
      });
      byTenant.set(tenant, t);
    }
    return t;
  };
  let sweep: NodeJS.Timeout | null = null;
  const arm = (): void => {
    if (sweep) return;
    sweep = setInterval(
      () => {
        tracker.sweep();
        for (const t of byTenant.values()) t.sweep();
      },
      Math.max(1, tracker.unit) * 1000,
    );
    sweep.unref();
  };
  const exports: KsrFunction[] = [
    {
      module: 'pike',
      name: 'pike_check_req',
      params: [],
      returns: 'int',
      doc: 'Counts the request against its source IP: 1 ok, -2 blocked from this request on, -1 still blocked.',
      impl: (ctx) => {
        arm();
        // Kamailio answers "ok" when it cannot track, so an error never blocks traffic.
        return tracker.hit(ctx.rcv.srcIp) ?? 1;
      },
    },
    {
      module: 'pike',
      name: 'pike_check_ip',
      params: [str('strip')],
      returns: 'int',
      doc: 'As pike_check_req for the given IP (IPv4 or IPv6); -3 when it is not an IP address.',
      impl: (ctx, ip) => {
        arm();
        return trackerOf(ctx.tenant).hit(String(ip)) ?? -3;
      },
    },
  ];
  return {
    name: 'pike',
    exports,
    tracker,
    stop() {
      if (sweep) clearInterval(sweep);
      sweep = null;
      tracker.clear();
      for (const t of byTenant.values()) t.clear();
      byTenant.clear();
    },
  };
}

export const module: PikeModule = createPikeModule();
