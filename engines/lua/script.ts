/**
 * One Lua script instance: one fengari state, one `KSR` table, routes run in coroutines.
 *
 * Each `run()` gets a new coroutine, so a KSR implementation returning a Promise suspends only
 * that route (the host function yields, the driver awaits, then resumes it with the value: the
 * script's locals stay intact). Every coroutine — the route's and those the script creates — is
 * mapped to its route record, which carries the ctx KSR calls receive and the CPU deadline.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join, resolve, sep } from 'node:path';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import fengari, { type Hook, type JsFunction, type LuaState, type LuaString } from 'fengari';
import type { ExportRegistry, HostValue, KsrExport } from '../../core/api/registry.ts';
import { isRouteExit } from '../../core/api/control.ts';
import {
  DEFAULT_LIMITS,
  ScriptLoadError,
  type RouteOutcome,
  type ScriptInstance,
  type ScriptLimits,
  type ScriptLocation,
} from '../../core/api/script.ts';
import { convertArg, convertReturn, ksrName, type GuestArg } from '../ksr/convert.ts';
import { buildKsrTree } from '../ksr/tree.ts';
import { openSafeLibs, PRELUDE, PRELUDE_CHUNKNAME } from './sandbox.ts';
import { readScriptSource, requireEntryPoints } from '../ksr/load.ts';

const { lua, lauxlib, to_luastring, to_jsstring } = fengari;

/**
 * fengari 0.1.5 internals, for the one read made on every message: is a route function
 * defined? Through the API (push _G, push the name, gettable, remove) that allocated a stack
 * slot object per push; reading the globals table directly does not. Used only when _G has
 * no metatable, where a raw read is exactly what lua_getglobal does.
 */
interface FTValue {
  readonly value: unknown;
  ttistable(): boolean;
  ttisfunction(): boolean;
}
interface FTable {
  readonly metatable: unknown;
}
const fengariRequire = createRequire(import.meta.url);
const ltable = fengariRequire('fengari/src/ltable.js') as {
  luaH_getint(t: FTable, key: number): FTValue;
  luaH_getstr(t: FTable, key: unknown): FTValue;
};
const lstring = fengariRequire('fengari/src/lstring.js') as {
  luaS_new(L: LuaState, s: LuaString): unknown;
};
const {
  LUA_OK,
  LUA_YIELD,
  LUA_TNIL,
  LUA_TNONE,
  LUA_TBOOLEAN,
  LUA_TNUMBER,
  LUA_TSTRING,
  LUA_TLIGHTUSERDATA,
  LUA_MASKCOUNT,
} = lua;

/** Instructions between two clock checks of the CPU hook. */
const HOOK_COUNT = 1000;
const AT = 64;
/** Finished route coroutines kept for reuse. */
const IDLE_THREADS = 64; // '@': chunk names of files

/** Unforgeable error values (light userdata): only the host can push them. */
const EXIT = Object.freeze({ polysip: 'exit' });
const ABORT = Object.freeze({ polysip: 'abort' });
const SUSP = Object.freeze({ polysip: 'suspend' });

const MODULE_NAME = /^[A-Za-z0-9_][A-Za-z0-9_-]*$/;

export interface LuaScriptOptions<Ctx> {
  readonly file: string;
  readonly source?: string;
  readonly registry: ExportRegistry<Ctx>;
  readonly limits?: Partial<ScriptLimits>;
  readonly version?: number;
  readonly entryPoints?: readonly string[];
  /** Where the script's `print` goes (default: stdout). */
  readonly print?: (text: string) => void;
}

/** How the outstanding KSR call of a route ended (see Run.settled). */
const PENDING = 0;
const FULFILLED = 1;
const REJECTED = 2;

