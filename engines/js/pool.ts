/**
 * The asyncify module pool shared by every JS script instance of the process.
 *
 * A QuickJS asyncify module can hold one suspended call at a time: while a route waits for a
 * host Promise inside module A, nothing else may run in A. So a route that must run while every
 * module is busy gets a new module. The pool grows on demand (one module per route suspended at
 * once, plus one) and keeps a few idle modules for the next burst; the rest are retired with the
 * script contexts they held (a script re-evaluates lazily in whatever module it runs next).
 *
 * The fields below reach into quickjs-emscripten 0.32's private members (`ffi`, `module`,
 * `ctx`, `cToHostCallbacks`, `hostRefs`): its public host-call path costs ~10 µs a call,
 * the raw one ~0.8 µs (see engines/js/bench-route.ts). The version is pinned in package.json;
 * `rawContext` checks the members exist so an upgrade fails loudly at load, not at run time.
 */
import {
  newQuickJSAsyncWASMModule,
  RELEASE_ASYNC,
  type QuickJSAsyncContext,
  type QuickJSAsyncWASMModule,
} from 'quickjs-emscripten';

/** The FFI functions the engine calls directly (pointers are plain numbers here). */
export interface RawFfi {
  QTS_Call(ctx: number, fn: number, thisVal: number, argc: number, argv: number): number;
  QTS_ResolveException(ctx: number, value: number): number;
  QTS_FreeValuePointer(ctx: number, value: number): void;
  QTS_DupValuePointer(ctx: number, value: number): number;
  QTS_ArgvGetJSValueConstPointer(argv: number, index: number): number;
  QTS_GetFloat64(ctx: number, value: number): number;
  QTS_NewFloat64(ctx: number, n: number): number;
  QTS_GetString(ctx: number, value: number): number;
  QTS_FreeCString(ctx: number, str: number): void;
  QTS_NewString(ctx: number, str: number): number;
  QTS_Typeof(ctx: number, value: number): number;
  QTS_IsEqual(ctx: number, a: number, b: number, op: number): number;
  QTS_Throw(ctx: number, error: number): number;
  QTS_NewFunction(
    ctx: number,
    name: string,
    length: number,
    isConstructor: boolean,
    hostRefId: number,
  ): number;
  QTS_GetTrue(): number;
  QTS_GetFalse(): number;
  QTS_GetNull(): number;
  QTS_GetUndefined(): number;
}

export interface RawModule {
  UTF8ToString(ptr: number): string;
  lengthBytesUTF8(s: string): number;
  stringToUTF8(s: string, ptr: number, max: number): void;
  _malloc(n: number): number;
  _free(ptr: number): void;
  readonly HEAPU8: Uint8Array;
  cwrap(
    name: string,
    returns: 'number',
    args: readonly 'number'[],
    opts: object,
  ): (...args: number[]) => number | Promise<number>;
}

/** `(argc, argv) → JSValue pointer` or a Promise of one (asyncify suspends the guest). */
export type RawHostFunction = (argc: number, argv: number) => number | Promise<number>;

type CallbackFn = (ctx: number, thisPtr: number, argc: number, argv: number, id: number) => unknown;

interface PrivateContext {
  ffi: RawFfi;
  module: RawModule;
  ctx: { value: number };
  cToHostCallbacks: { callFunction: CallbackFn };
  runtime: { hostRefs: { put(v: object): number } };
}

export interface RawContext {
  readonly ffi: RawFfi;
  readonly M: RawModule;
  readonly ctx: number;
  /**
   * `QTS_Call` through emscripten's ccall, which returns a Promise when the guest suspended
   * (quickjs-emscripten's `QTS_Call_MaybeAsync` is the bare export and never does).
   */
  callMaybeAsync(fn: number, thisVal: number, argc: number, argv: number): number | Promise<number>;
  /** Creates a guest function whose calls go straight to `fn` (no handles, no scopes). */
  newHostFunction(name: string, fn: RawHostFunction): number;
}

export function rawContext(vm: QuickJSAsyncContext): RawContext {
  const p = vm as unknown as PrivateContext;
  if (
    typeof p.ffi?.QTS_Call !== 'function' ||
    typeof p.module?.UTF8ToString !== 'function' ||
    typeof p.module?.cwrap !== 'function' ||
    typeof p.ctx?.value !== 'number' ||
    typeof p.cToHostCallbacks?.callFunction !== 'function' ||
    typeof p.runtime?.hostRefs?.put !== 'function'
  ) {
    throw new Error('quickjs-emscripten internals changed: the JS engine needs version 0.32.0');
  }
  const table = new Map<number, RawHostFunction>();
  const fallback = p.cToHostCallbacks.callFunction;
  p.cToHostCallbacks.callFunction = (ctx, thisPtr, argc, argv, id) => {
    const fn = table.get(id);
    return fn === undefined ? fallback(ctx, thisPtr, argc, argv, id) : fn(argc, argv);
  };
  const placeholder = (): void => {};
  const ctx = p.ctx.value;
  // Options present (even empty) select ccall's asyncify-aware path over the bare export.
  const call = p.module.cwrap(
    'QTS_Call',
    'number',
    ['number', 'number', 'number', 'number', 'number'],
    {},
  );
  return {
    ffi: p.ffi,
    M: p.module,
    ctx,
    callMaybeAsync: (fn, thisVal, argc, argv) => call(ctx, fn, thisVal, argc, argv),
    newHostFunction(name, fn) {
      // The id stays registered so the runtime's teardown can release it as usual.
      const id = p.runtime.hostRefs.put(placeholder);
      table.set(id, fn);
      return p.ffi.QTS_NewFunction(p.ctx.value, name, 0, false, id);
    },
  };
}

