/**
 * One script evaluated in one pool module: a QuickJS runtime and context with their limits, the
 * prelude, the user's script, and the raw host dispatcher behind `KSR`.
 *
 * A script instance owns one realm per module it has run in (usually one). Globals are per realm,
 * as they are per worker process in Kamailio: a route that runs while another is suspended runs
 * in another module, so in another realm.
 */
import { readFileSync, realpathSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { QuickJSAsyncContext, QuickJSAsyncRuntime } from 'quickjs-emscripten';
import type { HostValue, KsrExport } from '../../core/api/registry.ts';
import { isRouteExit } from '../../core/api/control.ts';
import { ScriptLoadError, type RouteOutcome, type ScriptLocation } from '../../core/api/script.ts';
import {
  convertArg,
  convertReturn,
  ksrName,
  type GuestArg,
  type KsrSignature,
} from '../ksr/convert.ts';
import { ENGINE_EXPORTS } from '../ksr/tree.ts';
import { PRELUDE_FILE, ROUTE_ID, preludeSource, type GuestExport } from './prelude.ts';
import { interruptCounterOffset, rawContext, type RawContext, type Slot } from './pool.ts';
import { syntaxErrorLine } from './syntax-line.ts';

/**
 * QuickJS's own stack limit. The wasm frames live on V8's native stack, which overflows first
 * with a larger limit: a host RangeError that unwinds through the module and leaves it unusable.
 * 40 KB holds in the first asyncify module against recursion, JSON nesting, proxies, getters and
 * builtins calling back (~200 JS frames). Measured: in every asyncify module created after the
 * first, QuickJS's stack check never fires (quickjs-emscripten 0.32), so a runaway recursion
 * there ends in that RangeError; `#crashed` then retires the module and reloads the script.
 */
export const MAX_STACK_BYTES = 40 << 10;
/** Time allowed to describe an error after the route ended (user getters may run). */
const DESCRIBE_MS = 20;
/** Memory past the module's cap allowed while the host describes the route's error. */
const DESCRIBE_HEADROOM = 4 << 20;
const MODULE_NAME = /^(?:\.\/)?([A-Za-z0-9_][A-Za-z0-9_-]*)(?:\.js)?$/;
const IS_STRICTLY_EQUAL = 0;
/**
 * Interrupt checks: the first comes this many ticks into a route; the distance then grows 2x
 * while checks come much quicker than the poll period and shrinks when they come slower, so a
 * route of cheap ticks is checked every ~1,000 ticks and one of costly ticks every period.
 */
const FIRST_CHECK_TICKS = 16;
/**
 * Never further apart than this: a tick can turn a thousand times dearer from one check to the
 * next (a recursion that starts catching its own stack overflows), so the distance reached while
 * ticks were cheap bounds the overshoot (1,024 ticks x ~0.5 ms at the 40 KB stack limit).
 */
const MAX_CHECK_TICKS = 1024;

export interface HostSide<Ctx> {
  readonly file: string;
  readonly dir: string;
  readonly source: string;
  readonly exports: readonly KsrExport<Ctx>[];
  readonly memoryBytes: number;
  readonly maxSuspended: number;
  /** Routes of this script currently suspended, over all its realms. */
  suspended: number;
  print(text: string): void;
}

/** State of one route call (or of the top-level evaluation). */
export class Run<Ctx> {
  deadline = 0;
  stepStart = 0;
  /** 0: none, 1: exit, 2: drop. */
  exit = 0;
  /** The route must end: exit, CPU abort, dispose. Every later KSR call throws and does nothing. */
  stop = false;
  cpu = false;
  /** The module's memory cap refused to grow (QuickJS may then throw null: no room for an Error). */
  memory = false;
  disposed = false;
  /** Ticks between the last interrupt check and the next one; when the last one ran. */
  checkTicks = FIRST_CHECK_TICKS;
  lastCheck = 0;
  /** The host is reading the final error: user getters may run, KSR calls may not. */
  describing = false;
  constructor(
    /** `undefined` while the top-level chunk runs: KSR calls are refused then. */
    readonly ctx: Ctx | undefined,
    public budgetMs: number,
  ) {}
}

interface Described {
  readonly isError: boolean;
  readonly name: string;
  readonly message: string;
  readonly stack: string;
}

type Settled = { ok: true; value: HostValue | void } | { ok: false; error: unknown };

export class Realm<Ctx> {
  readonly slot: Slot;
  readonly #host: HostSide<Ctx>;
  readonly #rt: QuickJSAsyncRuntime;
  readonly #vm: QuickJSAsyncContext;
  readonly #raw: RawContext;
  readonly #decls: (KsrSignature & { impl?: KsrExport<Ctx>['impl'] })[] = [];
  readonly #userFiles = new Set<string>();
  /** Route names as guest strings, made once per realm. */
  readonly #names = new Map<string, number>();
  #ownName = 0;
  readonly #argv: number;
  readonly #TRUE: number;
  readonly #FALSE: number;
  readonly #NULL: number;
  readonly #UNDEF: number;
  #callRoute = 0;
  #hasFunction = 0;
  #mkError = 0;
  #describe = 0;
  #missing = 0;
  /** Host-initiated guest calls in progress (a suspension there would break asyncify). */
  #nested = 0;
  /** KSR implementations running synchronously for this realm's route (its VM is on the stack). */
  #inImpl = 0;
  run: Run<Ctx> | null = null;
  #alive = true;
  /** Retired while a route was in it: freed when that route ends. */
  #retirePending = false;
  /** Called when a route leaves the realm (and after it was dropped). */
  onRelease: (() => void) | null = null;
  /** Dropped after a memory overrun or a module failure: the script will be re-evaluated. */
  rebuildNeeded = false;
  /** Byte offset of the context's interrupt counter in the module's memory (-1: unknown). */
  readonly #counterAt: number;
  #heap32: Int32Array;
  /** Poll period of the interrupt handler, ms (see FIRST_CHECK_TICKS). */
  readonly #pollMs: number;

  constructor(host: HostSide<Ctx>, slot: Slot) {
    this.#host = host;
    this.slot = slot;
    const offset = interruptCounterOffset(slot.module);
    slot.limitBytes += host.memoryBytes;
    this.#rt = slot.module.newRuntime();
    this.#rt.setMemoryLimit(host.memoryBytes);
    this.#rt.setMaxStackSize(MAX_STACK_BYTES);
    this.#rt.setInterruptHandler(() => this.#interrupt());
    this.#vm = this.#rt.newContext();
    this.#raw = rawContext(this.#vm);
    const { ffi, M } = this.#raw;
    this.#argv = M._malloc(8);
    this.#TRUE = ffi.QTS_GetTrue();
    this.#FALSE = ffi.QTS_GetFalse();
    this.#NULL = ffi.QTS_GetNull();
    this.#UNDEF = ffi.QTS_GetUndefined();
    this.#counterAt = offset < 0 ? -1 : (this.#raw.ctx + offset) >> 2;
    this.#heap32 = new Int32Array(M.HEAPU8.buffer);
    this.#pollMs = 5;
    this.#userFiles.add(host.file);
    slot.tenants.add(this);
  }

  get alive(): boolean {
    return this.#alive;
  }

  /**
   * Evaluates the prelude and the user's script.
   * @throws ScriptLoadError for a syntax error, an error, a CPU or memory overrun at top level.
   */
  init(loadBudgetMs: number): void {
    const guest: GuestExport[] = [];
    const route = ENGINE_EXPORTS.find((e) => e.module === '' && e.name === 'route')!;
    this.#decls[ROUTE_ID] = route;
    for (const decl of this.#host.exports) {
      const id = this.#decls.length;
      this.#decls.push(decl);
      guest.push({
        id,
        module: decl.module,
        name: decl.name,
        params: decl.params.map((p) => p.type),
      });
    }
    const { ffi, ctx } = this.#raw;
    const fns = [
      this.#raw.newHostFunction('h', (argc, argv) => this.#dispatch(argc, argv)),
      this.#raw.newHostFunction('c', (_argc, argv) => this.#convert(argv)),
      this.#raw.newHostFunction('exit', () => this.#exit(false)),
      this.#raw.newHostFunction('drop', () => this.#exit(true)),
      this.#raw.newHostFunction('resolveModule', (argc, argv) => this.#resolveModule(argc, argv)),
      this.#raw.newHostFunction('compileModule', (_argc, argv) => this.#compileModule(argv)),
      this.#raw.newHostFunction('print', (_argc, argv) => {
        this.#host.print(this.#getString(ffi.QTS_ArgvGetJSValueConstPointer(argv, 0)));
        return 0;
      }),
    ];
    const prelude = this.#vm.evalCode(preludeSource(guest), PRELUDE_FILE, { type: 'global' });
    if (prelude.error !== undefined) {
      const d = this.#vm.dump(prelude.error);
      prelude.error.dispose();
      throw new Error(`polysip JS prelude: ${JSON.stringify(d)}`);
    }
    const preludeFn = prelude.value;
    const args = this.#M.HEAPU8.buffer;
    const argvPtr = this.#M._malloc(4 * fns.length);
    new Uint32Array(args, argvPtr, fns.length).set(fns);
    const helpers = ffi.QTS_Call(ctx, preludeFn.value, this.#UNDEF, fns.length, argvPtr);
    this.#M._free(argvPtr);
    preludeFn.dispose();
    for (const f of fns) ffi.QTS_FreeValuePointer(ctx, f);
    if (ffi.QTS_ResolveException(ctx, helpers) !== 0) {
      throw new Error('polysip JS prelude failed (memory limit too small?)');
    }
    const get = (key: string): number => {
      const h = this.#vm.getProp({ value: helpers } as never, key);
      const p = ffi.QTS_DupValuePointer(ctx, h.value as unknown as number);
      h.dispose();
      return p;
    };
    this.#callRoute = get('callRoute');
    this.#hasFunction = get('hasFunction');
    this.#mkError = get('mkError');
    this.#describe = get('describe');
    this.#missing = get('missing');
    ffi.QTS_FreeValuePointer(ctx, helpers);
    this.#evalScript(loadBudgetMs);
  }

  get #M() {
    return this.#raw.M;
  }

  #evalScript(budgetMs: number): void {
    const run = new Run<Ctx>(undefined, budgetMs);
    this.run = run;
    run.deadline = performance.now() + budgetMs;
    this.#startChecks(run);
    try {
      const r = this.#vm.evalCode(this.#host.source, this.#host.file, { type: 'global' });
      if (r.error === undefined) {
        r.value.dispose();
        return;
      }
      const errPtr = r.error.value as unknown as number;
      const d = this.#describeValue(run, errPtr);
      r.error.dispose();
      if (run.cpu) {
        throw new ScriptLoadError(
          'CPU budget exceeded while running the top-level code',
          this.#locate(d.stack),
        );
      }
      if (run.memory || isOutOfMemory(d)) {
        throw new ScriptLoadError(
          'memory limit exceeded while running the top-level code',
          this.#locate(d.stack),
        );
      }
      if (d.name === 'SyntaxError') {
        const { where, detectedAt } = this.#syntaxLocation(d.stack, d.message);
        const at = detectedAt === null ? '' : ` (found at line ${detectedAt})`;
        throw new ScriptLoadError(`${errorText(d)}${at}`, where);
      }
      throw new ScriptLoadError(errorText(d), this.#locate(d.stack));
    } finally {
      this.run = null;
      this.slot.mayGrow = null;
    }
  }

  #syntaxLocation(
    stack: string,
    message: string,
  ): { where: ScriptLocation; detectedAt: number | null } {
    // A syntax error's only frame is "at file:line:col" (no function name).
    const m = /^\s*at (.*):(\d+):(\d+)$/m.exec(stack);
    if (m === null) return { where: { file: this.#host.file, line: null }, detectedAt: null };
    const file = m[1]!;
    const found = Number(m[2]);
    if (file !== this.#host.file) return { where: { file, line: found }, detectedAt: null };
    // QuickJS names the token it stopped at, which for an unfinished statement is on a later line.
    const r = syntaxErrorLine(this.#host.source, found, Number(m[3]), message);
    return { where: { file, line: r.line }, detectedAt: r.detectedAt };
  }

  /**
   * A KSR implementation called by this realm's route is running synchronously (t_on_branch
   * checking its argument): the module is busy but live, so a nested guest call is safe.
   */
  get inHostCall(): boolean {
    return this.#alive && this.#inImpl > 0;
  }

  hasFunction(name: string): boolean {
    if (!this.#alive) return false;
    const { ffi, ctx } = this.#raw;
    const key = this.#newString(name);
    const r = this.#guestCall(this.#hasFunction, key);
    if (r === 0) return false;
    const yes = ffi.QTS_IsEqual(ctx, r, this.#TRUE, IS_STRICTLY_EQUAL) !== 0;
    ffi.QTS_FreeValuePointer(ctx, r);
    return yes;
  }

  /**
   * Runs one route. The slot must be free; it is busy until the returned outcome settles.
   * Synchronous when the route does not suspend.
   */
  call(
    fn: string,
    ctx: Ctx,
    arg: string | undefined,
    budgetMs: number,
  ): RouteOutcome | Promise<RouteOutcome> {
    const { ffi, M } = this.#raw;
    const run = new Run<Ctx>(ctx, budgetMs);
    this.run = run;
    this.slot.busy = true;
    const argv = new Uint32Array(M.HEAPU8.buffer, this.#argv, 2);
    let namePtr = this.#names.get(fn);
    let ownName = false;
    if (namePtr === undefined) {
      namePtr = this.#newString(fn);
      if (this.#names.size < 1000) this.#names.set(fn, namePtr);
      else ownName = true;
    }
    argv[0] = namePtr;
    let argPtr = 0;
    if (ownName) this.#ownName = namePtr;
    if (arg !== undefined) argv[1] = argPtr = this.#newString(arg);
    run.stepStart = performance.now();
    run.deadline = run.stepStart + run.budgetMs;
    this.#startChecks(run);
    let res: number | Promise<number>;
    try {
      res = this.#raw.callMaybeAsync(
        this.#callRoute,
        this.#UNDEF,
        arg === undefined ? 1 : 2,
        this.#argv,
      );
    } catch (e) {
      return this.#crashed(e);
    }
    if (typeof res === 'number') return this.#finish(run, res, fn, argPtr);
    return res.then(
      (p) => this.#finish(run, p, fn, argPtr),
      (e: unknown) => this.#crashed(e),
    );
  }

  #finish(run: Run<Ctx>, res: number, fn: string, argPtr: number): RouteOutcome {
    const { ffi, ctx } = this.#raw;
    try {
      if (argPtr !== 0) ffi.QTS_FreeValuePointer(ctx, argPtr);
      if (this.#ownName !== 0) ffi.QTS_FreeValuePointer(ctx, this.#ownName);
      this.#ownName = 0;
      const err = ffi.QTS_ResolveException(ctx, res);
      if (err === 0) {
        const missing = ffi.QTS_IsEqual(ctx, res, this.#missing, IS_STRICTLY_EQUAL) !== 0;
        ffi.QTS_FreeValuePointer(ctx, res);
        if (run.disposed) return disposedOutcome(this.#host.file);
        if (run.exit !== 0) return { kind: 'exit', drop: run.exit === 2 };
        return missing ? { kind: 'missing', name: fn } : { kind: 'returned' };
      }
      ffi.QTS_FreeValuePointer(ctx, res);
      try {
        return this.#errorOutcome(run, err);
      } finally {
        ffi.QTS_FreeValuePointer(ctx, err);
      }
    } finally {
      this.#release();
    }
  }

  #errorOutcome(run: Run<Ctx>, err: number): RouteOutcome {
    if (run.disposed) return disposedOutcome(this.#host.file);
    if (run.exit !== 0) return { kind: 'exit', drop: run.exit === 2 };
    const d = this.#describeValue(run, err);
    if (run.cpu) return { kind: 'aborted', reason: 'cpu', where: this.#locate(d.stack) };
    if (run.memory || isOutOfMemory(d)) {
      // The heap is at its limit and full of whatever the script kept: start afresh.
      this.rebuildNeeded = true;
      this.retire();
      return { kind: 'aborted', reason: 'memory', where: this.#locate(d.stack) };
    }
    const where = this.#locate(d.stack);
    return {
      kind: 'error',
      message: errorText(d),
      where,
      traceback: this.#traceback(d),
    };
  }

  #crashed(e: unknown): RouteOutcome {
    // The wasm module trapped or overflowed V8's stack mid-call: its memory cannot be trusted.
    this.slot.dead = true;
    this.rebuildNeeded = true;
    this.run = null;
    this.slot.mayGrow = null;
    this.slot.busy = false;
    this.#retireNow();
    this.onRelease?.();
    const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    return {
      kind: 'error',
      message: `the JS engine failed inside this route (${message}); the script was reloaded`,
      where: { file: this.#host.file, line: null },
      traceback: '',
    };
  }

  #release(): void {
    this.run = null;
    this.slot.mayGrow = null;
    this.slot.busy = false;
    if (this.#retirePending) this.#retireNow();
    for (const t of [...this.slot.tenants]) t.flush();
    this.onRelease?.();
  }

  /** Frees the realm now, or when its route ends. */
  retire(): void {
    if (!this.#alive) return;
    if (this.run !== null) {
      this.#retirePending = true;
      this.run.stop = true;
      return;
    }
    // Another realm's route is suspended in this module: freeing now would run QuickJS code in
    // a module whose stack holds that route. Wait until the module is free.
    if (this.slot.busy) {
      this.#retirePending = true;
      return;
    }
    this.#retireNow();
  }

  /** The module became free: carry out a retirement that had to wait. */
  flush(): void {
    if (this.#retirePending && this.run === null && !this.slot.busy) this.#retireNow();
  }

  /** The script instance is being disposed: a route in progress ends with the disposed outcome. */
  dispose(): void {
    if (this.run !== null) this.run.disposed = true;
    this.retire();
  }

  #retireNow(): void {
    if (!this.#alive) return;
    this.#alive = false;
    this.#retirePending = false;
    this.slot.tenants.delete(this);
    this.slot.limitBytes -= this.#host.memoryBytes;
    if (this.slot.dead) return; // never call into a broken module; its memory goes with it
    try {
      const { ffi, ctx, M } = this.#raw;
      for (const p of this.#names.values()) ffi.QTS_FreeValuePointer(ctx, p);
      for (const p of [
        this.#callRoute,
        this.#hasFunction,
        this.#mkError,
        this.#describe,
        this.#missing,
      ]) {
        if (p !== 0) ffi.QTS_FreeValuePointer(ctx, p);
      }
      M._free(this.#argv);
      this.#vm.dispose();
      this.#rt.dispose();
    } catch {
      // A context that cannot be freed cleanly is left to the module's garbage collection.
    }
  }

  // -------------------------------------------------------------------------------------------
  // Limits

  /** A route (or the top-level code) starts: arms the memory guard and the first check. */
  #startChecks(run: Run<Ctx>): void {
    this.slot.mayGrow = (bytes) => this.#mayGrow(bytes);
    run.lastCheck = run.stepStart || performance.now();
    run.checkTicks = FIRST_CHECK_TICKS;
    this.#setCounter(FIRST_CHECK_TICKS);
  }

  #setCounter(ticks: number): void {
    if (this.#counterAt < 0) return;
    if (this.#heap32.length === 0) this.#heap32 = new Int32Array(this.#M.HEAPU8.buffer);
    this.#heap32[this.#counterAt] = ticks;
  }

  /**
   * The module's memory must grow while this realm's route runs: refused past the module's cap
   * (QuickJS then throws "out of memory", and the realm is rebuilt), and past the deadline (the
   * next interrupt check ends the route).
   */
  #mayGrow(bytes: number): boolean {
    const run = this.run;
    if (run === null) return true;
    // Describing the final error (often "out of memory" itself) needs a little room.
    if (run.describing) return bytes <= this.slot.capBytes + DESCRIBE_HEADROOM;
    if (bytes > this.slot.capBytes) {
      run.memory = true;
      return false;
    }
    if (!run.describing && performance.now() > run.deadline) {
      run.cpu = true;
      run.stop = true;
      return false;
    }
    return true;
  }

  #interrupt(): boolean {
    const run = this.run;
    if (run === null) return false;
    const now = performance.now();
    this.#nextCheck(run, now);
    if (run.describing) return now > run.deadline;
    if (run.stop) return true;
    if (now > run.deadline) {
      run.cpu = true;
      run.stop = true;
      return true;
    }
    return false;
  }

  /** Sets the distance of the next interrupt check from how long the last one took. */
  #nextCheck(run: Run<Ctx>, now: number): void {
    if (this.#counterAt < 0) return;
    const took = now - run.lastCheck;
    run.lastCheck = now;
    let ticks = run.checkTicks;
    if (took < this.#pollMs / 4) ticks = Math.min(MAX_CHECK_TICKS, ticks * 2);
    else if (took > this.#pollMs) ticks = Math.max(1, Math.floor((ticks * this.#pollMs) / took));
    run.checkTicks = ticks;
    this.#setCounter(ticks);
  }

  // -------------------------------------------------------------------------------------------
  // KSR calls

  #dispatch(argc: number, argv: number): number | Promise<number> {
    const { ffi, ctx } = this.#raw;
    const id = ffi.QTS_GetFloat64(ctx, ffi.QTS_ArgvGetJSValueConstPointer(argv, 0));
    const decl = this.#decls[id];
    if (decl === undefined || decl.impl === undefined) return this.#throw('KSR: unknown function');
    const run = this.run;
    if (run === null || run.ctx === undefined) {
      return this.#throw(
        `${ksrName(decl)}: KSR functions cannot be called while the script is loading`,
      );
    }
    if (run.stop || run.describing) return this.#throwStop(run);
    const params = decl.params;
    const n = params.length;
    const args: (string | number)[] = new Array(n);
    for (let i = 0; i < n; i++) {
      const p = i + 1 < argc ? ffi.QTS_ArgvGetJSValueConstPointer(argv, i + 1) : this.#UNDEF;
      if (params[i]!.type === 'str') {
        args[i] = this.#getString(p);
      } else {
        const v = ffi.QTS_GetFloat64(ctx, p);
        if (!Number.isSafeInteger(v)) {
          try {
            args[i] = convertArg(decl, i, v, 'coerce');
          } catch (e) {
            return this.#throw((e as Error).message);
          }
        } else args[i] = v;
      }
    }
    let result: HostValue | void | Promise<HostValue | void>;
    this.#inImpl++;
    try {
      const impl = decl.impl;
      switch (n) {
        case 0:
          result = impl(run.ctx);
          break;
        case 1:
          result = impl(run.ctx, args[0]!);
          break;
        case 2:
          result = impl(run.ctx, args[0]!, args[1]!);
          break;
        default:
          result = impl(run.ctx, ...args);
      }
    } catch (e) {
      return this.#hostFailure(run, decl, e);
    } finally {
      this.#inImpl--;
    }
    if (typeof result === 'object' && result !== null) return this.#suspend(run, decl, result);
    if (decl.returns === 'int' && typeof result === 'number' && (result | 0) === result) {
      return ffi.QTS_NewFloat64(ctx, result);
    }
    return this.#toGuest(decl, result);
  }

  #hostFailure(run: Run<Ctx>, decl: KsrSignature, e: unknown): number {
    if (isRouteExit(e)) {
      run.exit = e.drop ? 2 : 1;
      run.stop = true;
      return this.#throwStop(run);
    }
    return this.#throw(hostErrorMessage(ksrName(decl), e));
  }

  #suspend(
    run: Run<Ctx>,
    decl: KsrSignature,
    p: Promise<HostValue | void>,
  ): number | Promise<number> {
    const label = ksrName(decl);
    if (this.#nested > 0) {
      p.then(noop, noop);
      return this.#throw(`${label}: cannot wait for an asynchronous result here`);
    }
    const host = this.#host;
    if (host.suspended >= host.maxSuspended) {
      p.then(noop, noop);
      return this.#throw(`${label}: too many suspended routes (limit ${host.maxSuspended})`);
    }
    host.suspended++;
    run.budgetMs -= performance.now() - run.stepStart;
    // The Promise handed to asyncify must never reject: a rejection leaves the module suspended.
    return p
      .then(
        (value): Settled => ({ ok: true, value }),
        (error: unknown): Settled => ({ ok: false, error }),
      )
      .then((s) => {
        host.suspended--;
        run.stepStart = performance.now();
        run.deadline = run.stepStart + run.budgetMs;
        run.lastCheck = run.stepStart;
        try {
          if (run.stop) return this.#throwStop(run);
          if (!s.ok) return this.#hostFailure(run, decl, s.error);
          return this.#toGuest(decl, s.value);
        } catch {
          return 0;
        }
      });
  }

  #toGuest(decl: KsrSignature, value: HostValue | void): number {
    const { ffi, ctx } = this.#raw;
    let v;
    try {
      v = convertReturn(decl, value, 'coerce');
    } catch (e) {
      return this.#throw((e as Error).message);
    }
    switch (typeof v) {
      case 'number':
        return ffi.QTS_NewFloat64(ctx, v);
      case 'string':
        return this.#newString(v);
      case 'boolean':
        return ffi.QTS_DupValuePointer(ctx, v ? this.#TRUE : this.#FALSE);
      default:
        return ffi.QTS_DupValuePointer(ctx, this.#NULL);
    }
  }

  /** Slow path of an argument the guest wrapper did not find of the declared type. */
  #convert(argv: number): number {
    const { ffi, ctx } = this.#raw;
    const id = ffi.QTS_GetFloat64(ctx, ffi.QTS_ArgvGetJSValueConstPointer(argv, 0));
    const index = ffi.QTS_GetFloat64(ctx, ffi.QTS_ArgvGetJSValueConstPointer(argv, 1));
    const decl = this.#decls[id];
    if (decl === undefined) return this.#throw('KSR: unknown function');
    const value = this.#guestArg(ffi.QTS_ArgvGetJSValueConstPointer(argv, 2));
    let out: string | number;
    try {
      out = convertArg(decl, index, value, 'coerce');
    } catch (e) {
      return this.#throw((e as Error).message);
    }
    return typeof out === 'number' ? ffi.QTS_NewFloat64(ctx, out) : this.#newString(out);
  }

  #guestArg(p: number): GuestArg {
    const { ffi, ctx, M } = this.#raw;
    const tp = ffi.QTS_Typeof(ctx, p);
    const t = M.UTF8ToString(tp);
    M._free(tp);
    switch (t) {
      case 'undefined':
        return undefined;
      case 'number':
        return ffi.QTS_GetFloat64(ctx, p);
      case 'string':
        return this.#getString(p);
      case 'boolean':
        return ffi.QTS_IsEqual(ctx, p, this.#TRUE, IS_STRICTLY_EQUAL) !== 0;
      case 'bigint':
        return BigInt(this.#getString(p));
      case 'object':
        return ffi.QTS_IsEqual(ctx, p, this.#NULL, IS_STRICTLY_EQUAL) !== 0
          ? null
          : { guestType: 'object' };
      default:
        return { guestType: t };
    }
  }

  #exit(drop: boolean): number {
    const run = this.run;
    if (run === null || run.ctx === undefined) {
      return this.#throw(
        `KSR.x.${drop ? 'drop' : 'exit'}: not available while the script is loading`,
      );
    }
    if (run.exit === 0) run.exit = drop ? 2 : 1;
    run.stop = true;
    return this.#throwStop(run);
  }

  /** What a route that must end gets from every KSR call: an error it may catch, to no avail. */
  #throwStop(run: Run<Ctx>): number {
    const what =
      run.exit === 2 ? 'KSR.x.drop()' : run.exit === 1 ? 'KSR.x.exit()' : 'route aborted';
    return this.#throw(what);
  }

  #throw(message: string): number {
    const { ffi, ctx } = this.#raw;
    const e = this.#guestCall(this.#mkError, this.#newString(message));
    if (e === 0) return ffi.QTS_Throw(ctx, this.#NULL);
    const r = ffi.QTS_Throw(ctx, e);
    ffi.QTS_FreeValuePointer(ctx, e);
    return r;
  }

  // -------------------------------------------------------------------------------------------
  // require

  #resolveModule(argc: number, argv: number): number {
    const p = argc > 0 ? this.#raw.ffi.QTS_ArgvGetJSValueConstPointer(argv, 0) : 0;
    const v = p === 0 ? undefined : this.#guestArg(p);
    if (typeof v !== 'string') return this.#throw('require: the module name must be a string');
    const m = MODULE_NAME.exec(v);
    if (m === null) {
      return this.#throw(
        `require: module '${v}' refused: only a .js file of the script's own folder can be required (a name without '/', '\\', '..' or another extension)`,
      );
    }
    const dir = this.#host.dir;
    const path = join(dir, `${m[1]}.js`);
    let real: string;
    try {
      real = realpathSync(path);
    } catch {
      return this.#throw(`require: module '${v}' not found (no file ${path})`);
    }
    let realDir: string;
    try {
      realDir = realpathSync(dir);
    } catch {
      realDir = dir;
    }
    if (dirname(real) !== realDir && !real.startsWith(realDir + sep)) {
      return this.#throw(`require: module '${v}' refused: it resolves outside the script's folder`);
    }
    return this.#newString(path);
  }

  #compileModule(argv: number): number {
    const path = this.#getString(this.#raw.ffi.QTS_ArgvGetJSValueConstPointer(argv, 0));
    let source: string;
    try {
      source = readFileSync(realpathSync(path), 'utf8');
    } catch (e) {
      return this.#throw(`require: cannot read ${path}: ${(e as Error).message}`);
    }
    this.#userFiles.add(path);
    // Same first line: line numbers in the module's stack traces stay those of its file.
    const wrapped = `(function (exports, require, module, __filename) {${source}\n})`;
    const r = this.#vm.evalCode(wrapped, path, { type: 'global' });
    const { ffi, ctx } = this.#raw;
    if (r.error !== undefined) {
      const t = ffi.QTS_Throw(ctx, r.error.value as unknown as number);
      r.error.dispose();
      return t;
    }
    const fn = ffi.QTS_DupValuePointer(ctx, r.value.value as unknown as number);
    r.value.dispose();
    return fn;
  }

  // -------------------------------------------------------------------------------------------
  // Errors and locations

  #describeValue(run: Run<Ctx>, err: number): Described {
    const { ffi, ctx } = this.#raw;
    run.describing = true;
    run.deadline = performance.now() + DESCRIBE_MS;
    const r = this.#guestCall(this.#describe, ffi.QTS_DupValuePointer(ctx, err));
    run.describing = false;
    if (r === 0)
      return {
        isError: false,
        name: '',
        message: '(an error value that cannot be described)',
        stack: '',
      };
    const s = this.#getString(r);
    ffi.QTS_FreeValuePointer(ctx, r);
    const [kind, name, message, stack] = s.split('\u0001');
    return { isError: kind === '1', name: name ?? '', message: message ?? '', stack: stack ?? '' };
  }

  /** The innermost frame of the user's files in a QuickJS stack. */
  #locate(stack: string): ScriptLocation {
    for (const line of stack.split('\n')) {
      const m = /^\s*at (?:.*? \()?(.*?):(\d+)(?::\d+)?\)?$/.exec(line);
      if (m !== null && this.#userFiles.has(m[1]!)) return { file: m[1]!, line: Number(m[2]) };
    }
    return { file: this.#host.file, line: null };
  }

  #traceback(d: Described): string {
    const frames = d.stack
      .split('\n')
      .filter((l) => l.trim() !== '' && !l.includes(PRELUDE_FILE))
      .join('\n');
    return `${d.isError ? `${d.name}: ${d.message}` : d.message}\n${frames}`;
  }

  // -------------------------------------------------------------------------------------------
  // Raw helpers

  /** Calls a prelude helper with one argument (consumed). Returns 0 if it threw. */
  #guestCall(fn: number, arg: number, consume = true): number {
    const { ffi, ctx, M } = this.#raw;
    const argv = M._malloc(4);
    new Uint32Array(M.HEAPU8.buffer, argv, 1)[0] = arg;
    this.#nested++;
    let r: number;
    try {
      r = ffi.QTS_Call(ctx, fn, this.#UNDEF, 1, argv);
    } finally {
      this.#nested--;
      M._free(argv);
    }
    if (consume) ffi.QTS_FreeValuePointer(ctx, arg);
    const e = ffi.QTS_ResolveException(ctx, r);
    if (e !== 0) {
      ffi.QTS_FreeValuePointer(ctx, e);
      ffi.QTS_FreeValuePointer(ctx, r);
      return 0;
    }
    return r;
  }

  #getString(p: number): string {
    const { ffi, ctx, M } = this.#raw;
    const c = ffi.QTS_GetString(ctx, p);
    const s = M.UTF8ToString(c);
    ffi.QTS_FreeCString(ctx, c);
    return s;
  }

  #newString(s: string): number {
    const { ffi, ctx, M } = this.#raw;
    const n = M.lengthBytesUTF8(s) + 1;
    let buf = M._malloc(n);
    if (buf === 0) {
      // A host string at the module's cap: the cap is for the guest's own growth.
      const guard = this.slot.mayGrow;
      this.slot.mayGrow = null;
      buf = M._malloc(n);
      this.slot.mayGrow = guard;
    }
    // Never write through a null pointer.
    if (buf === 0) throw new RangeError('out of memory in the JS engine module');
    M.stringToUTF8(s, buf, n);
    const v = ffi.QTS_NewString(ctx, buf);
    M._free(buf);
    return v;
  }
}

/** A plain Error shows its message (as KSR errors read in Lua); other kinds keep their name. */
function errorText(d: Described): string {
  return !d.isError || d.name === 'Error' ? d.message : `${d.name}: ${d.message}`;
}

function isOutOfMemory(d: Described): boolean {
  return d.name === 'InternalError' && d.message === 'out of memory';
}

export function disposedOutcome(file: string): RouteOutcome {
  return {
    kind: 'error',
    message: 'the JS script instance was disposed',
    where: { file, line: null },
    traceback: '',
  };
}

function hostErrorMessage(label: string, e: unknown): string {
  if (e instanceof Error && e.name === 'KsrArgumentError') return e.message;
  const m = e instanceof Error ? e.message : String(e);
  return m.startsWith(label) ? m : `${label}: ${m}`;
}

function noop(): void {}