/** State of one route call, shared by every coroutine the route runs. */
class Run<Ctx> {
  budgetMs: number;
  deadline = 0;
  aborted = false;
  abortWhere: ScriptLocation | null = null;
  /** 0: none, 1: exit, 2: drop. */
  exit = 0;
  /** Set while a KSR call's Promise is outstanding. */
  pending: Promise<HostValue | void> | null = null;
  /** The coroutine parked inside that KSR call: only the host may resume it. */
  waiting: LuaState | null = null;
  pendingDecl: KsrExport<Ctx> | null = null;
  settled = PENDING;
  /** The value (FULFILLED) or the error (REJECTED) of the call that was pending. */
  result: unknown = undefined;
  /** Modules whose top-level chunk this route has started and not finished. */
  readonly requiring = new Set<string>();
  constructor(
    /** `undefined` while the top-level chunk runs: KSR calls are refused then. */
    readonly ctx: Ctx | undefined,
    readonly loading: boolean,
    budgetMs: number,
  ) {
    this.budgetMs = budgetMs;
  }
}

const SUSPENDED = Symbol('suspended');
type Step = RouteOutcome | typeof SUSPENDED;

function jsString(s: LuaString): string {
  return to_jsstring(s, 0, s.length, true);
}

export class LuaScript<Ctx> implements ScriptInstance<Ctx> {
  readonly engine = 'lua';
  readonly file: string;
  readonly version: number;
  readonly #dir: string;
  readonly #limits: ScriptLimits;
  readonly #print: (text: string) => void;
  #L: LuaState | null;
  readonly #runs = new WeakMap<LuaState, Run<Ctx>>();
  readonly #names = new Map<string, LuaString>();
  /** Route names as Lua strings held in the registry: see #pushGlobal. */
  readonly #nameRefs = new Map<string, number>();
  /** Route names as fengari TStrings (their hash is computed once): see hasFunction. */
  readonly #nameKeys = new Map<string, unknown>();
  #suspended = 0;
  readonly #idle: LuaState[] = [];
  readonly #hook: Hook;
  /** The continuation of every suspended KSR call (one closure, not one per call). */
  readonly #resumedK: JsFunction;

