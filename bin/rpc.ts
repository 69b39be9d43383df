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
import type { ScriptVersions, SwitchResult } from '../engines/sandbox/versions.ts';
import type { Usrloc } from '../modules/usrloc/index.ts';
import type { TenantConfig } from './config.ts';

const PKG_VERSION = (createRequire(import.meta.url)('../package.json') as { version: string })
  .version;

export interface RpcDeps {
  readonly server: SipServer;
  readonly usrloc: Usrloc;
  readonly scripts: ScriptVersions<RouteContext>;
  readonly metrics: Metrics;
  readonly tenants: readonly TenantConfig[];
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
    d.tenants.map((t) => ({ name: t.name, domains: t.domains, script: t.script, routed: false })),
  );
  m.set('script.version', () => d.scripts.versions());
  m.set('script.reload', async (p) => {
    const file = param(p, 0, 'file');
    if (file !== undefined && typeof file !== 'string')
      throw new RpcError(RPC_INVALID_PARAMS, 'file must be a string');
    return switched(await d.scripts.reload(file));
  });
  m.set('script.rollback', async () => switched(await d.scripts.rollback()));
  return m;
}
