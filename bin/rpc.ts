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
import { splitKey, tenantKey, type Usrloc } from '../modules/usrloc/index.ts';
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
  const where = `${r.file ?? ''}${r.line === null ? '' : `:${r.line}`}`;
  // A load error's text already starts with its file:line (ScriptLoadError): say it once.
  const text = where === '' || r.error.startsWith(`${where}:`) ? r.error : `${where}: ${r.error}`;
  throw new RpcError(-32000, text, {
    file: r.file,
    line: r.line,
    version: r.version,
  });
}

const unknownTenant = (name: string, known: readonly string[]): string =>
  `unknown tenant "${name}" (${known.length === 0 ? 'no tenants are configured' : `tenants: ${known.join(', ')}`})`;

/** A usrloc table name as ul.* takes it: `location`, or `TENANT/location` for a tenant's. */
const TABLE = /^(?:([^/]+)\/)?location$/;

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
  const tenantNames = new Set(d.tenants.map((t) => t.name));
  const knownTenant = (t: string): string => {
    if (t === '' || tenantNames.has(t)) return t;
    throw new RpcError(RPC_INVALID_PARAMS, unknownTenant(t, [...tenantNames]), {
      tenants: [...tenantNames],
    });
  };
  /**
   * The usrloc namespace a ul.* call is about, read as htable.* reads it: the table given as
   * `location` (the main script's) or `TENANT/location`, or the tenant as the last param
   * (`ul.lookup location alice@x acme`, `ul.lookup alice@x acme`, `ul.dump acme`) or named
   * `tenant`. Neither = the main script, so Kamailio's `ul.lookup location alice@x` keeps its
   * meaning; ul.dump with neither shows every table (tenant null).
   */
  const ulTarget = (
    p: RpcParams,
    withAor: boolean,
  ): { tenant: string | null; aor: string | null } => {
    const first = param(p, 0, 'table');
    const table = typeof first === 'string' ? TABLE.exec(first) : null;
    let tenant: string | null = table ? (table[1] ?? '') : null;
    let at = table ? 1 : Array.isArray(p) || first === undefined ? 0 : 1;
    let aor: string | null = null;
    if (withAor) {
      aor = stringParam(p, at, 'aor').replace(/^sips?:/, '');
      at++;
    } else if (!table && typeof first === 'string' && first !== '') {
      // ul.dump TENANT: without a table, the only positional param is the tenant.
      at = 0;
    }
    const explicit = param(p, at, 'tenant');
    if (explicit !== undefined && explicit !== null && explicit !== '') {
      if (typeof explicit !== 'string')
        throw new RpcError(RPC_INVALID_PARAMS, 'tenant must be a string');
      if (tenant !== null && tenant !== '' && tenant !== explicit)
        throw new RpcError(
          RPC_INVALID_PARAMS,
          `table ${String(first)} is not tenant ${explicit}'s`,
        );
      tenant = explicit;
    }
    if (tenant !== null) knownTenant(tenant);
    return { tenant: withAor ? (tenant ?? '') : tenant, aor };
  };
  m.set('ul.dump', (params) => {
    // Kamailio's `ul.dump brief`: AoRs with their contacts and expiry only.
    const brief = Array.isArray(params) && params[0] === 'brief';
    const p = brief ? (params as unknown[]).slice(1) : params;
    const { tenant } = ulTarget(p, false);
    const now = d.usrloc.now();
    const tables = new Map<string, { AoR: string; Contacts: Record<string, unknown>[] }[]>();
    for (const t of tenant === null ? ['', ...tenantNames] : [tenant]) tables.set(t, []);
    for (const [key, list] of d.usrloc.entries()) {
      const { tenant: owner, aor } = splitKey(key);
      const contacts = list
        .filter((r) => r.expires > now)
        .map((r) =>
          brief
            ? { Contact: r.contact, Expires: Math.max(0, r.expires - now) }
            : contactView(r, now),
        );
      if (contacts.length > 0) tables.get(owner)?.push({ AoR: aor, Contacts: contacts });
    }
    return {
      Domains: [...tables].map(([t, aors]) => ({
        Domain: t === '' ? 'location' : `${t}/location`,
        AoRs: aors,
      })),
    };
  });
  m.set('ul.lookup', (p) => {
    const { tenant, aor } = ulTarget(p, true) as { tenant: string; aor: string };
    const now = d.usrloc.now();
    const list = d.usrloc.get(tenantKey(tenant, aor));
    if (list.length === 0) throw new RpcError(-32004, `AOR not found: ${aor}`);
    return { AoR: aor, Contacts: list.map((r) => contactView(r, now)) };
  });
  m.set('ul.rm', (p) => {
    const { tenant, aor } = ulTarget(p, true) as { tenant: string; aor: string };
    const n = d.usrloc.removeAor(tenantKey(tenant, aor));
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
    throw new RpcError(RPC_INVALID_PARAMS, unknownTenant(first, [...byName.keys()]), {
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
