/**
 * One Python script instance: a worker thread running Pyodide with the script loaded, created
 * once and reused for every route. Python never runs in the SIP thread (Pyodide cannot be
 * sandboxed in-process); the worker is the boundary.
 *
 * Routes of one instance run one at a time, in arrival order (the interpreter is single
 * threaded and KSR calls block it). A KSR call crosses to the main thread through the host
 * channel; the implementation runs there with the route's ctx and may return a Promise: the
 * worker waits, the SIP thread keeps serving, and later routes of this instance wait in the
 * queue (bounded by `limits.maxSuspended`). The CPU budget counts only the time Python runs:
 * the worker clocks its waits on the host (including the SIP thread's delay in picking a call
 * up); at the deadline the interrupt buffer raises KeyboardInterrupt, and a script that swallows
 * it is terminated one budget later (wall clock) and its worker respawned.
 *
 * Nested routes: a KSR call may run another route of the same script before it returns
 * (t_relay runs the branch route, a forward the onsend route). The worker is blocked in that
 * call, so the nested route cannot queue behind it: the pending call is answered with a
 * "run this route" instruction instead (ST_NESTED); the worker runs the route on top of its
 * Python stack and reports with a FN_NESTED_DONE call, whose answer is the real result of
 * the pending call (or the next nested instruction). Its CPU time counts against the outer route.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
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
import { createChannelBuffers, HostDispatcher } from '../isolate/channel.ts';
import { convertArgs, convertReturn, ksrName, type GuestArg } from '../ksr/convert.ts';
import { buildKsrTree } from '../ksr/tree.ts';
import {
  wasmApi,
  type FromWorker,
  type PyAnswer,
  type ToWorker,
  type WasmModule,
  type WorkerInit,
} from './protocol.ts';
import { readScriptSource, requireEntryPoints } from '../ksr/load.ts';

/** Wasm memory ceiling when the limits do not set one: Pyodide starts at about 30 MB. */
export const DEFAULT_PYTHON_MEMORY = 256 << 20;
/** How long a blocked KSR call waits for its implementation before Python gets an error. */
const HOST_TIMEOUT_MS = 30_000;
/** Re-raise KeyboardInterrupt this often after the deadline (a script may catch one). */
const REINTERRUPT_MS = 5;
const SIGINT = 2;

/** Host answers: [status, value]; see `raise_status` in prelude.py. */
const ST_OK = 0;
const ST_EXIT = 2;
const ST_DROP = 3;
const ST_ABORTED = 5;
/** Not a KSR result: run route [id, fn, arg | null] now, then call FN_NESTED_DONE (worker.ts). */
const ST_NESTED = 6;
/** The worker's host call that ends a nested route: args [id, result]. */
const FN_NESTED_DONE = -2;
/** The worker's host call that writes a script error line (with file:line) to the route's log. */
const FN_LOG = -3;
/** A KSR call with a wrong argument: [ST_ARG_ERROR, message]; Python logs it, gets False. */
const ST_ARG_ERROR = 7;

export interface PythonScriptOptions<Ctx> {
  readonly file: string;
  readonly source?: string;
  readonly registry: ExportRegistry<Ctx>;
  readonly limits?: Partial<ScriptLimits>;
  readonly version?: number;
  readonly entryPoints?: readonly string[];
  readonly print?: (text: string) => void;
  /** Error lines of the engine (strict argument errors, as app_python3 logs them); default stderr. */
  readonly log?: (text: string) => void;
}

const require = createRequire(import.meta.url);
const INDEX_URL = `${dirname(require.resolve('pyodide/package.json'))}/`;
const BOOT = new URL('./worker-boot.mjs', import.meta.url);

/**
 * The Pyodide memory snapshot shared by every instance of the process: the first worker makes
 * it (cold start, seconds), later ones start from it (a fraction of a second).
 */
let snapshot: Promise<SharedArrayBuffer | null> | null = null;