export class Slot {
  /** A route is running or suspended in this module: nothing else may enter it. */
  busy = false;
  /**
   * Asked before the module's linear memory grows to `bytes`; false refuses (malloc fails and
   * QuickJS throws "out of memory"). Needed because QuickJS's own limit does not hold here: under
   * Emscripten it counts 8 bytes per allocation whatever its size (no malloc_usable_size), so a
   * script of big strings grew the module to 2 GiB over 20 s before failing.
   */
  mayGrow: ((bytes: number) => boolean) | null = null;
  /** Linear memory when the module was made (its static data, stack and first heap). */
  readonly baseBytes: number;
  /** Sum of the memory limits of the realms living in this module. */
  limitBytes = 0;
  /** The module failed (a wasm trap or a host stack overflow inside it): never use it again. */
  dead = false;
  /** Whatever lives in this module and must go when the slot is retired. */
  readonly tenants = new Set<{ retire(): void; flush(): void }>();
  constructor(
    readonly module: QuickJSAsyncWASMModule,
    readonly index: number,
  ) {
    const memory = module.getWasmMemory();
    this.baseBytes = memory.buffer.byteLength;
    const grow = memory.grow.bind(memory);
    // Emscripten's sbrk calls `memory.grow` on this object: refusing there fails the allocation.
    Object.defineProperty(memory, 'grow', {
      value: (pages: number): number => {
        const check = this.mayGrow;
        if (check !== null && !check(memory.buffer.byteLength + pages * 65536)) {
          throw new RangeError('polysip: script memory limit');
        }
        return grow(pages);
      },
    });
  }

  /** Linear memory a running route may grow the module to. */
  get capBytes(): number {
    return this.baseBytes + this.limitBytes;
  }
}

/** Idle modules kept after a burst of suspended routes. */
const IDLE_KEPT = 4;

class Pool {
  readonly #slots: Slot[] = [];
  #next = 0;

  /** A free slot, preferring the oldest; `null` when every slot is busy. */
  free(): Slot | null {
    for (const s of this.#slots) if (!s.busy && !s.dead) return s;
    return null;
  }

  /** A free slot, or a new module when every slot is busy (10-20 ms). */
  async acquire(): Promise<Slot> {
    const s = this.free();
    if (s !== null) return s;
    const module = await newQuickJSAsyncWASMModule(RELEASE_ASYNC);
    const again = this.free();
    if (again !== null) {
      // Another route freed a slot meanwhile; keep the new module for the next burst.
      this.#slots.push(new Slot(module, this.#next++));
      return again;
    }
    const slot = new Slot(module, this.#next++);
    this.#slots.push(slot);
    return slot;
  }

  /** Called when a route leaves `slot`: retires idle modules beyond IDLE_KEPT, newest first. */
  released(slot: Slot): void {
    if (slot.dead) {
      this.retire(slot);
      return;
    }
    let idle = 0;
    for (const s of this.#slots) if (!s.busy) idle++;
    for (let i = this.#slots.length - 1; i > 0 && idle > IDLE_KEPT; i--) {
      const s = this.#slots[i]!;
      if (s.busy) continue;
      this.retire(s);
      idle--;
    }
  }

  retire(slot: Slot): void {
    const i = this.#slots.indexOf(slot);
    if (i >= 0) this.#slots.splice(i, 1);
    slot.dead = true;
    for (const t of [...slot.tenants]) t.retire();
    slot.tenants.clear();
  }

  get size(): number {
    return this.#slots.length;
  }
}

/** The process-wide pool. */
export const pool = new Pool();

/**
 * Byte offset of `interrupt_counter` in QuickJS's JSContext, or -1 if not found. QuickJS calls
 * the interrupt handler every 10,000 "ticks" (calls, backward jumps); a tick can cost a
 * millisecond (a stack overflow thrown 200 frames deep builds a 200-line backtrace), so a
 * recursion that catches its own overflows ran seconds between two checks. The handler runs
 * just after QuickJS resets the counter, so writing it there sets the next check's distance.
 * Found once per process by looking, in a context whose handler is running, for the reset value
 * and checking that writing 1 there makes the handler run on every tick.
 */
export function interruptCounterOffset(module: QuickJSAsyncWASMModule): number {
  if (counterOffset !== null) return counterOffset;
  counterOffset = -1;
  const rt = module.newRuntime();
  try {
    const vm = rt.newContext();
    const { M, ctx } = rawContext(vm);
    const heap = (): Int32Array => new Int32Array(M.HEAPU8.buffer);
    let candidates: number[] | null = null;
    let probe = -1;
    let polls = 0;
    rt.setInterruptHandler(() => {
      polls++;
      const h = heap();
      if (candidates === null) {
        candidates = [];
        for (let off = 0; off < 512; off += 4) {
          if (h[(ctx + off) >> 2] === COUNTER_INIT) candidates.push(off);
        }
      }
      if (probe >= 0) h[(ctx + probe) >> 2] = 1;
      return false;
    });
    const loop = () => {
      polls = 0;
      const r = vm.evalCode('for (let i = 0; i < 12000; i++) {}');
      r.dispose();
      return polls;
    };
    loop();
    for (const off of (candidates as number[] | null) ?? []) {
      probe = off;
      if (loop() > 500) {
        counterOffset = off;
        break;
      }
    }
    probe = -1;
    vm.dispose();
  } catch {
    counterOffset = -1;
  } finally {
    rt.dispose();
  }
  return counterOffset;
}

/** QuickJS's JS_INTERRUPT_COUNTER_INIT. */
export const COUNTER_INIT = 10_000;
let counterOffset: number | null = null;
