/**
 * The composition root: the only place that knows every layer. It builds the transports,
 * the export registry from the modules, the script engine and the SIP server, and wires them.
 */
import type { Logger } from 'pino';
import { ExportRegistry } from '../core/api/registry.ts';
import type { RouteContext } from '../core/api/context.ts';
import { DEFAULT_LIMITS, type ScriptLimits } from '../core/api/script.ts';
import { createLogger, type LogLevel } from '../core/log.ts';
import { Metrics, countingTransport } from '../core/metrics.ts';
import { startMgmtServer, type MgmtServer } from '../core/mgmt/server.ts';
import { DEFAULT_TIMERS, type TimerConfig } from '../core/transaction/timers.ts';
import { ScriptVersions } from '../engines/sandbox/versions.ts';
import { selftestContext } from '../engines/sandbox/selftest.ts';
import { createTopohModule } from '../modules/topoh/index.ts';
import {
  attachStore as attachHtableStore,
  onExpired as onHtableExpired,
} from '../modules/htable/index.ts';
import { watchScript } from '../engines/sandbox/watch.ts';
import type { RouteNames, TenantConfig } from './config.ts';
import { buildRpcMethods, type TenantRuntime } from './rpc.ts';
import { ruleSelector, socketKey, SipServer, type TenantRoute } from '../core/server.ts';
import { SipTransportLayer, parseListenSpec } from '../core/transport/index.ts';
import type { Listener, SendTarget } from '../core/transport/types.ts';
import { loadScript, type Placement } from './load-script.ts';
import { builtinModules } from '../modules/index.ts';
import type { PolysipModule } from '../core/api/module.ts';
import {
  createStorageModules,
  openStore,
  storageDeclarations,
  type ModuleParams,
  type StorageModules,
} from './storage.ts';

export { loadScript } from './load-script.ts';
export type { TenantRuntime } from './rpc.ts';

export interface PolysipOptions {
  /** `proto:host:port` specs; port 0 picks a free port. */
  readonly listen: readonly string[];
  readonly aliases?: readonly string[];
  readonly script: string;
  /**
   * Where the main script's interpreter runs (default in-thread; the CLI defaults to isolated).
   * Tenants run isolated unless their config says `trusted: true`.
   */
  readonly placement?: Placement;
  readonly logLevel?: LogLevel;
  /** CIDR list the server may send to; unset = anywhere. */
  readonly allowDestinations?: readonly string[];
  /** Limits of the main script, and the defaults of every tenant's. */
  readonly limits?: Partial<ScriptLimits>;
  /** Sees every send the egress guard refused (conformance tests read answers there). */
  readonly onRefusedDestination?: (target: SendTarget, data: Buffer) => void;
  /** A logger to use instead of stdout JSON (tests). */
  readonly log?: Logger;
  /** Certificates and policy for `tls:` listeners and outgoing TLS (see core/transport/tls.ts). */
  readonly tls?: import('../core/transport/index.ts').TlsOptions;
  /**
   * Database URL: `sqlite:PATH` or `postgres://…`. Default here: `sqlite::memory:` (nothing
   * persists); the CLI defaults to `sqlite:./var/polysip.db`.
   */
  readonly db?: string;
  /** Module parameters keyed by module then Kamailio modparam name. */
  readonly modparams?: ModuleParams;
  /** Route callback names (defaults: ksr_request_route, ksr_reply_route, ksr_onsend_route). */
  readonly routes?: Partial<RouteNames>;
  /** Run by a candidate version before it goes live, when defined (default ksr_selftest; null = never). */
  readonly selftest?: string | null;
  /** How long a replaced version is kept for its transactions (default: graceForTimers). */
  readonly reloadGraceMs?: number;
  /** Reload when the script file changes (default false). */
  readonly watch?: boolean;
  /** JSON-RPC + /metrics listener (`host:port`, port 0 = any); unset = none. */
  readonly management?: { readonly listen: string; readonly token?: string | null } | null;
  /**
   * Tenants: a request matching one's sockets (first) or domains runs its script, on its own
   * versions, limits and state namespace; any other request runs the main script.
   */
  readonly tenants?: readonly TenantConfig[];
  /**
   * A dispatch script, run for requests no tenant rule matched: its request route
   * (`ksr_request_route`, as every script's, so the engines' entry-point check applies) names
   * the tenant by setting `$var(tenant)` (unset, '' or an unknown name = the main script); it
   * must not reply. It runs with the main script's placement and state namespace, and reloads
   * as the RPC tenant `@dispatch`. Null/unset = no dispatch script.
   */
  readonly dispatch?: string | null;
}