/** Pyodide's wasm compiled once for the process; every worker instantiates this module. */
let wasm: Promise<{ module: WasmModule; bytes: number }> | null = null;

function pyodideWasm(): Promise<{ module: WasmModule; bytes: number }> {
  wasm ??= (async () => {
    const bytes = await readFile(`${INDEX_URL}pyodide.asm.wasm`);
    return { module: await wasmApi().compile(bytes), bytes: bytes.byteLength };
  })();
  wasm.catch(() => (wasm = null));
  return wasm;
}

interface Job<Ctx> {
  readonly id: number;
  readonly fn: string;
  readonly ctx: Ctx;
  readonly arg: string | undefined;
  readonly resolve: (o: RouteOutcome) => void;
  /** The CPU budget's timer (see "CPU budget" below). */
  timer: NodeJS.Timeout | null;
  grace: NodeJS.Timeout | null;
  aborted: boolean;
  /** A KSR call of this route is in progress on the host. */
  calling: boolean;
  /** Nested routes asked for by that call, waiting for the channel. */
  readonly nestedQueue: Job<Ctx>[];
  /** While a KSR call of this route waits on a Promise: answers it with a nested-route order. */
  interject: ((wire: unknown[]) => void) | null;
  /** The answer of that call, once a nested route took its place on the channel. */
  pending: Promise<unknown[]> | null;
  /** The route this one runs inside (nested), or null. */
  readonly parent: Job<Ctx> | null;
}

interface Loaded {
  readonly answer: PyAnswer;
  readonly loadMs: number;
}

/** One worker incarnation (a respawn makes a new one). */
class Incarnation {
  readonly worker: Worker;
  readonly interrupt: Int32Array;
  /** [route start, host wait total, wait start] in epoch ms, written by the worker. */
  readonly clock: Float64Array;
  readonly dispatcher: HostDispatcher;
  readonly loaded: Promise<Loaded>;
  dead = false;
  /** The script loaded: from now on a dead worker is respawned. */
  ready = false;
  heap = 0;

  constructor(
    init: Omit<WorkerInit, 'interrupt' | 'clock' | 'channel' | 'port'>,
    handler: (routeId: number, fnIndex: number, args: unknown[]) => unknown,
    onMessage: (m: FromWorker) => void,
    onExit: (why: string) => void,
  ) {
    const channel = createChannelBuffers();
    const { port1, port2 } = new MessageChannel();
    const interrupt = new SharedArrayBuffer(8);
    this.interrupt = new Int32Array(interrupt);
    const clock = new SharedArrayBuffer(3 * Float64Array.BYTES_PER_ELEMENT);
    this.clock = new Float64Array(clock);
    const data: WorkerInit = { ...init, interrupt, clock, channel, port: port2 };
    this.worker = new Worker(BOOT, {
      workerData: data,
      transferList: [port2],
      env: {},
      stdin: false,
      resourceLimits: { maxOldGenerationSizeMb: 128, maxYoungGenerationSizeMb: 16 },
    });
    this.dispatcher = new HostDispatcher(channel, port1, handler);
    this.loaded = new Promise<Loaded>((res, rej) => {
      this.worker.on('message', (m: FromWorker) => {
        if (m.t === 'loaded') {
          this.heap = m.heap;
          res({ answer: JSON.parse(m.result) as PyAnswer, loadMs: m.loadMs });
        } else {
          onMessage(m);
        }
      });
      this.worker.on('error', (e) => {
        rej(e);
        onExit(e.message);
      });
      this.worker.on('exit', (code) => {
        rej(new Error(`the Python worker exited (code ${code})`));
        onExit(`the Python worker exited (code ${code})`);
      });
    });
    this.loaded.catch(() => undefined);
  }

  kill(): void {
    if (this.dead) return;
    this.dead = true;
    this.dispatcher.close();
    void this.worker.terminate();
  }
}

