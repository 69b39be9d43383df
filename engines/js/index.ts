/**
 * The JavaScript engine (QuickJS through quickjs-emscripten): loads a Kamailio jsdt-style script
 * (global functions `ksr_request_route()`…, a `KSR` global) into sandboxed QuickJS contexts and
 * runs its route functions with the `KSR` API built from the export registry.
 */
import type { ExportRegistry } from '../../core/api/registry.ts';
import type { ScriptInstance, ScriptLimits } from '../../core/api/script.ts';
import { JsScript } from './script.ts';

export interface LoadJsScriptOptions<Ctx> {
  /** The script's path; its folder is the only place `require` looks. */
  readonly file: string;
  /** The script text (default: read `file`). */
  readonly source?: string;
  readonly registry: ExportRegistry<Ctx>;
  readonly limits?: Partial<ScriptLimits>;
  readonly version?: number;
  /** Functions the script must define (default `['ksr_request_route']`). */
  readonly entryPoints?: readonly string[];
  /** Where the script's `print` and `console.*` go (default: stdout). */
  readonly print?: (text: string) => void;
}

/**
 * Evaluates the script, then checks its entry points.
 * @throws ScriptLoadError (with file:line) for a syntax error, an error, CPU or memory overrun in
 * the top-level code, or a missing entry point.
 */
export function loadJsScript<Ctx>(opts: LoadJsScriptOptions<Ctx>): Promise<ScriptInstance<Ctx>> {
  return JsScript.load(opts);
}

export { JsScript };