  private constructor(opts: LuaScriptOptions<Ctx>) {
    this.file = resolve(opts.file);
    this.#dir = dirname(this.file);
    this.version = opts.version ?? 1;
    this.#limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.#print = opts.print ?? ((t) => process.stdout.write(`${t}\n`));
    this.#hook = (L) => this.#onHook(L);
    this.#resumedK = (L1) => this.#resumed(L1);
    const L = lauxlib.luaL_newstate();
    this.#L = L;
    // A JS exception escaping a host function becomes a Lua error carrying its message.
    lua.lua_atnativeerror(L, (L1) => {
      const e = lua.lua_touserdata(L1, 1);
      lua.lua_pushstring(L1, to_luastring(e instanceof Error ? e.message : String(e)));
      return 1;
    });
    openSafeLibs(L);
    this.#installKsr(L, opts.registry);
    this.#runPrelude(L);
    // Threads inherit the hook of the thread that creates them.
    lua.lua_sethook(L, this.#hook, LUA_MASKCOUNT, HOOK_COUNT);
  }

  static async load<Ctx>(opts: LuaScriptOptions<Ctx>): Promise<LuaScript<Ctx>> {
    const file = resolve(opts.file);
    const source = readScriptSource(file, opts.source);
    const script = new LuaScript(opts);
    try {
      await script.#runTopLevel(source);
      requireEntryPoints(file, opts.entryPoints, (name) => script.hasFunction(name));
    } catch (e) {
      script.dispose();
      throw e;
    }
    return script;
  }

  get alive(): boolean {
    return this.#L !== null;
  }

  hasFunction(name: string): boolean {
    const L = this.#L;
    if (L === null) return false;
    const reg = (L as unknown as { l_G: { l_registry: FTValue } }).l_G.l_registry;
    const g = ltable.luaH_getint(reg.value as FTable, lua.LUA_RIDX_GLOBALS);
    if (g.ttistable() && (g.value as FTable).metatable === null) {
      let key = this.#nameKeys.get(name);
      if (key === undefined) {
        key = lstring.luaS_new(L, this.#name(name));
        if (this.#nameKeys.size < 256) this.#nameKeys.set(name, key);
      }
      return ltable.luaH_getstr(g.value as FTable, key).ttisfunction();
    }
    const t = this.#pushGlobal(L, name);
    lua.lua_pop(L, 1);
    return t === lua.LUA_TFUNCTION;
  }

  /**
   * Pushes global `name` onto T's stack and returns its type, as lua_getglobal does (metatables
   * of _G included). lua_getglobal makes a new Lua string from the name on every call, and
   * fengari hashes a string by rebuilding it as hex text: for a route looked up on every
   * message that was a visible share of the profile. The Lua string made once and kept in the
   * registry keeps its hash.
   */
  #pushGlobal(T: LuaState, name: string): number {
    let ref = this.#nameRefs.get(name);
    if (ref === undefined) {
      if (this.#nameRefs.size >= 256) return lua.lua_getglobal(T, this.#name(name));
      lua.lua_pushstring(T, this.#name(name));
      ref = lauxlib.luaL_ref(T, lua.LUA_REGISTRYINDEX);
      this.#nameRefs.set(name, ref);
    }
    lua.lua_rawgeti(T, lua.LUA_REGISTRYINDEX, lua.LUA_RIDX_GLOBALS);
    lua.lua_rawgeti(T, lua.LUA_REGISTRYINDEX, ref);
    const t = lua.lua_gettable(T, -2);
    lua.lua_remove(T, -2);
    return t;
  }

  run(fn: string, ctx: Ctx, arg?: string): Promise<RouteOutcome> {
    // The contract: never reject. A throw here would be an engine bug; report it as an outcome.
    // #run's Promise never rejects (#wake turns a throw into an outcome), so no catch chained.
    try {
      return this.#run(fn, ctx, arg);
    } catch (e) {
      return Promise.resolve(this.#internalError(e));
    }
  }

  #internalError(e: unknown): RouteOutcome {
    return {
      kind: 'error',
      message: `internal Lua engine error: ${e instanceof Error ? e.message : String(e)}`,
      where: { file: this.file, line: null },
      traceback: e instanceof Error ? (e.stack ?? '') : '',
    };
  }

  #run(fn: string, ctx: Ctx, arg?: string): Promise<RouteOutcome> {
    const L = this.#L;
    if (L === null) return Promise.resolve(this.#disposedOutcome());
    let T = this.#idle.pop();
    if (T === undefined) {
      T = lua.lua_newthread(L);
      lua.lua_pop(L, 1); // the JS reference keeps the thread alive
    }
    // One lookup, on the coroutine itself (an idle coroutine's stack is empty).
    if (this.#pushGlobal(T, fn) !== lua.LUA_TFUNCTION) {
      lua.lua_settop(T, 0);
      this.#idle.push(T);
      return Promise.resolve({ kind: 'missing', name: fn });
    }
    let nargs = 0;
    if (arg !== undefined) {
      lua.lua_pushstring(T, to_luastring(arg));
      nargs = 1;
    }
    const run = new Run<Ctx>(ctx, false, this.#limits.cpuMs);
    this.#runs.set(T, run);
    const first = this.#step(T, run, nargs);
    if (first !== SUSPENDED) {
      this.#recycle(T, first);
      return Promise.resolve(first);
    }
    const T1 = T;
    return new Promise((resolve) =>
      this.#wait(T1, run, (out) => {
        let final = out;
        try {
          this.#recycle(T1, out);
        } catch (e) {
          final = this.#internalError(e);
        }
        resolve(final);
      }),
    );
  }

  /** A coroutine that returned normally is reusable (a dead one is not): saves an allocation. */
  #recycle(T: LuaState, out: RouteOutcome): void {
    this.#runs.delete(T);
    if (out.kind !== 'returned' || this.#L === null || this.#idle.length >= IDLE_THREADS) return;
    lua.lua_settop(T, 0);
    this.#idle.push(T);
  }

  dispose(): void {
    const L = this.#L;
    if (L === null) return;
    this.#L = null;
    lua.lua_close(L);
  }

  // -------------------------------------------------------------------------------------------
  // Driving a route coroutine

  #continue(T: LuaState, run: Run<Ctx>): Promise<RouteOutcome> {
    return new Promise((resolve) => this.#wait(T, run, resolve));
  }

  /**
   * Waits for the pending KSR call and resumes the route with its result, until the route
   * ends; then `done`. Callbacks on the call's own Promise, not an async loop: an `await` on a
   * derived Promise cost two extra Promises and microtask hops per suspension.
   */
  #wait(T: LuaState, run: Run<Ctx>, done: (out: RouteOutcome) => void): void {
    this.#suspended++;
    run.pending!.then(
      (value) => {
        run.settled = FULFILLED;
        run.result = value;
        this.#wake(T, run, done);
      },
      (error: unknown) => {
        run.settled = REJECTED;
        run.result = error;
        this.#wake(T, run, done);
      },
    );
  }

  #wake(T: LuaState, run: Run<Ctx>, done: (out: RouteOutcome) => void): void {
    this.#suspended--;
    run.pending = null;
    let out: Step;
    try {
      out = this.#L === null ? this.#disposedOutcome() : this.#step(T, run, 0);
    } catch (e) {
      out = this.#internalError(e);
    }
    if (out === SUSPENDED) this.#wait(T, run, done);
    else done(out);
  }

  /** Resumes `T` once and classifies how it stopped. */
  #step(T: LuaState, run: Run<Ctx>, nargs: number): Step {
    const t0 = performance.now();
    run.deadline = t0 + run.budgetMs;
    const status = lua.lua_resume(T, null, nargs);
    run.budgetMs -= performance.now() - t0;
    if (status === LUA_YIELD) {
      if (run.pending !== null) return SUSPENDED;
      // The route function itself called coroutine.yield: there is nobody to yield to.
      return {
        kind: 'error',
        message: 'attempt to yield from the route function (outside a coroutine)',
        where: this.#locate(T, 0),
        traceback: this.#traceback(T, null),
      };
    }
    if (run.exit !== 0) return { kind: 'exit', drop: run.exit === 2 };
    if (status === LUA_OK) return { kind: 'returned' };
    if (run.aborted) {
      return { kind: 'aborted', reason: 'cpu', where: run.abortWhere ?? this.#locate(T, 0) };
    }
    return this.#errorOutcome(T);
  }

  #errorOutcome(T: LuaState): RouteOutcome {
    const where = this.#locate(T, 0);
    let message: string;
    const t = lua.lua_type(T, -1);
    if (t === LUA_TSTRING) message = jsString(lua.lua_tolstring(T, -1)!);
    else if (t === LUA_TNUMBER) message = String(lua.lua_tonumber(T, -1));
    else if (t === LUA_TNIL || t === LUA_TNONE) message = 'error (nil error value)';
    else message = `(error object is a ${jsString(lua.lua_typename(T, t))} value)`;
    const traceback = this.#traceback(T, message);
    return { kind: 'error', message: stripLocation(message, where), where, traceback };
  }