export class PythonScript<Ctx> implements ScriptInstance<Ctx> {
  readonly engine = 'python';
  readonly file: string;
  readonly version: number;
  /** Start-up time of the current worker (Pyodide, then the script), for reports. */
  startupMs = 0;
  readonly #source: string;
  readonly #limits: ScriptLimits;
  readonly #memory: number;
  readonly #print: (text: string) => void;
  readonly #log: (text: string) => void;
  readonly #decls: KsrExport<Ctx>[];
  #functions = new Set<string>();
  #inc: Incarnation | null = null;
  readonly #queue: Job<Ctx>[] = [];
  #running: Job<Ctx> | null = null;
  /** Nested routes in progress, innermost last (they all run inside #running). */
  readonly #nested: Job<Ctx>[] = [];
  /** The route whose KSR implementation is running (follows its Promise chain). */
  readonly #inCall = new AsyncLocalStorage<Job<Ctx>>();
  #nextId = 1;
  #disposed = false;

  private constructor(opts: PythonScriptOptions<Ctx>, source: string) {
    this.file = resolve(opts.file);
    this.version = opts.version ?? 1;
    this.#source = source;
    this.#limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.#memory = opts.limits?.memoryBytes || DEFAULT_PYTHON_MEMORY;
    this.#print = opts.print ?? ((t) => process.stdout.write(`${t}\n`));
    this.#log = opts.log ?? ((t) => process.stderr.write(`${t}\n`));
    const tree = buildKsrTree(opts.registry);
    this.#decls = [...tree.core, ...[...tree.modules.values()].flat()];
  }

  static async load<Ctx>(opts: PythonScriptOptions<Ctx>): Promise<PythonScript<Ctx>> {
    const file = resolve(opts.file);
    const source = readScriptSource(file, opts.source);
    const script = new PythonScript(opts, source);
    try {
      await script.#spawn(true);
      requireEntryPoints(file, opts.entryPoints, (name) => script.hasFunction(name));
    } catch (e) {
      script.dispose();
      throw e;
    }
    return script;
  }

  /** Wasm memory of the current worker's interpreter after the last route, in bytes. */
  get heapBytes(): number {
    return this.#inc?.heap ?? 0;
  }

  get alive(): boolean {
    return !this.#disposed;
  }

  hasFunction(name: string): boolean {
    return !this.#disposed && this.#functions.has(name);
  }

  run(fn: string, ctx: Ctx, arg?: string): Promise<RouteOutcome> {
    if (this.#disposed) return Promise.resolve(this.#disposedOutcome());
    const parent = this.#inCall.getStore();
    if (parent !== undefined && parent.calling && this.#active(parent)) {
      return this.#runNested(parent, fn, ctx, arg);
    }
    const waiting = this.#queue.length + (this.#running === null ? 0 : 1);
    if (waiting >= this.#limits.maxSuspended) {
      return Promise.resolve({
        kind: 'error',
        message: `too many queued routes (limit ${this.#limits.maxSuspended})`,
        where: { file: this.file, line: null },
        traceback: '',
      });
    }
    return new Promise<RouteOutcome>((res) => {
      this.#queue.push(this.#newJob(fn, ctx, arg, res, null));
      this.#pump();
    });
  }

  #newJob(
    fn: string,
    ctx: Ctx,
    arg: string | undefined,
    resolve: (o: RouteOutcome) => void,
    parent: Job<Ctx> | null,
  ): Job<Ctx> {
    return {
      id: this.#nextId++,
      fn,
      ctx,
      arg,
      resolve,
      timer: null,
      grace: null,
      aborted: false,
      calling: false,
      nestedQueue: [],
      interject: null,
      pending: null,
      parent,
    };
  }

