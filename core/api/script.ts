/**
 * The contract between the core and a loaded script, whatever its language or placement.
 * The core calls route functions by name; engines implement this interface.
 */

export type RouteType = 'request' | 'reply' | 'failure' | 'branch' | 'onreply' | 'onsend' | 'event';

/** Where a script error happened, for the log line and the stack trace a user reads. */
export interface ScriptLocation {
  readonly file: string;
  readonly line: number | null;
}

export type RouteOutcome =
  /** The function returned (its value is ignored, as in KEMI). */
  | { readonly kind: 'returned' }
  /** KSR.x.exit() or KSR.x.drop(). */
  | { readonly kind: 'exit'; readonly drop: boolean }
  /** An uncaught error in the script. */
  | {
      readonly kind: 'error';
      readonly message: string;
      readonly where: ScriptLocation;
      readonly traceback: string;
    }
  /** The CPU budget (or memory limit) was exceeded and the route was aborted. */
  | { readonly kind: 'aborted'; readonly reason: 'cpu' | 'memory'; readonly where: ScriptLocation }
  /** The named function does not exist in the script. */
  | { readonly kind: 'missing'; readonly name: string };

export interface ScriptLimits {
  /** CPU budget per route call in milliseconds. */
  readonly cpuMs: number;
  /** Memory ceiling per instance in bytes (0 = engine default). */
  readonly memoryBytes: number;
  /** Maximum routes suspended on async calls at once. */
  readonly maxSuspended: number;
}

export const DEFAULT_LIMITS: ScriptLimits = {
  cpuMs: 100,
  memoryBytes: 64 << 20,
  maxSuspended: 1000,
};

export interface ScriptInstance<Ctx = unknown> {
  readonly engine: string;
  readonly file: string;
  readonly version: number;
  hasFunction(name: string): boolean;
  /**
   * Runs a route function on `ctx`. Never rejects: every failure is an outcome.
   * `arg` is passed to event callbacks (the event name), as in KEMI.
   */
  run(fn: string, ctx: Ctx, arg?: string): Promise<RouteOutcome>;
  dispose(): void;
}

/** A script refused at load time: a syntax error, a missing entry point, a failed self-test. */
export class ScriptLoadError extends Error {
  readonly code = 'POLYSIP_ERR_SCRIPT_LOAD';
  override readonly name = 'ScriptLoadError';
  constructor(
    message: string,
    readonly where: ScriptLocation,
  ) {
    super(`${where.file}${where.line === null ? '' : `:${where.line}`}: ${message}`);
  }
}
