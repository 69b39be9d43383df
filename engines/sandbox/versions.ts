/**
 * Versioned script instances and hot reload. A candidate version is loaded in a fresh
 * instance, its route functions checked and its optional self-test run; only then does it
 * become the version new requests use. A refused candidate leaves the serving one untouched.
 *
 * Lifetimes: every RouteContext carries the instance that started it (ctx.script), so
 * callbacks armed by a route (failure, branch, onreply) run on that version. A retired
 * instance is disposed once (a) no route of it is running and (b) a grace period has passed
 * since it was retired. Counting routes in flight is cheap (one wrapper call per route), but a
 * transaction may arm a failure route that runs much later with nothing in flight meanwhile:
 * the grace period covers that, and must be at least the longest a transaction can live
 * (fr_inv_timer plus the wait states, see graceForTimers in bin/app.ts).
 * The previous version stays alive (not retired) so `rollback()` is one swap.
 */
import { ScriptLoadError, type RouteOutcome, type ScriptInstance } from '../../core/api/script.ts';

export interface RunObservation<Ctx> {
  readonly engine: string;
  readonly version: number;
  readonly fn: string;
  readonly ctx: Ctx;
  readonly outcome: RouteOutcome;
  readonly ms: number;
}

export interface ScriptVersionsOptions<Ctx> {
  /** Loads (compiles and runs the top level of) one version of the script. */
  readonly load: (file: string, version: number) => Promise<ScriptInstance<Ctx>>;
  readonly file: string;
  /** Functions a version must define to go live (the request route at least). */
  readonly required: readonly string[];
  /** A function run once on a candidate before the switch, when the candidate defines it. */
  readonly selftest?: {
    readonly name: string;
    readonly ctx: (s: ScriptInstance<Ctx>) => Ctx;
  } | null;
  /** Milliseconds a retired version is kept after its retirement (max transaction lifetime). */
  readonly graceMs: number;
  readonly log?: (
    level: 'info' | 'warn' | 'error',
    fields: Record<string, unknown>,
    msg: string,
  ) => void;
  /** Sees every route call (metrics). */
  readonly observe?: (o: RunObservation<Ctx>) => void;
  /** Sees every reload/rollback attempt (metrics). */
  readonly onSwitch?: (kind: 'reload' | 'rollback', ok: boolean) => void;
}

export type SwitchResult =
  | {
      readonly ok: true;
      readonly version: number;
      readonly previous: number | null;
      readonly file: string;
    }
  | {
      readonly ok: false;
      readonly error: string;
      readonly file: string | null;
      readonly line: number | null;
      /** The version still serving. */
      readonly version: number;
    };

export interface VersionInfo {
  readonly version: number;
  readonly file: string;
  readonly engine: string;
  readonly loadedAt: string;
  readonly inFlight: number;
  readonly state: 'active' | 'previous' | 'retired';
}

/** One loaded version, counting its routes in flight. */
class Tracked<Ctx> implements ScriptInstance<Ctx> {
  inFlight = 0;
  retired = false;
  graceOver = false;
  disposed = false;
  readonly loadedAt = new Date();
  constructor(
    readonly inner: ScriptInstance<Ctx>,
    readonly owner: ScriptVersions<Ctx>,
  ) {}
  get engine(): string {
    return this.inner.engine;
  }
  get file(): string {
    return this.inner.file;
  }
  get version(): number {
    return this.inner.version;
  }
  hasFunction(name: string): boolean {
    return this.inner.hasFunction(name);
  }
  async run(fn: string, ctx: Ctx, arg?: string): Promise<RouteOutcome> {
    if (this.disposed) {
      // Only a route armed past the grace period gets here: a bug in the grace computation.
      return {
        kind: 'error',
        message: `script version ${this.version} was already freed`,
        where: { file: this.file, line: null },
        traceback: '',
      };
    }
    this.inFlight++;
    const t0 = performance.now();
    let outcome: RouteOutcome | undefined;
    try {
      outcome = await this.inner.run(fn, ctx, arg);
      return outcome;
    } finally {
      this.inFlight--;
      const observe = this.owner.observer;
      if (observe && outcome) {
        observe({
          engine: this.engine,
          version: this.version,
          fn,
          ctx,
          outcome,
          ms: performance.now() - t0,
        });
      }
      if (this.retired) this.owner.maybeFree(this);
    }
  }
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.inner.dispose();
  }
}