  /** The innermost route in progress. */
  #top(): Job<Ctx> | null {
    return this.#nested.length > 0 ? this.#nested[this.#nested.length - 1]! : this.#running;
  }

  #active(job: Job<Ctx>): boolean {
    return job === this.#running || this.#nested.includes(job);
  }

  /** Runs `fn` inside `parent`, whose KSR call is in progress (see the file comment). */
  #runNested(
    parent: Job<Ctx>,
    fn: string,
    ctx: Ctx,
    arg: string | undefined,
  ): Promise<RouteOutcome> {
    return new Promise<RouteOutcome>((res) => {
      parent.nestedQueue.push(this.#newJob(fn, ctx, arg, res, parent));
      this.#kick(parent);
    });
  }

  /** Starts the next nested route of `parent` when its call waits and nothing runs above it. */
  #kick(parent: Job<Ctx>): void {
    if (parent.interject === null || this.#top() !== parent) return;
    const job = parent.nestedQueue.shift();
    if (job === undefined) return;
    this.#nested.push(job);
    parent.interject([ST_NESTED, [job.id, job.fn, job.arg ?? null]]);
  }

  /**
   * The channel answer for a KSR call of `job` whose result is the Promise `result`: that
   * result, unless a nested route is ordered first (then the result waits in `job.pending`).
   */
  #awaitCall(job: Job<Ctx>, result: Promise<unknown[]>): Promise<unknown[]> {
    return new Promise<unknown[]>((res, rej) => {
      let settled = false;
      job.interject = (wire) => {
        if (settled) return;
        settled = true;
        job.interject = null;
        job.pending = result;
        res(wire);
      };
      result.then(
        (v) => {
          if (settled) return;
          settled = true;
          job.interject = null;
          job.calling = false;
          res(v);
        },
        (e: unknown) => {
          if (settled) return;
          settled = true;
          job.interject = null;
          job.calling = false;
          rej(e);
        },
      );
      this.#kick(job);
    });
  }

  /** The worker finished nested route `id`: settle it, then go on waiting for its parent's call. */
  #nestedDone(routeId: number, args: unknown[]): unknown {
    const [id, result] = args as [number, string | number | null];
    const job = this.#nested.at(-1);
    if (job === undefined || job.id !== id || job.parent!.id !== routeId) {
      throw new Error(`nested route ${id} is not running`);
    }
    this.#nested.pop();
    const parent = job.parent!;
    this.#finish(job, this.#outcome(job, result));
    const pending = parent.pending;
    parent.pending = null;
    if (pending === null) throw new Error('nested route without a waiting call');
    return this.#awaitCall(parent, pending);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#inc?.kill();
    this.#inc = null;
    const jobs = this.#running === null ? [...this.#queue] : [this.#running, ...this.#queue];
    jobs.push(...this.#nested.splice(0));
    this.#queue.length = 0;
    for (const j of jobs) this.#finish(j, this.#disposedOutcome());
    this.#functions.clear();
  }

  // -------------------------------------------------------------------------------------------
  // Worker life

  /** Starts a worker and loads the script; `first`: load errors become ScriptLoadError. */
  async #spawn(first: boolean): Promise<void> {
    const t0 = performance.now();
    const compiled = await pyodideWasm();
    let snap: SharedArrayBuffer | null = null;
    let makeSnapshot = false;
    if (snapshot === null) {
      makeSnapshot = true;
    } else {
      snap = await snapshot;
    }
    let snapshotMade: ((s: SharedArrayBuffer | null) => void) | null = null;
    let startBudget = (): void => undefined;
    if (makeSnapshot) snapshot = new Promise((res) => (snapshotMade = res));
    const inc = new Incarnation(
      {
        indexURL: INDEX_URL,
        wasm: compiled.module,
        wasmBytes: compiled.bytes,
        snapshot: snap,
        makeSnapshot,
        hostTimeoutMs: HOST_TIMEOUT_MS,
        file: this.file,
        source: this.#source,
        exports: this.#decls.map((d) => ({ module: d.module, name: d.name })),
      },
      (routeId, fnIndex, args) => this.#hostCall(routeId, fnIndex, args),
      (m) => {
        if (m.t === 'print') this.#print(m.text);
        else if (m.t === 'log') this.#log(`${this.file}: ${m.text}`);
        else if (m.t === 'snapshot') {
          const shared = new SharedArrayBuffer(m.bytes.byteLength);
          new Uint8Array(shared).set(new Uint8Array(m.bytes));
          snapshotMade?.(shared);
          snapshotMade = null;
        } else if (m.t === 'starting') startBudget();
        else if (m.t === 'done') this.#done(inc, m.id, m.result, m.heap);
      },
      (why) => this.#workerGone(inc, why),
    );
    this.#inc = inc;
    // A top-level chunk that never ends is stopped like a route, with a wider budget.
    const budget = Math.max(1000, this.#limits.cpuMs * 10);
    let interrupted = false;
    let timer: NodeJS.Timeout | undefined;
    let grace: NodeJS.Timeout | undefined;
    startBudget = () => {
      timer = setTimeout(() => {
        interrupted = true;
        Atomics.store(inc.interrupt, 0, SIGINT);
      }, budget);
      grace = setTimeout(() => inc.kill(), budget * 2);
    };
    let loaded: Loaded;
    try {
      loaded = await inc.loaded;
    } catch (e) {
      inc.kill();
      const snapshotFailed = snapshotMade as ((s: null) => void) | null;
      if (snapshotFailed !== null) {
        snapshotFailed(null);
        snapshot = null;
      }
      throw new ScriptLoadError(
        interrupted
          ? 'CPU budget exceeded while running the top-level code'
          : `the Python worker failed: ${(e as Error).message}`,
        { file: this.file, line: null },
      );
    } finally {
      clearTimeout(timer);
      clearTimeout(grace);
    }
    const pending = snapshotMade as ((s: null) => void) | null;
    if (pending !== null) pending(null); // a cold start that made no snapshot
    const a = loaded.answer;
    if (a.functions === undefined) {
      inc.kill();
      const where = { file: this.file, line: a.line ?? null };
      throw new ScriptLoadError(
        a.interrupted === true
          ? 'CPU budget exceeded while running the top-level code'
          : (a.error ?? 'load failed'),
        where,
      );
    }
    this.#functions = new Set(a.functions);
    inc.ready = true;
    this.startupMs = performance.now() - t0;
    inc.worker.unref();
    if (!first) this.#pump();
  }

  #workerGone(inc: Incarnation, why: string): void {
    if (inc.dead && this.#inc !== inc) return;
    inc.dead = true;
    inc.dispatcher.close();
    if (!inc.ready || this.#inc !== inc || this.#disposed) return;
    this.#inc = null;
    for (const n of this.#nested.splice(0)) {
      this.#finish(n, {
        kind: 'error',
        message: `the Python worker stopped: ${why}`,
        where: { file: this.file, line: null },
        traceback: '',
      });
    }
    const job = this.#running;
    if (job !== null) {
      this.#running = null;
      this.#finish(
        job,
        job.aborted
          ? { kind: 'aborted', reason: 'cpu', where: { file: this.file, line: null } }
          : {
              kind: 'error',
              message: `the Python worker stopped: ${why}`,
              where: { file: this.file, line: null },
              traceback: '',
            },
      );
    }
    this.#respawn();
  }

  /** Replaces the worker (after a kill or a memory overrun); queued routes wait for it. */
  #respawn(): void {
    this.#inc?.kill();
    this.#inc = null;
    this.#spawn(false).catch((e: unknown) => {
      // The same script loaded before: this is an environment failure. Fail what waits.
      const jobs = [...this.#queue];
      this.#queue.length = 0;
      for (const j of jobs) this.#finish(j, this.#internalError(e));
      this.#disposed = true;
    });
  }

  // -------------------------------------------------------------------------------------------
  // Routes

  #pump(): void {
    const inc = this.#inc;
    if (this.#running !== null || inc === null || inc.dead || this.#disposed) return;
    const job = this.#queue.shift();
    if (job === undefined) {
      inc.worker.unref();
      return;
    }
    this.#running = job;
    inc.worker.ref();
    Atomics.store(inc.interrupt, 0, 0);
    const m: ToWorker = { t: 'run', id: job.id, fn: job.fn, arg: job.arg };
    inc.worker.postMessage(m);
    this.#arm(job, this.#limits.cpuMs);
  }

  #done(inc: Incarnation, id: number, result: string | number | null, heap: number): void {
    const job = this.#running;
    if (job === null || job.id !== id || this.#inc !== inc) return;
    this.#running = null;
    inc.heap = heap;
    let out = this.#outcome(job, result);
    if (heap > this.#memory) {
      if (out.kind !== 'aborted') {
        out = { kind: 'aborted', reason: 'memory', where: { file: this.file, line: null } };
      }
      this.#finish(job, out);
      this.#respawn();
      return;
    }
    this.#finish(job, out);
    this.#pump();
  }

  #outcome(job: Job<Ctx>, result: string | number | null): RouteOutcome {
    if (job.aborted || (job.parent !== null && this.#running?.aborted === true)) {
      const a = typeof result === 'string' ? (JSON.parse(result) as PyAnswer) : null;
      return { kind: 'aborted', reason: 'cpu', where: { file: this.file, line: a?.line ?? null } };
    }
    if (result === null) return { kind: 'returned' };
    if (typeof result === 'number') return { kind: 'exit', drop: result === 2 };
    return this.#answerOutcome(job, JSON.parse(result) as PyAnswer);
  }

  #answerOutcome(job: Job<Ctx>, a: PyAnswer): RouteOutcome {
    if (a.missing === true) return { kind: 'missing', name: job.fn };
    const where: ScriptLocation = { file: this.file, line: a.line ?? null };
    if (a.interrupted === true) {
      // A KeyboardInterrupt the script raised itself.
      return { kind: 'error', message: 'KeyboardInterrupt', where, traceback: '' };
    }
    return { kind: 'error', message: a.error ?? 'error', where, traceback: a.traceback ?? '' };
  }

  #finish(job: Job<Ctx>, out: RouteOutcome): void {
    if (job.timer !== null) clearTimeout(job.timer);
    if (job.grace !== null) clearTimeout(job.grace);
    job.timer = job.grace = null;
    job.resolve(out);
  }

  // -------------------------------------------------------------------------------------------
  // CPU budget: guest time only. The worker keeps the clock (protocol.ts `clock`): when the
  // route started and how long it has waited on the host, so neither the SIP thread's delay in
  // picking a KSR call up nor the call itself counts. One timer per route, set to the budget
  // left; when it fires early (the route waited on the host meanwhile) it is set again.

  #arm(job: Job<Ctx>, ms: number): void {
    job.timer = setTimeout(() => this.#deadline(job), Math.max(1, Math.ceil(ms)));
  }

  /** Guest time (ms) of the route the worker is running now. */
  static #guestMs(clock: Float64Array): number {
    const now = performance.timeOrigin + performance.now();
    const waiting = clock[2]! > 0 ? now - clock[2]! : 0;
    return now - clock[0]! - clock[1]! - waiting;
  }

  #deadline(job: Job<Ctx>): void {
    const inc = this.#inc;
    job.timer = null;
    if (this.#running !== job || inc === null || job.aborted) return;
    if (Atomics.load(inc.interrupt, 1) !== job.id) {
      // The worker has not picked the route up yet (its event loop was busy): the budget
      // starts when Python does.
      this.#arm(job, this.#limits.cpuMs);
      return;
    }
    const left = this.#limits.cpuMs - PythonScript.#guestMs(inc.clock);
    if (left > 0.5) {
      this.#arm(job, left);
      return;
    }
    job.aborted = true;
    job.timer = null;
    Atomics.store(inc.interrupt, 0, SIGINT);
    // Caught KeyboardInterrupts are raised again until the route ends or the grace runs out.
    const again = setInterval(() => {
      if (this.#running !== job) clearInterval(again);
      else Atomics.store(inc.interrupt, 0, SIGINT);
    }, REINTERRUPT_MS);
    job.grace = setTimeout(() => {
      clearInterval(again);
      if (this.#running !== job) return;
      // The script swallows KeyboardInterrupt: only termination stops it.
      inc.kill();
      this.#workerGone(inc, 'terminated after the CPU budget');
    }, this.#limits.cpuMs);
    job.grace.unref();
  }

  // -------------------------------------------------------------------------------------------
  // KSR calls from the worker

  #hostCall(routeId: number, fnIndex: number, args: unknown[]): unknown {
    // The end of a nested route comes from the route it ran in (the worker's stack below it).
    if (fnIndex === FN_NESTED_DONE) return this.#nestedDone(routeId, args);
    const job = this.#top();
    if (job === null || job.id !== routeId) throw new Error('KSR call outside of a route');
    if (fnIndex === FN_LOG) {
      this.#scriptError(job.ctx, String(args[0]));
      return [ST_OK, null];
    }
    if (this.#running!.aborted) return [ST_ABORTED, null];
    const decl = this.#decls[fnIndex];
    if (decl === undefined) throw new Error(`unknown KSR function #${fnIndex}`);
    let conv: (string | number)[];
    try {
      conv = convertArgs(decl, args as GuestArg[], 'strict');
    } catch (e) {
      // app_python3: a wrong argument type is logged and the call returns False. The worker
      // adds the script line and logs it through FN_LOG.
      return [ST_ARG_ERROR, (e as Error).message];
    }
    let r: HostValue | void | Promise<HostValue | void>;
    job.calling = true;
    try {
      r = this.#inCall.run(job, () => decl.impl(job.ctx, ...conv));
    } catch (e) {
      job.calling = false;
      if (job.nestedQueue.length > 0) {
        return this.#awaitCall(
          job,
          Promise.reject(e as Error).catch(() => hostFailure(decl, e)),
        );
      }
      return hostFailure(decl, e);
    }
    if (typeof r !== 'object' || r === null) {
      if (job.nestedQueue.length === 0) {
        job.calling = false;
      } else {
        // It asked for a nested route without waiting for it: run that first.
        const v = r;
        return this.#awaitCall(
          job,
          Promise.resolve().then(() => [ST_OK, convertReturn(decl, v, 'strict')]),
        );
      }
    }
    if (typeof r === 'object' && r !== null) {
      return this.#awaitCall(
        job,
        r.then(
          (v) => [ST_OK, convertReturn(decl, v, 'strict')],
          (e: unknown) => hostFailure(decl, e),
        ),
      );
    }
    return [ST_OK, convertReturn(decl, r, 'strict')];
  }

  /**
   * A script error line (`file:line: text`) to the route's script log when the ctx has one
   * (RouteContext.log: the app log with the call's fields), else to the engine's `log` option.
   */
  #scriptError(ctx: Ctx, text: string): void {
    const log = (ctx as { log?: unknown } | null)?.log;
    if (typeof log === 'function') {
      (log as (level: 'err', text: string) => void)('err', text);
    } else {
      this.#log(text);
    }
  }

  #disposedOutcome(): RouteOutcome {
    return {
      kind: 'error',
      message: 'the Python script instance was disposed',
      where: { file: this.file, line: null },
      traceback: '',
    };
  }

  #internalError(e: unknown): RouteOutcome {
    return {
      kind: 'error',
      message: `internal Python engine error: ${e instanceof Error ? e.message : String(e)}`,
      where: { file: this.file, line: null },
      traceback: e instanceof Error ? (e.stack ?? '') : '',
    };
  }
}

/** RouteExit → exit/drop status; anything else → an error the script sees as RuntimeError. */
function hostFailure(decl: KsrExport<never>, e: unknown): unknown[] {
  if (isRouteExit(e)) return [e.drop ? ST_DROP : ST_EXIT, null];
  const label = ksrName(decl);
  const m = e instanceof Error ? e.message : String(e);
  throw new Error(m.startsWith(label) ? m : `${label}: ${m}`);
}