/**
 * The longest a transaction can hold a script version: the longest transaction lifetime plus
 * the wait states after its final answer (64*T1, timers D/J).
 */
export function graceForTimers(t: Partial<TimerConfig> = {}): number {
  const c = { ...DEFAULT_TIMERS, ...t };
  return Math.max(c.maxInvLifetime, c.maxNonInvLifetime, c.frInv, c.fr) + 64 * c.t1;
}

export interface Polysip {
  readonly listeners: readonly Listener[];
  readonly registry: ExportRegistry<RouteContext>;
  readonly server: SipServer;
  readonly log: Logger;
  /** The store and the storage-backed modules (usrloc, registrar, auth…). */
  readonly storage: StorageModules;
  /** The main script's versions (reload, rollback). */
  readonly scripts: ScriptVersions<RouteContext>;
  /** The routed tenants, by name, each with its own versions. */
  readonly tenants: ReadonlyMap<string, TenantRuntime>;
  /** The dispatch script's versions, when there is one. */
  readonly dispatch: ScriptVersions<RouteContext> | null;
  readonly metrics: Metrics;
  /** The management listener, when one was asked for. */
  readonly management: MgmtServer | null;
  stop(): Promise<void>;
}

export function buildRegistry(
  extra: readonly PolysipModule[] = storageDeclarations(),
): ExportRegistry<RouteContext> {
  const registry = new ExportRegistry<RouteContext>();
  for (const m of builtinModules) registry.defineAll(m.exports);
  for (const m of extra) registry.defineAll(m.exports);
  return registry;
}

