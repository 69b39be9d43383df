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
import { loadIsolatedScript } from '../engines/placement/isolated.ts';

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
  placement: Placement = 'in-thread',
): Promise<ScriptInstance<RouteContext>> {
  const path = resolve(file);
  const common = { file: path, registry, limits: { ...DEFAULT_LIMITS, ...limits }, version };
  const isolated = placement === 'isolated';
  switch (extname(path)) {
    case '.lua':
      return isolated
        ? loadIsolatedScript<RouteContext>({ ...common, engine: 'lua' })
        : loadLuaScript<RouteContext>(common);
    case '.js':
      return isolated
        ? loadIsolatedScript<RouteContext>({ ...common, engine: 'js' })
        : loadJsScript<RouteContext>(common);
    case '.py':
      // Always isolated, whatever was asked: Pyodide cannot be sandboxed in-process (its guest
      // reaches the host realm through `import js` and friends), so the engine itself runs it in
      // a worker thread. 'in-thread' is not an error here, just impossible for Python.
      return loadPythonScript<RouteContext>(common);
    default:
      throw new ScriptLoadError(
        `unsupported script type "${extname(path)}" (supported: .lua, .js, .py)`,
        { file: path, line: null },
      );
  }
}
