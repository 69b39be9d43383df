/**
 * The JavaScript engine (QuickJS through quickjs-emscripten): loads a Kamailio jsdt-style script
 * (global functions `ksr_request_route()`…, a `KSR` global) into sandboxed QuickJS contexts and
 * runs its route functions with the `KSR` API built from the export registry.
 *
 * Limits held in-thread: the CPU budget is checked at QuickJS's interrupt polls, whose distance the
 * realm adapts (a recursion that catches its own stack overflows stops ~30 ms past its budget);
 * memory is capped on the module's linear memory (pool.ts `Slot.mayGrow`: QuickJS's own limit
 * counts allocations, not bytes, under Emscripten). What in-thread cannot bound: one builtin call
 * that runs long without reaching a poll — the default `sort` of a big array (300,000 numbers:
 * ~0.5 s), `split('')` of a 1 MiB string, a `repeat` of many MiB. Its cost is bounded by the
 * memory limit, not by the budget. That is why the in-thread placement is for the operator's own
 * (trusted) scripts: in the isolated placement the watchdog ends such a route after 2x the budget.
 * A module shared by several in-thread scripts is capped at the sum of their limits.
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
