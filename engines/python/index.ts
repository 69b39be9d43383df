/**
 * The Python engine (Pyodide): each script instance runs in its own worker thread, never in the
 * SIP thread, with the `KSR` module built from the export registry. Both KEMI styles work:
 * module-level functions (app_python3s) and `mod_init()` returning an object whose methods
 * take `msg` (app_python3).
 */
import type { ExportRegistry } from '../../core/api/registry.ts';
import type { ScriptInstance, ScriptLimits } from '../../core/api/script.ts';
import { PythonScript } from './script.ts';

export interface LoadPythonScriptOptions<Ctx> {
  /** The script's path: tracebacks and outcomes name it. */
  readonly file: string;
  /** The script text (default: read `file`). */
  readonly source?: string;
  readonly registry: ExportRegistry<Ctx>;
  /** `memoryBytes` caps the interpreter's wasm memory (default 256 MB for Python). */
  readonly limits?: Partial<ScriptLimits>;
  readonly version?: number;
  /**
   * Functions the script must define (default `['ksr_request_route']`); in the class style,
   * methods of the object `mod_init()` returns.
   */
  readonly entryPoints?: readonly string[];
  /** Where the script's `print` goes (default: stdout). */
  readonly print?: (text: string) => void;
  /** Where engine error lines go (a KSR call with a wrong argument type; default: stderr). */
  readonly log?: (text: string) => void;
}

/**
 * Starts a worker, runs the script's top level (and `mod_init()`), then checks its entry points.
 * @throws ScriptLoadError (with file:line) for a syntax error, an exception or CPU overrun while
 * loading, or a missing entry point.
 */
export function loadPythonScript<Ctx>(
  opts: LoadPythonScriptOptions<Ctx>,
): Promise<ScriptInstance<Ctx>> {
  return PythonScript.load(opts);
}

export { PythonScript, DEFAULT_PYTHON_MEMORY } from './script.ts';
