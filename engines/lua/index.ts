/**
 * The Lua engine (fengari): loads a script into its own sandboxed Lua state and runs its route
 * functions with the `KSR` API built from the export registry.
 */
import type { ExportRegistry } from '../../core/api/registry.ts';
import type { ScriptInstance, ScriptLimits } from '../../core/api/script.ts';
import { LuaScript } from './script.ts';

export interface LoadLuaScriptOptions<Ctx> {
  /** The script's path; its folder is the only place `require` looks. */
  readonly file: string;
  /** The script text (default: read `file`). */
  readonly source?: string;
  readonly registry: ExportRegistry<Ctx>;
  readonly limits?: Partial<ScriptLimits>;
  readonly version?: number;
  /** Functions the script must define (default `['ksr_request_route']`). */
  readonly entryPoints?: readonly string[];
  /** Where the script's `print` goes (default: stdout). */
  readonly print?: (text: string) => void;
}

/**
 * Compiles and runs the script's top-level chunk, then checks its entry points.
 * @throws ScriptLoadError (with file:line) for a syntax error, an error or CPU overrun in the
 * top-level chunk, or a missing entry point.
 */
export function loadLuaScript<Ctx>(opts: LoadLuaScriptOptions<Ctx>): Promise<ScriptInstance<Ctx>> {
  return LuaScript.load(opts);
}

export { LuaScript };
