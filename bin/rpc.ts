/**
 * The management commands, under Kamailio's RPC names where one exists (core.*, ul.*, stats.*,
 * tm.*), plus polysip's own (script.*, tenant.*). Built here because only the composition root
 * sees the server, usrloc and the script versions together.
 */
import { createRequire } from 'node:module';
import type { RouteContext } from '../core/api/context.ts';
import type { Metrics } from '../core/metrics.ts';
import {
  RpcError,
  RPC_INVALID_PARAMS,
  param,
  stringParam,
  type RpcMethod,
  type RpcParams,
} from '../core/mgmt/server.ts';
import type { SipServer } from '../core/server.ts';
import type { LocationRecord } from '../core/store/types.ts';
import type { ScriptLimits } from '../core/api/script.ts';
import type { ScriptVersions, SwitchResult } from '../engines/sandbox/versions.ts';
import type { Usrloc } from '../modules/usrloc/index.ts';
import { htableRpc } from '../modules/htable/rpc.ts';
import { pikeRpc } from '../modules/pike/rpc.ts';
import type { Placement } from './load-script.ts';

const PKG_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string })
  .version;

/** A routed tenant as the composition root runs it. */
export interface TenantRuntime {
  readonly name: string;
  readonly domains: readonly string[];
  readonly sockets: readonly string[];
  readonly placement: Placement;
  readonly limits: ScriptLimits;
  readonly scripts: ScriptVersions<RouteContext>;
}

export interface RpcDeps {
  readonly server: SipServer;
  readonly usrloc: Usrloc;
  /** The main script's versions (tenant ''). */
  readonly scripts: ScriptVersions<RouteContext>;
  readonly metrics: Metrics;
  readonly tenants: readonly TenantRuntime[];
  /** The dispatch script's versions (RPC tenant name `@dispatch`), when there is one. */
  readonly dispatch?: ScriptVersions<RouteContext> | null;
  readonly startedAt: Date;
}

/** A switch that was refused is an RPC error carrying file and line, so kamcmd-like tools print it. */
function switched(r: SwitchResult): unknown {
  if (r.ok) return r;
  throw new RpcError(
    -32000,
    `${r.file ?? ''}${r.line === null ? '' : `:${r.line}`}${r.file ? ': ' : ''}${r.error}`,
    {
      file: r.file,
      line: r.line,
      version: r.version,
    },
  );
}

function contactView(r: LocationRecord, now: number): Record<string, unknown> {
  return {
    Contact: r.contact,
    Expires: Math.max(0, r.expires - now),
    Q: r.q,
    'Call-ID': r.callId,
    CSeq: r.cseq,
    'User-Agent': r.userAgent,
    Received: r.received,
    Path: r.path,
    Socket: r.socket,
    Methods: r.methods,
    Ruid: r.ruid,
    Instance: r.instance,
    Flags: r.cflags,
  };
}

