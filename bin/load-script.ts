/**
 * Picks the engine for a script file and the placement it runs in. The only place that knows
 * both the engines and the placements, so the composition root and the tools share one rule.
 */
import { resolve, extname } from 'node:path';
import type { ExportRegistry } from '../core/api/registry.ts';
import type { RouteContext } from '../core/api/context.ts';
import {
  DEFAULT_LIMITS,
  ScriptLoadError,
  type ScriptInstance,
  type ScriptLimits,
} from '../core/api/script.ts';
import { loadLuaScript } from '../engines/lua/index.ts';
import { loadPythonScript } from '../engines/python/index.ts';
import { loadJsScript } from '../engines/js/index.ts';

/**
 * `in-thread`: the interpreter runs in the SIP thread (the operator's trusted script; fastest).
 * `isolated`: it runs in a worker the host can terminate (see engines/placement/isolated.ts).
 */
export type Placement = 'in-thread' | 'isolated';

export async function loadScript(
  file: string,
  registry: ExportRegistry<RouteContext>,
  limits: Partial<ScriptLimits> | undefined,
  version: number,
  _placement: Placement = 'in-thread',
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
        { file: path, line: null },
      );
  }
}