  #traceback(T: LuaState, message: string | null): string {
    const L = this.#L!;
    lauxlib.luaL_traceback(L, T, message === null ? null : to_luastring(message), 0);
    const tb = jsString(lua.lua_tolstring(L, -1)!);
    lua.lua_pop(L, 1);
    return tb;
  }

  /** The innermost frame of the user's files (chunk name '@path') at or above `level`. */
  #locate(T: LuaState, level: number): ScriptLocation {
    const ar = new lua.lua_Debug();
    for (let lv = level; lua.lua_getstack(T, lv, ar) !== 0; lv++) {
      lua.lua_getinfo(T, 'Sl', ar);
      const src = ar.source;
      if (src !== null && src[0] === AT) {
        return {
          file: jsString(src.subarray(1)),
          line: ar.currentline > 0 ? ar.currentline : null,
        };
      }
    }
    return { file: this.file, line: null };
  }

  #disposedOutcome(): RouteOutcome {
    return {
      kind: 'error',
      message: 'the Lua script instance was disposed',
      where: { file: this.file, line: null },
      traceback: '',
    };
  }

  // -------------------------------------------------------------------------------------------
  // CPU budget

  #onHook(L: LuaState): void {
    const run = this.#runs.get(L);
    if (run === undefined) return;
    if (!run.aborted) {
      if (performance.now() < run.deadline) return;
      run.aborted = true;
      run.abortWhere = this.#locate(L, 0);
    }
    // From now on every instruction of this coroutine raises again: a pcall cannot outlast it.
    lua.lua_sethook(L, this.#hook, LUA_MASKCOUNT, 1);
    lua.lua_pushlightuserdata(L, ABORT);
    lua.lua_error(L);
  }

  // -------------------------------------------------------------------------------------------
  // Loading

  async #runTopLevel(source: string): Promise<void> {
    const L = this.#L!;
    const bytes = to_luastring(source);
    const status = lauxlib.luaL_loadbufferx(L, bytes, bytes.length, `@${this.file}`, 't');
    if (status !== LUA_OK) {
      const msg = jsString(lua.lua_tolstring(L, -1) ?? to_luastring('syntax error'));
      lua.lua_pop(L, 1);
      throw loadErrorFromMessage(msg, this.file);
    }
    const T = lua.lua_newthread(L);
    lua.lua_insert(L, -2);
    lua.lua_xmove(L, T, 1); // the chunk, onto the thread
    lua.lua_pop(L, 1);
    const run = new Run<Ctx>(undefined, true, Math.max(1000, this.#limits.cpuMs * 10));
    this.#runs.set(T, run);
    let out = this.#step(T, run, 0);
    if (out === SUSPENDED) out = await this.#continue(T, run);
    switch (out.kind) {
      case 'returned':
        return;
      case 'error':
        throw new ScriptLoadError(out.message, out.where);
      case 'aborted':
        throw new ScriptLoadError(
          'CPU budget exceeded while running the top-level chunk',
          out.where,
        );
      default:
        throw new ScriptLoadError(`unexpected ${out.kind} while loading`, {
          file: this.file,
          line: null,
        });
    }
  }

  #runPrelude(L: LuaState): void {
    const bytes = to_luastring(PRELUDE);
    if (lauxlib.luaL_loadbufferx(L, bytes, bytes.length, PRELUDE_CHUNKNAME, 't') !== LUA_OK) {
      throw new Error(`polysip Lua prelude: ${jsString(lua.lua_tolstring(L, -1)!)}`);
    }
    lua.lua_pushlightuserdata(L, EXIT);
    lua.lua_pushlightuserdata(L, ABORT);
    lua.lua_pushlightuserdata(L, SUSP);
    lua.lua_pushjsfunction(L, (L1) => this.#bind(L1));
    lua.lua_pushjsfunction(L, (L1) => {
      reenableHooks(L1);
      const run = this.#runs.get(L1);
      if (run === undefined || (!run.aborted && run.exit === 0)) return 0;
      lua.lua_pushlightuserdata(L1, run.aborted ? ABORT : EXIT);
      return 1;
    });
    lua.lua_pushjsfunction(L, (L1) => this.#loadModule(L1));
    lua.lua_pushjsfunction(L, (L1) => {
      const path = lua.lua_tolstring(L1, 1);
      if (path !== null) this.#runs.get(L1)?.requiring.delete(jsString(path));
      return 0;
    });
    lua.lua_pushjsfunction(L, (L1) => {
      const s = lua.lua_tolstring(L1, 1);
      this.#print(s === null ? '' : jsString(s));
      return 0;
    });
    if (lua.lua_pcall(L, 8, 0, 0) !== LUA_OK) {
      throw new Error(`polysip Lua prelude: ${jsString(lua.lua_tolstring(L, -1)!)}`);
    }
  }

  /** coroutine.resume(co): the coroutine now belongs to the resuming route. */
  #bind(L: LuaState): number {
    const co = lua.lua_tothread(L, 1);
    if (co === null) return 0; // the real resume reports the bad argument
    // A coroutine parked in a KSR call is mapped to its route (it made the call in it).
    if (this.#runs.get(co)?.waiting === co) {
      return raise(L, 'cannot resume a coroutine that is waiting for a KSR call', 2);
    }
    const run = this.#runs.get(L);
    if (run !== undefined) this.#runs.set(co, run);
    else this.#runs.delete(co);
    lua.lua_sethook(co, this.#hook, LUA_MASKCOUNT, HOOK_COUNT);
    return 0;
  }

  /** require(name): compiles `<script dir>/<name>.lua` (text only); returns (chunk, path). */
  #loadModule(L: LuaState): number {
    const s = lua.lua_type(L, 1) === LUA_TSTRING ? jsString(lua.lua_tolstring(L, 1)!) : null;
    let error: string | null = null;
    let path = '';
    let bytes: Uint8Array | null = null;
    if (s === null) {
      error = 'require: the module name must be a string';
    } else if (!MODULE_NAME.test(s)) {
      error = `require: module '${s}' refused: only a .lua file of the script's own folder can be required (a name without '/', '\\', '.' or '..')`;
    } else {
      path = join(this.#dir, `${s}.lua`);
      try {
        const real = realpathSync(path);
        const realDir = realpathSync(this.#dir);
        if (dirname(real) !== realDir && !real.startsWith(realDir + sep)) {
          error = `require: module '${s}' refused: it resolves outside the script's folder`;
        } else {
          bytes = readFileSync(real);
        }
      } catch {
        error = `require: module '${s}' not found (no file ${path})`;
      }
    }
    if (error !== null) return raise(L, error, 2);
    const run = this.#runs.get(L);
    if (run !== undefined) {
      // Tail calls hide module chunks from the stack, so loops are tracked per route call.
      if (run.requiring.has(path)) {
        return raise(
          L,
          `require: module '${s}' is already being loaded by this route (a require loop, or an earlier require of it failed)`,
          2,
        );
      }
      run.requiring.add(path);
    }
    if (lauxlib.luaL_loadbufferx(L, bytes!, bytes!.length, `@${path}`, 't') !== LUA_OK) {
      return lua.lua_error(L);
    }
    lua.lua_pushstring(L, to_luastring(path));
    return 2;
  }

  #name(s: string): LuaString {
    let b = this.#names.get(s);
    if (b === undefined) {
      b = to_luastring(s);
      if (this.#names.size < 10_000) this.#names.set(s, b);
    }
    return b;
  }

  // -------------------------------------------------------------------------------------------
  // The KSR table

  #installKsr(L: LuaState, registry: ExportRegistry<Ctx>): void {
    const tree = buildKsrTree(registry);
    lua.lua_createtable(L, 0, tree.core.length + tree.modules.size + 2);
    for (const decl of tree.core) {
      lua.lua_pushjsfunction(L, this.#hostFunction(decl));
      lua.lua_setfield(L, -2, decl.name);
    }
    for (const [mod, decls] of tree.modules) {
      lua.lua_createtable(L, 0, decls.length);
      for (const decl of decls) {
        lua.lua_pushjsfunction(L, this.#hostFunction(decl));
        lua.lua_setfield(L, -2, decl.name);
      }
      lua.lua_setfield(L, -2, mod);
    }
    lua.lua_createtable(L, 0, 2);
    lua.lua_pushjsfunction(L, this.#exitFunction(false));
    lua.lua_setfield(L, -2, 'exit');
    lua.lua_pushjsfunction(L, this.#exitFunction(true));
    lua.lua_setfield(L, -2, 'drop');
    lua.lua_setfield(L, -2, 'x');
    lua.lua_setglobal(L, 'KSR');
  }

  #exitFunction(drop: boolean): JsFunction {
    const label = drop ? 'KSR.x.drop' : 'KSR.x.exit';
    return (L) => {
      const run = this.#runs.get(L);
      if (run === undefined || run.loading) {
        return raise(L, `${label}: not available while the script is loading`);
      }
      run.exit = drop ? 2 : 1;
      lua.lua_pushlightuserdata(L, EXIT);
      return lua.lua_error(L);
    };
  }

  /** One closure per export, built once per instance. */
  #hostFunction(decl: KsrExport<Ctx>): JsFunction {
    const label = ksrName(decl);
    const params = decl.params;
    const nparams = params.length;
    const impl = decl.impl;
    const isStr = params.map((p) => p.type === 'str');
    const intReturn = decl.returns === 'int';
    const runs = this.#runs;
    const args: (string | number)[] = new Array(nparams);
    return (L) => {
      const run = runs.get(L);
      if (run === undefined || run.ctx === undefined) {
        return raise(L, `${label}: KSR functions cannot be called while the script is loading`);
      }
      let result: HostValue | void | Promise<HostValue | void> = undefined;
      let failure: string | null = null;
      let exit = 0;
      try {
        for (let i = 0; i < nparams; i++) args[i] = readArg(L, i + 1, isStr[i]!, decl, i);
        switch (nparams) {
          case 0:
            result = impl(run.ctx);
            break;
          case 1:
            result = impl(run.ctx, args[0]!);
            break;
          case 2:
            result = impl(run.ctx, args[0]!, args[1]!);
            break;
          case 3:
            result = impl(run.ctx, args[0]!, args[1]!, args[2]!);
            break;
          default:
            result = impl(run.ctx, ...args);
        }
      } catch (e) {
        if (isRouteExit(e)) exit = e.drop ? 2 : 1;
        else failure = hostErrorMessage(label, e);
      }
      if (exit !== 0) {
        run.exit = exit;
        lua.lua_pushlightuserdata(L, EXIT);
        return lua.lua_error(L);
      }
      if (failure !== null) return raise(L, failure);
      if (typeof result === 'object' && result !== null) return this.#suspend(L, run, decl, result);
      if (intReturn && typeof result === 'number' && (result | 0) === result) {
        lua.lua_pushinteger(L, result);
        return 1;
      }
      return pushReturn(L, decl, result);
    };
  }

  #suspend(L: LuaState, run: Run<Ctx>, decl: KsrExport<Ctx>, p: Promise<HostValue | void>): number {
    if (!lua.lua_isyieldable(L)) {
      p.then(noop, noop);
      return raise(
        L,
        `${ksrName(decl)}: cannot wait for an asynchronous result here (inside a metamethod, an iterator or a library callback such as string.gsub)`,
      );
    }
    if (this.#suspended >= this.#limits.maxSuspended) {
      p.then(noop, noop);
      return raise(
        L,
        `${ksrName(decl)}: too many suspended routes (limit ${this.#limits.maxSuspended})`,
      );
    }
    run.pendingDecl = decl;
    run.settled = PENDING;
    run.pending = p;
    run.waiting = L;
    lua.lua_pushlightuserdata(L, SUSP);
    return lua.lua_yieldk(L, 1, 0, this.#resumedK);
  }

  /** Continuation of a suspended KSR call: its value (or error) becomes the call's result. */
  #resumed(L: LuaState): number {
    const run = this.#runs.get(L)!;
    run.waiting = null;
    const decl = run.pendingDecl!;
    const settled = run.settled;
    const result = run.result;
    run.pendingDecl = null;
    run.settled = PENDING;
    run.result = undefined;
    if (settled === FULFILLED) return pushReturn(L, decl, (result ?? undefined) as HostValue);
    if (isRouteExit(result)) {
      run.exit = result.drop ? 2 : 1;
      lua.lua_pushlightuserdata(L, EXIT);
      return lua.lua_error(L);
    }
    return raise(L, hostErrorMessage(ksrName(decl), result));
  }
}

function noop(): void {}

/**
 * fengari 0.1.5 bug: a yieldable pcall/xpcall that catches an error restores the thread's
 * `allowhook` from a status bit it never set (`callstatus &= ~CIST_OAH | allowhook` in
 * lua_pcallk), so after the first caught error the count hook is silently off for good and the
 * CPU budget stops working on that coroutine. The prelude calls this after every caught error.
 * Our pcall/xpcall never run user code with hooks legitimately off, so 1 is always right here.
 */
function reenableHooks(L: LuaState): void {
  (L as unknown as { allowhook: number }).allowhook = 1;
}

/** Raises `message` as a Lua error, prefixed with the calling script line as luaL_error does. */
function raise(L: LuaState, message: string, level = 1): never {
  lauxlib.luaL_where(L, level);
  lua.lua_pushstring(L, to_luastring(message));
  lua.lua_concat(L, 2);
  return lua.lua_error(L);
}

function hostErrorMessage(label: string, e: unknown): string {
  if (e instanceof Error && e.name === 'KsrArgumentError') return e.message;
  const m = e instanceof Error ? e.message : String(e);
  return m.startsWith(label) ? m : `${label}: ${m}`;
}

function readArg(
  L: LuaState,
  idx: number,
  str: boolean,
  decl: KsrExport<never>,
  i: number,
): string | number {
  const t = lua.lua_type(L, idx);
  if (str) {
    // lua_tolstring formats numbers exactly as Lua's tostring does.
    if (t === LUA_TSTRING || t === LUA_TNUMBER) return jsString(lua.lua_tolstring(L, idx)!);
  } else if (t === LUA_TNUMBER && lua.lua_isinteger(L, idx)) {
    return lua.lua_tointeger(L, idx);
  }
  return convertArg(decl, i, guestValue(L, idx, t), 'coerce');
}

function guestValue(L: LuaState, idx: number, t: number): GuestArg {
  switch (t) {
    case LUA_TNIL:
    case LUA_TNONE:
      return undefined;
    case LUA_TBOOLEAN:
      return lua.lua_toboolean(L, idx);
    case LUA_TNUMBER:
      return lua.lua_tonumber(L, idx);
    case LUA_TSTRING:
      return jsString(lua.lua_tolstring(L, idx)!);
    case LUA_TLIGHTUSERDATA:
      return { guestType: 'userdata' };
    default:
      return { guestType: jsString(lua.lua_typename(L, t)) };
  }
}

/**
 * Lua strings of recent short return values. The same few strings come back on every message
 * ($fd, $rd, header values, $var names), and fengari's to_luastring encodes UTF-8 through a
 * JS array each time. Lua strings are immutable, so one copy can be pushed any number of times.
 */
const RETURN_CACHE_MAX = 512;
const RETURN_STRING_MAX = 96;
let returnCache = new Map<string, LuaString>();

function returnString(v: string): LuaString {
  if (v.length > RETURN_STRING_MAX) return to_luastring(v);
  let b = returnCache.get(v);
  if (b === undefined) {
    b = to_luastring(v);
    // Start over when full: values that changed per message (Call-IDs, tags) leave no debris.
    if (returnCache.size >= RETURN_CACHE_MAX) returnCache = new Map();
    returnCache.set(v, b);
  }
  return b;
}

function pushReturn(L: LuaState, decl: KsrExport<never>, value: HostValue | void): number {
  let v;
  try {
    v = convertReturn(decl, value, 'coerce');
  } catch (e) {
    return raise(L, (e as Error).message);
  }
  if (typeof v === 'number') {
    if ((v | 0) === v) lua.lua_pushinteger(L, v);
    else lua.lua_pushnumber(L, v);
  } else if (typeof v === 'string') lua.lua_pushstring(L, returnString(v));
  else if (typeof v === 'boolean') lua.lua_pushboolean(L, v);
  else lua.lua_pushnil(L);
  return 1;
}

/** "path:12: msg" from the compiler → ScriptLoadError at path:12. */
function loadErrorFromMessage(msg: string, file: string): ScriptLoadError {
  const m = /^(.*?):(\d+): ([\s\S]*)$/.exec(msg);
  if (m === null) return new ScriptLoadError(msg, { file, line: null });
  return new ScriptLoadError(m[3]!, { file, line: Number(m[2]) });
}

/** Drops Lua's "chunk:line: " prefix when it repeats `where`. */
function stripLocation(message: string, where: ScriptLocation): string {
  if (where.line === null) return message;
  const m = /^(.*?):(\d+): ([\s\S]*)$/.exec(message);
  if (m === null || Number(m[2]) !== where.line) return message;
  const src = m[1]!;
  const tail = src.startsWith('...') ? src.slice(3) : src;
  return where.file.endsWith(tail) ? m[3]! : message;
}