export function buildRpcMethods(d: RpcDeps): Map<string, RpcMethod> {
  const m = new Map<string, RpcMethod>();
  const aorOf = (p: RpcParams, i: number): string => {
    // kamcmd passes the table name first (ul.lookup location alice): accept both forms.
    const first = stringParam(p, i, 'aor');
    if (first === 'location' && typeof param(p, i + 1, 'aor') === 'string')
      return stringParam(p, i + 1, 'aor');
    return first.replace(/^sips?:/, '');
  };
  m.set('core.version', () => `polysip ${PKG_VERSION} (node ${process.version})`);
  m.set('core.uptime', () => {
    const now = new Date();
    return {
      now: now.toISOString(),
      up_since: d.startedAt.toISOString(),
      uptime: Math.floor((now.getTime() - d.startedAt.getTime()) / 1000),
    };
  });
  m.set('system.listMethods', () => [...m.keys()].sort());
  m.set('ul.dump', () => {
    const now = d.usrloc.now();
    return {
      Domains: [
        {
          Domain: 'location',
          AoRs: d.usrloc
            .entries()
            .map(([aor, list]) => ({
              AoR: aor,
              Contacts: list.filter((r) => r.expires > now).map((r) => contactView(r, now)),
            }))
            .filter((a) => a.Contacts.length > 0),
        },
      ],
    };
  });
  m.set('ul.lookup', (p) => {
    const aor = aorOf(p, 0);
    const now = d.usrloc.now();
    const list = d.usrloc.get(aor);
    if (list.length === 0) throw new RpcError(-32004, `AOR not found: ${aor}`);
    return { AoR: aor, Contacts: list.map((r) => contactView(r, now)) };
  });
  m.set('ul.rm', (p) => {
    const aor = aorOf(p, 0);
    const n = d.usrloc.removeAor(aor);
    if (n === 0) throw new RpcError(-32004, `AOR not found: ${aor}`);
    return { AoR: aor, removed: n };
  });
  m.set('tm.stats', () => {
    const s = d.server.transactionLayer.stats();
    return {
      current: s.servers + s.clients,
      servers: s.servers,
      clients: s.clients,
      timers: s.timers,
    };
  });
  m.set('stats.get_statistics', async (p) => {
    const wanted = (Array.isArray(p) ? p : Object.values(p)).filter(
      (x): x is string => typeof x === 'string',
    );
    const all = wanted.length === 0 || wanted.includes('all');
    const out: string[] = [];
    for (const metric of await d.metrics.registry.getMetricsAsJSON()) {
      if (!all && !wanted.some((w) => metric.name.includes(w))) continue;
      for (const v of metric.values) {
        const labels = Object.entries(v.labels ?? {})
          .map(([k, x]) => `${k}=${String(x)}`)
          .join(',');
        const name = (v as { metricName?: string }).metricName ?? metric.name;
        out.push(`${name}${labels ? `{${labels}}` : ''} = ${v.value}`);
      }
    }
    return out;
  });
  m.set('tenant.list', () =>
    d.tenants.map((t) => {
      const active = t.scripts.versions().find((v) => v.state === 'active');
      return {
        name: t.name,
        routed: true,
        match: { domains: t.domains, sockets: t.sockets },
        script: t.scripts.file,
        engine: active?.engine ?? null,
        placement: t.placement,
        version: active?.version ?? null,
        inFlight: d.server.inFlight(t.name),
        limits: t.limits,
      };
    }),
  );
  const byName = new Map(d.tenants.map((t) => [t.name, t]));
  /**
   * The versions a script.* call is about, and where its other parameters start. Positional
   * `[tenant?, …]` (a tenant name never contains '.' or '/', a file always has an extension)
   * or named `{ tenant, … }`; none or '' = the main script.
   */
  const target = (p: RpcParams): { scripts: ScriptVersions<RouteContext>; next: number } => {
    const first = param(p, 0, 'tenant');
    const named = !Array.isArray(p);
    if (first === undefined || first === '' || first === null)
      return { scripts: d.scripts, next: 1 };
    if (typeof first !== 'string')
      throw new RpcError(RPC_INVALID_PARAMS, 'tenant must be a string');
    const t = byName.get(first);
    if (t) return { scripts: t.scripts, next: 1 };
    if (first === '@dispatch' && d.dispatch) return { scripts: d.dispatch, next: 1 };
    if (!named && /[./]/.test(first)) return { scripts: d.scripts, next: 0 };
    throw new RpcError(RPC_INVALID_PARAMS, `unknown tenant "${first}"`, {
      tenants: [...byName.keys()],
    });
  };
  m.set('script.version', (p) => target(p).scripts.versions());
  m.set('script.reload', async (p) => {
    const { scripts, next } = target(p);
    const file = param(p, next, 'file');
    if (file !== undefined && typeof file !== 'string')
      throw new RpcError(RPC_INVALID_PARAMS, 'file must be a string');
    return switched(await scripts.reload(file));
  });
  m.set('script.rollback', async (p) => switched(await target(p).scripts.rollback()));
  // htable.* and pike.top act on the module instances the scripts use; a tenant's tables are
  // `TENANT/name` (or the tenant as the last parameter).
  for (const [name, fn] of Object.entries({ ...htableRpc, ...pikeRpc })) m.set(name, fn);
  return m;
}