export class ScriptVersions<Ctx> {
  readonly #opts: ScriptVersionsOptions<Ctx>;
  #active: Tracked<Ctx> | null = null;
  #previous: Tracked<Ctx> | null = null;
  readonly #retired = new Set<Tracked<Ctx>>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #next = 1;
  #file: string;
  /** Reloads and rollbacks run one at a time. */
  #queue: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(opts: ScriptVersionsOptions<Ctx>) {
    this.#opts = opts;
    this.#file = opts.file;
  }

  get observer(): ((o: RunObservation<Ctx>) => void) | undefined {
    return this.#opts.observe;
  }

  /** Loads version 1. @throws ScriptLoadError when it is refused. */
  async start(): Promise<void> {
    const r = await this.#candidate(this.#file);
    if (!r.ok) throw r.error;
    this.#active = r.instance;
  }

  /** The version new requests use (the server's `script` getter). */
  current(): ScriptInstance<Ctx> {
    if (!this.#active) throw new Error('ScriptVersions: not started');
    return this.#active;
  }

  /** Loads `file` (default: the current file, re-read) as a new version and switches to it. */
  reload(file?: string): Promise<SwitchResult> {
    return this.#serial(async () => {
      const path = file ?? this.#file;
      const r = await this.#candidate(path);
      const active = this.#active!;
      if (!r.ok) {
        const e = r.error;
        this.#opts.log?.(
          'warn',
          { file: e.where.file, line: e.where.line, version: active.version },
          `reload refused: ${e.message}`,
        );
        this.#opts.onSwitch?.('reload', false);
        return {
          ok: false,
          error: e.message,
          file: e.where.file,
          line: e.where.line,
          version: active.version,
        };
      }
      if (this.#closed) {
        r.instance.dispose();
        return { ok: false, error: 'stopped', file: null, line: null, version: active.version };
      }
      if (this.#previous) this.#retire(this.#previous);
      this.#previous = active;
      this.#active = r.instance;
      this.#file = path;
      this.#opts.log?.(
        'info',
        { file: path, version: r.instance.version, previous: active.version },
        'script reloaded',
      );
      this.#opts.onSwitch?.('reload', true);
      return { ok: true, version: r.instance.version, previous: active.version, file: path };
    });
  }

  /** Returns to the version that served before the last reload; the current one is retired. */
  rollback(): Promise<SwitchResult> {
    return this.#serial(async () => {
      const active = this.#active!;
      const prev = this.#previous;
      if (!prev) {
        this.#opts.onSwitch?.('rollback', false);
        return {
          ok: false,
          error: 'no previous version to roll back to',
          file: null,
          line: null,
          version: active.version,
        };
      }
      this.#active = prev;
      this.#previous = null;
      this.#file = prev.file;
      this.#retire(active);
      this.#opts.log?.(
        'info',
        { version: prev.version, from: active.version },
        'script rolled back',
      );
      this.#opts.onSwitch?.('rollback', true);
      return { ok: true, version: prev.version, previous: active.version, file: prev.file };
    });
  }

  /** Every live version (management: script.version). */
  versions(): VersionInfo[] {
    const info = (t: Tracked<Ctx>, state: VersionInfo['state']): VersionInfo => ({
      version: t.version,
      file: t.file,
      engine: t.engine,
      loadedAt: t.loadedAt.toISOString(),
      inFlight: t.inFlight,
      state,
    });
    const out: VersionInfo[] = [];
    if (this.#active) out.push(info(this.#active, 'active'));
    if (this.#previous) out.push(info(this.#previous, 'previous'));
    for (const t of this.#retired) out.push(info(t, 'retired'));
    return out;
  }

  get file(): string {
    return this.#file;
  }

  /** Frees every version now (server stop). */
  dispose(): void {
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const t of [this.#active, this.#previous, ...this.#retired]) t?.dispose();
    this.#retired.clear();
  }

  /** Called by a retired version whenever one of its routes ends. */
  maybeFree(t: Tracked<Ctx>): void {
    if (!t.retired || !t.graceOver || t.inFlight > 0 || t.disposed) return;
    this.#retired.delete(t);
    t.dispose();
    this.#opts.log?.('info', { version: t.version, file: t.file }, 'script version freed');
  }

  #retire(t: Tracked<Ctx>): void {
    t.retired = true;
    this.#retired.add(t);
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      t.graceOver = true;
      this.maybeFree(t);
    }, this.#opts.graceMs);
    timer.unref();
    this.#timers.add(timer);
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#queue.then(fn, fn);
    this.#queue = p.catch(() => {});
    return p;
  }

  async #candidate(
    file: string,
  ): Promise<{ ok: true; instance: Tracked<Ctx> } | { ok: false; error: ScriptLoadError }> {
    const version = this.#next++;
    let inner: ScriptInstance<Ctx>;
    try {
      inner = await this.#opts.load(file, version);
    } catch (e) {
      if (e instanceof ScriptLoadError) return { ok: false, error: e };
      return { ok: false, error: new ScriptLoadError((e as Error).message, { file, line: null }) };
    }
    const refuse = (
      message: string,
      line: number | null = null,
      where = inner.file,
    ): { ok: false; error: ScriptLoadError } => {
      inner.dispose();
      return { ok: false, error: new ScriptLoadError(message, { file: where, line }) };
    };
    for (const name of this.#opts.required) {
      if (!inner.hasFunction(name))
        return refuse(`the script does not define the function '${name}'`);
    }
    const st = this.#opts.selftest;
    if (st && inner.hasFunction(st.name)) {
      const outcome = await inner.run(st.name, st.ctx(inner));
      switch (outcome.kind) {
        case 'error':
          return refuse(
            `${st.name} failed: ${outcome.message}`,
            outcome.where.line,
            outcome.where.file,
          );
        case 'aborted':
          return refuse(
            `${st.name} exceeded its ${outcome.reason} budget`,
            outcome.where.line,
            outcome.where.file,
          );
        case 'missing':
          return refuse(`${st.name} is missing`);
        default:
          break;
      }
    }
    return { ok: true, instance: new Tracked(inner, this) };
  }
}
