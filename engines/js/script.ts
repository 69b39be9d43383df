/**
 * One JS script instance: the script's realms in the asyncify module pool (see pool.ts).
 *
 * A route runs in a realm whose module is free. It almost always is the first one: a route that
 * never waits on a host Promise leaves its module free when it returns. While a route is
 * suspended its module stays busy, so the next route runs in another module, in a realm made on
 * first use by evaluating the script there (globals are per realm, as they are per worker
 * process in Kamailio). A realm whose heap hit the memory limit, or whose module failed, is
 * dropped and the script re-evaluated on the next route: `rebuilds` counts those.
 */
import { dirname, resolve } from 'node:path';
import type { ExportRegistry, KsrExport } from '../../core/api/registry.ts';
import {
  DEFAULT_LIMITS,
  ScriptLoadError,
  type RouteOutcome,
  type ScriptInstance,
  type ScriptLimits,
} from '../../core/api/script.ts';
import { buildKsrTree } from '../ksr/tree.ts';
import { pool, type Slot } from './pool.ts';
import { Realm, disposedOutcome, type HostSide } from './realm.ts';
import { readScriptSource, requireEntryPoints } from '../ksr/load.ts';

export interface JsScriptOptions<Ctx> {
  readonly file: string;
  readonly source?: string;
  readonly registry: ExportRegistry<Ctx>;
  readonly limits?: Partial<ScriptLimits>;
  readonly version?: number;
  readonly entryPoints?: readonly string[];
  readonly print?: (text: string) => void;
}

/** QuickJS's heap when `limits.memoryBytes` is 0. */
const DEFAULT_MEMORY = 64 << 20;

export class JsScript<Ctx> implements ScriptInstance<Ctx> {
  readonly engine = 'js';
  readonly file: string;
  readonly version: number;
  readonly #limits: ScriptLimits;
  readonly #host: HostSide<Ctx>;
  /** Realms by slot, in the order they were made (the first one serves almost everything). */
  readonly #realms = new Map<Slot, Realm<Ctx>>();
  #disposed = false;
  /** Realms dropped after a memory overrun or a module failure (the script was re-evaluated). */
  rebuilds = 0;

  private constructor(opts: JsScriptOptions<Ctx>, source: string) {
    this.file = resolve(opts.file);
    this.version = opts.version ?? 1;
    this.#limits = { ...DEFAULT_LIMITS, ...opts.limits };
    const tree = buildKsrTree(opts.registry);
    const exports: KsrExport<Ctx>[] = [...tree.core];
    for (const list of tree.modules.values()) exports.push(...list);
    const print = opts.print ?? ((t: string) => process.stdout.write(`${t}\n`));
    this.#host = {
      file: this.file,
      dir: dirname(this.file),
      source,
      exports,
      memoryBytes: this.#limits.memoryBytes > 0 ? this.#limits.memoryBytes : DEFAULT_MEMORY,
      maxSuspended: this.#limits.maxSuspended,
      suspended: 0,
      print,
    };
  }

  /**
   * @throws ScriptLoadError for a syntax error, an error or overrun at top level, or a missing
   * entry point.
   */
  static async load<Ctx>(opts: JsScriptOptions<Ctx>): Promise<JsScript<Ctx>> {
    const file = resolve(opts.file);
    const source = readScriptSource(file, opts.source);
    const script = new JsScript(opts, source);
    try {
      const realm = script.#newRealm(await pool.acquire());
      requireEntryPoints(file, opts.entryPoints, (name) => realm.hasFunction(name));
    } catch (e) {
      script.dispose();
      throw e;
    }
    return script;
  }

  get alive(): boolean {
    return !this.#disposed;
  }

  /** Modules this script has a realm in (1 unless routes were suspended at once). */
  get realms(): number {
    return this.#realms.size;
  }

  hasFunction(name: string): boolean {
    if (this.#disposed) return false;
    for (const [slot, realm] of this.#realms) {
      if (!slot.busy && realm.alive) return realm.hasFunction(name);
    }
    // Asked from inside a route (t_on_branch, t_on_failure): every realm is busy, but the asking
    // one is live on the stack, not suspended, and can answer.
    for (const realm of this.#realms.values()) {
      if (realm.inHostCall) return realm.hasFunction(name);
    }
    return false;
  }

  run(fn: string, ctx: Ctx, arg?: string): Promise<RouteOutcome> {
    // The contract: never reject. A throw here would be an engine bug; report it as an outcome.
    try {
      if (this.#disposed) return Promise.resolve(disposedOutcome(this.file));
      const realm = this.#freeRealm();
      if (realm !== null) {
        const out = realm.call(fn, ctx, arg, this.#limits.cpuMs);
        return out instanceof Promise
          ? out.catch((e: unknown) => this.#internalError(e))
          : Promise.resolve(out);
      }
      return this.#runInNewSlot(fn, ctx, arg).catch((e: unknown) => this.#internalError(e));
    } catch (e) {
      return Promise.resolve(this.#internalError(e));
    }
  }

  async #runInNewSlot(fn: string, ctx: Ctx, arg: string | undefined): Promise<RouteOutcome> {
    const slot = await pool.acquire();
    if (this.#disposed) return disposedOutcome(this.file);
    let realm = this.#realms.get(slot);
    if (realm === undefined) {
      try {
        realm = this.#newRealm(slot);
      } catch (e) {
        return this.#loadFailure(e);
      }
    }
    return realm.call(fn, ctx, arg, this.#limits.cpuMs);
  }

  /** A realm in a free slot: an existing one, else a new one in a free slot; null if none. */
  #freeRealm(): Realm<Ctx> | null {
    for (const [slot, realm] of this.#realms) {
      if (!realm.alive) this.#realms.delete(slot);
      else if (!slot.busy) return realm;
    }
    const slot = pool.free();
    if (slot === null) return null;
    try {
      return this.#newRealm(slot);
    } catch {
      return null;
    }
  }

  #newRealm(slot: Slot): Realm<Ctx> {
    const realm = new Realm<Ctx>(this.#host, slot);
    this.#realms.set(slot, realm);
    realm.onRelease = () => {
      if (!realm.alive && this.#realms.get(slot) === realm) this.#realms.delete(slot);
      if (realm.rebuildNeeded) {
        realm.rebuildNeeded = false;
        if (!this.#disposed) this.rebuilds++;
      }
      if (!slot.busy) pool.released(slot);
    };
    try {
      realm.init(Math.max(1000, this.#limits.cpuMs * 10));
    } catch (e) {
      this.#realms.delete(slot);
      realm.onRelease = null;
      realm.dispose();
      throw e;
    }
    return realm;
  }

  #loadFailure(e: unknown): RouteOutcome {
    if (e instanceof ScriptLoadError) {
      return {
        kind: 'error',
        message: `the script could not be evaluated again: ${e.message}`,
        where: e.where,
        traceback: '',
      };
    }
    return this.#internalError(e);
  }

  #internalError(e: unknown): RouteOutcome {
    return {
      kind: 'error',
      message: `internal JS engine error: ${e instanceof Error ? e.message : String(e)}`,
      where: { file: this.file, line: null },
      traceback: e instanceof Error ? (e.stack ?? '') : '',
    };
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const realm of [...this.#realms.values()]) realm.dispose();
    this.#realms.clear();
  }

  [Symbol.dispose](): void {
    this.dispose();
  }
}
