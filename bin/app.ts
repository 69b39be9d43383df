/**
 * The composition root: the only place that knows every layer. It builds the transports,
 * the export registry from the modules, the script engine and the SIP server, and wires them.
 */
import { resolve, extname } from 'node:path';
import type { Logger } from 'pino';
import { ExportRegistry } from '../core/api/registry.ts';
import type { RouteContext } from '../core/api/context.ts';
import {
  DEFAULT_LIMITS,
  ScriptLoadError,
  type ScriptInstance,
  type ScriptLimits,
} from '../core/api/script.ts';
import { createLogger, type LogLevel } from '../core/log.ts';
import { SipServer } from '../core/server.ts';
import { SipTransportLayer, parseListenSpec } from '../core/transport/index.ts';
import type { Listener, SendTarget } from '../core/transport/types.ts';
import { loadLuaScript } from '../engines/lua/index.ts';
import { loadPythonScript } from '../engines/python/index.ts';
import { loadJsScript } from '../engines/js/index.ts';
import { builtinModules } from '../modules/index.ts';
import type { PolysipModule } from '../core/api/module.ts';
import {
  createStorageModules,
  openStore,
  storageDeclarations,
  type ModuleParams,
  type StorageModules,
} from './storage.ts';

export interface PolysipOptions {
  /** `proto:host:port` specs; port 0 picks a free port. */
  readonly listen: readonly string[];
  readonly aliases?: readonly string[];
  readonly script: string;
  readonly logLevel?: LogLevel;
  /** CIDR list the server may send to; unset = anywhere. */
  readonly allowDestinations?: readonly string[];
  readonly limits?: Partial<ScriptLimits>;
  /** Sees every send the egress guard refused (conformance tests read answers there). */
  readonly onRefusedDestination?: (target: SendTarget, data: Buffer) => void;
  /** A logger to use instead of stdout JSON (tests). */
  readonly log?: Logger;
  /**
   * Database URL: `sqlite:PATH` or `postgres://…`. Default here: `sqlite::memory:` (nothing
   * persists); the CLI defaults to `sqlite:./var/polysip.db`.
   */
  readonly db?: string;
  /** Module parameters keyed by module then Kamailio modparam name. */
  readonly modparams?: ModuleParams;
}

export interface Polysip {
  readonly listeners: readonly Listener[];
  readonly registry: ExportRegistry<RouteContext>;
  readonly server: SipServer;
  readonly log: Logger;
  /** The store and the storage-backed modules (usrloc, registrar, auth…). */
  readonly storage: StorageModules;
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

export async function loadScript(
  file: string,
  registry: ExportRegistry<RouteContext>,
  limits: Partial<ScriptLimits> | undefined,
  version: number,
): Promise<ScriptInstance<RouteContext>> {
  const path = resolve(file);
  const common = { file: path, registry, limits: { ...DEFAULT_LIMITS, ...limits }, version };
  switch (extname(path)) {
    case '.lua':
      return loadLuaScript<RouteContext>(common);
    case '.js':
      return loadJsScript<RouteContext>(common);
    case '.py':
      // Pyodide cannot be sandboxed in-process: the engine runs it in a worker thread.
      return loadPythonScript<RouteContext>(common);
    default:
      throw new ScriptLoadError(
        `unsupported script type "${extname(path)}" (supported: .lua, .js, .py)`,
        {
          file: path,
          line: null,
        },
      );
  }
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
  const registry = buildRegistry(storage.modules);
  let script: ScriptInstance<RouteContext>;
  try {
    script = await loadScript(opts.script, registry, opts.limits, 1);
  } catch (e) {
    await storage.stop();
    throw e;
  }
  const transport = new SipTransportLayer({
    allowDestinations: opts.allowDestinations ? [...opts.allowDestinations] : undefined,
    onRefusedDestination: opts.onRefusedDestination,
    log: (
      level: 'debug' | 'info' | 'warn' | 'error',
      msg: string,
      fields?: Record<string, unknown>,
    ) => log[level](fields ?? {}, msg),
  });
  const server = new SipServer({
    transport,
    log,
    aliases: opts.aliases,
    script: () => script,
  });
  try {
    for (const spec of opts.listen) await transport.listen(parseListenSpec(spec));
  } catch (e) {
    await transport.close();
    script.dispose();
    await storage.stop();
    throw e;
  }
  let stopped = false;
  return {
    listeners: transport.listeners(),
    registry,
    server,
    log,
    storage,
    async stop() {
      if (stopped) return;
      stopped = true;
      server.stop();
      await transport.close();
      for (const m of builtinModules) await m.stop?.();
      await storage.stop();
      script.dispose();
    },
  };
}