export async function startPolysip(opts: PolysipOptions): Promise<Polysip> {
  const log = opts.log ?? createLogger(opts.logLevel ?? 'info');
  const storeLog = (level: 'info' | 'warn' | 'error', msg: string): void => log[level](msg);
  const store = await openStore(opts.db ?? 'sqlite::memory:', { log: storeLog });
  let storage: StorageModules;
  try {
    storage = await createStorageModules({ store, params: opts.modparams, log: storeLog });
  } catch (e) {
    await store.close();
    throw e;
  }
  // topoh is loaded by configuration (its modparams), as in Kamailio: nothing to call.
  const topohParams = opts.modparams?.topoh;
  const topoh = topohParams ? createTopohModule(topohParams) : null;
  const registry = buildRegistry(topoh ? [...storage.modules, topoh.module] : storage.modules);
  const startedAt = new Date();
  const routes: RouteNames = {
    request: opts.routes?.request ?? 'ksr_request_route',
    reply: opts.routes?.reply ?? 'ksr_reply_route',
    onsend: opts.routes?.onsend ?? 'ksr_onsend_route',
  };
  // Assigned below; the metrics gauges and the self-test read it lazily.
  let server: SipServer | null = null;
  const metrics = new Metrics({
    transactions: () => server?.transactionLayer.stats() ?? { servers: 0, clients: 0 },
    registrations: () => storage.usrloc.size,
  });
  const selftestName = opts.selftest === undefined ? 'ksr_selftest' : opts.selftest;
  /** One tenant's versions ('' = the main script): its own file, limits, placement and log. */
  const versionsFor = (
    tenant: string,
    file: string,
    limits: Partial<ScriptLimits> | undefined,
    placement: Placement,
    isDispatch = false,
  ): ScriptVersions<RouteContext> => {
    const tlog = log.child(isDispatch ? { tenant, dispatch: true } : { tenant });
    return new ScriptVersions<RouteContext>({
      file,
      load: (f, version) => loadScript(f, registry, limits, version, placement),
      required: [routes.request],
      selftest: selftestName
        ? {
            name: selftestName,
            ctx: (s) => {
              const ctx = selftestContext(
                {
                  isMyself: (h, p, t) => server?.isMyself(h, p, t) ?? false,
                  listenSockets: () => server?.listenSockets() ?? [],
                  debugLevel: () => server?.debugLevel() ?? 2,
                },
                s,
                [],
                (level, text) =>
                  tlog.info({ script: s.file, version: s.version, level }, text.trimEnd()),
              );
              // A tenant's self-test must see its own namespace, never the main script's.
              return tenant === '' ? ctx : { ...ctx, tenant };
            },
          }
        : null,
      graceMs: opts.reloadGraceMs ?? graceForTimers(),
      log: (level, fields, msg) => tlog[level](fields, msg),
      observe: (o) => {
        metrics.routeDuration.observe({ tenant, engine: o.engine, route: o.fn }, o.ms / 1000);
        if (o.outcome.kind === 'error') metrics.scriptErrors.inc({ tenant, engine: o.engine });
        else if (o.outcome.kind === 'aborted') {
          metrics.scriptAborts.inc({ tenant, engine: o.engine, reason: o.outcome.reason });
        }
      },
      onSwitch: (kind, ok) => {
        const result = ok ? 'ok' : 'refused';
        metrics.reloads.inc(tenant === '' ? { kind, result } : { kind, result, tenant });
      },
    });
  };
  const scripts = versionsFor('', opts.script, opts.limits, opts.placement ?? 'in-thread');
  const tenants = new Map<string, TenantRuntime>();
  for (const t of opts.tenants ?? []) {
    const limits: ScriptLimits = { ...DEFAULT_LIMITS, ...opts.limits, ...t.limits };
    const placement: Placement = t.trusted ? 'in-thread' : 'isolated';
    tenants.set(t.name, {
      name: t.name,
      domains: t.domains.map((d) => d.toLowerCase()),
      sockets: t.sockets,
      placement,
      limits,
      scripts: versionsFor(t.name, t.script, limits, placement),
    });
  }
  const dispatch = opts.dispatch
    ? versionsFor('', opts.dispatch, opts.limits, opts.placement ?? 'in-thread', true)
    : null;
  const allVersions = (): ScriptVersions<RouteContext>[] => [
    scripts,
    ...[...tenants.values()].map((t) => t.scripts),
    ...(dispatch ? [dispatch] : []),
  ];
  try {
    // One at a time: Python tenants each start a Pyodide worker, heavy on a small machine.
    for (const v of allVersions()) await v.start();
  } catch (e) {
    for (const v of allVersions()) v.dispose();
    await storage.stop();
    throw e;
  }
  const mainRoute: TenantRoute = {
    name: '',
    current: () => scripts.current(),
    maxInFlight: opts.limits?.maxSuspended ?? DEFAULT_LIMITS.maxSuspended,
    domains: [],
  };
  const selector = ruleSelector(
    mainRoute,
    [...tenants.values()].map((t) => ({
      route: {
        name: t.name,
        current: () => t.scripts.current(),
        maxInFlight: t.limits.maxSuspended,
        domains: t.domains,
      },
      domains: t.domains,
      sockets: t.sockets,
    })),
    dispatch
      ? async (msg, rcv) => {
          const script = dispatch.current();
          const ctx = server!.newContext(msg, rcv, 'request', script, '');
          const out = await script.run(routes.request, ctx);
          if (out.kind === 'error' || out.kind === 'aborted' || out.kind === 'missing') {
            log.error(
              {
                callId: msg.callId,
                tenant: '',
                dispatch: true,
                outcome: out.kind,
                err:
                  out.kind === 'error'
                    ? `${out.message} (line ${out.where.line ?? '?'})`
                    : undefined,
              },
              'dispatch script failed: the main script routes the request',
            );
            return null;
          }
          const name = ctx.vars.get('tenant');
          if (typeof name === 'string' && name !== '' && !tenants.has(name)) {
            log.warn({ callId: msg.callId, tenant: name }, 'dispatch named no tenant: main script');
          }
          return typeof name === 'string' ? name : null;
        }
      : undefined,
  );
  const transport = new SipTransportLayer({
    allowDestinations: opts.allowDestinations ? [...opts.allowDestinations] : undefined,
    onRefusedDestination: opts.onRefusedDestination,
    tls: opts.tls,
    log: (
      level: 'debug' | 'info' | 'warn' | 'error',
      msg: string,
      fields?: Record<string, unknown>,
    ) => log[level](fields ?? {}, msg),
  });
  const sip = new SipServer({
    transport: countingTransport(transport, metrics),
    log,
    // A tenant's domains are this server's own (is_myself), as an alias is: without this, a
    // tenant's default-style script refuses a REGISTER for its own domain with 403 Not relaying.
    aliases: [...(opts.aliases ?? []), ...[...tenants.values()].flatMap((t) => t.domains)],
    tenants: selector,
    requestRoute: routes.request,
    replyRoute: routes.reply,
    onsendRoute: routes.onsend,
    messageHooks: topoh?.hooks,
  });
  server = sip;
  let management: MgmtServer | null = null;
  try {
    for (const spec of opts.listen) await transport.listen(parseListenSpec(spec));
    // A socket rule naming no listener would silently send that tenant's traffic to the
    // main script (or nowhere): refuse to start instead.
    const bound = new Set(transport.listeners().map((l) => socketKey(l.transport, l.host, l.port)));
    for (const t of tenants.values()) {
      for (const s of t.sockets) {
        const spec = parseListenSpec(s);
        if (!bound.has(socketKey(spec.transport, spec.host, spec.port))) {
          throw new Error(`tenant "${t.name}": socket ${s} is not a listening socket`);
        }
      }
    }
    if (opts.management) {
      const m = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(opts.management.listen);
      if (!m) throw new Error(`invalid management address "${opts.management.listen}" (host:port)`);
      management = await startMgmtServer({
        host: m[1]!.replace(/^\[|\]$/g, ''),
        port: Number(m[2]),
        token: opts.management.token ?? null,
        methods: buildRpcMethods({
          server: sip,
          usrloc: storage.usrloc,
          scripts,
          metrics,
          tenants: [...tenants.values()],
          dispatch,
          startedAt,
        }),
        metrics: async () => ({ contentType: metrics.contentType, body: await metrics.text() }),
        log: (level, fields, msg) => log[level](fields, msg),
      });
    }
  } catch (e) {
    await management?.close();
    sip.stop();
    await transport.close();
    for (const v of allVersions()) v.dispose();
    await storage.stop();
    throw e;
  }
  // Expired htable items run the script's event callback, as htable's event_callback does.
  const htableEvent = String(opts.modparams?.htable?.event_callback ?? 'ksr_htable_event');
  // Each tenant's tables expire into its own script.
  const offExpired = onHtableExpired((ev) => {
    const owner = ev.tenant === '' ? scripts : tenants.get(ev.tenant)?.scripts;
    if (!owner) return;
    const script = owner.current();
    if (!script.hasFunction(htableEvent)) return;
    const ctx = selftestContext(sip, script, [], (level, text) =>
      log.info(
        {
          tenant: ev.tenant,
          script: script.file,
          version: script.version,
          level,
          event: ev.event,
        },
        text.trimEnd(),
      ),
    );
    void script.run(htableEvent, ev.tenant === '' ? ctx : { ...ctx, tenant: ev.tenant }, ev.event);
  });
  await attachHtableStore(storage.store.kv).catch((e: Error) =>
    log.warn({ err: e.message }, 'htable: loading tables from the store failed'),
  );
  const watchers = opts.watch
    ? allVersions().map((v) =>
        watchScript(
          () => v.file,
          () => void v.reload(),
        ),
      )
    : [];
  let stopped = false;
  return {
    listeners: transport.listeners(),
    registry,
    server: sip,
    log,
    storage,
    scripts,
    tenants,
    dispatch,
    metrics,
    management,
    async stop() {
      if (stopped) return;
      stopped = true;
      for (const w of watchers) w.close();
      offExpired();
      await management?.close();
      sip.stop();
      await transport.close();
      for (const m of builtinModules) await m.stop?.();
      await storage.stop();
      for (const v of allVersions()) v.dispose();
    },
  };
}
