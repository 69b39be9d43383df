/**
 * The isolated placement: a script instance whose interpreter runs in a worker thread, the
 * boundary that holds where an in-thread interpreter does not (a memory bomb kills only the
 * worker; an `xpcall` loop or a pathological pattern match that no hook can stop ends with the
 * worker). Same KSR behaviour as in-thread: the worker runs the in-thread engine against a
 * registry whose implementations forward each call over the host channel; the real
 * implementation runs here with the route's ctx.
 *
 * Routes run concurrently, as in-thread: a route whose KSR implementation returns a Promise that
 * is still pending at the next turn of the event loop is suspended in the worker (the call is
 * answered "pending" and settled later by a message), so other routes, nested ones included, go
 * on meanwhile; one that settles within the turn is answered directly (see #settleSoon).
 *
 * Limits are the host's: the in-worker engine enforces the CPU budget cooperatively; a watchdog
 * here terminates the worker when one route has executed without a break for twice that
 * budget, and `resourceLimits` caps the worker's heap. Either way the route gets `aborted`,
 * routes the worker had not started are queued for a fresh worker that reloads the script, and
 * routes it had started (suspended on a KSR call) fail: their state is gone.
 */
import { resolve } from 'node:path';
import { MessageChannel, Worker } from 'node:worker_threads';
import { isRouteExit } from '../../core/api/control.ts';
import type { ExportRegistry, HostValue, KsrExport } from '../../core/api/registry.ts';
import {
  DEFAULT_LIMITS,
  ScriptLoadError,
  type RouteOutcome,
  type ScriptInstance,
  type ScriptLimits,
} from '../../core/api/script.ts';
import { createChannelBuffers, HostDispatcher } from '../isolate/channel.ts';
import {
  ANSWER_ERROR,
  ANSWER_EXIT,
  ANSWER_OK,
  ANSWER_PENDING,
  ANSWER_PURE,
  STATE_BEAT,
  STATE_IN_CALL,
  STATE_CURRENT,
  STATE_STARTED,
  STATE_WORDS,
  type FromWorker,
  type IsolatedEngine,
  type IsolatedInit,
  type Prefetch,
  type ToWorker,
} from './protocol.ts';
import { readScriptSource } from '../ksr/load.ts';
import { memoKey, pureTest, type PureArgs } from './pure.ts';

export interface IsolatedScriptOptions<Ctx> {
  readonly file: string;
  readonly source?: string;
  readonly registry: ExportRegistry<Ctx>;
  readonly limits?: Partial<ScriptLimits>;
  readonly version?: number;
  readonly entryPoints?: readonly string[];
  readonly engine: IsolatedEngine;
  /** Where the script's `print` goes (default: stdout). */
  readonly print?: (text: string) => void;
}

/** Heap the worker needs besides the script's own data: engine, KSR tree (tsx when unbuilt). */
export const WORKER_BASE_HEAP_MB = 48;
/** A blocked KSR call waits this long for its implementation before the guest gets an error. */
const HOST_TIMEOUT_MS = 30_000;
/** Time for a worker to import its modules (engine; tsx when unbuilt) before the script starts. */
const START_MS = 60_000;

/**
 * The watchdog ends a route after 2× its budget, and never sooner than this past the budget:
 * the in-worker engine and the watchdog both use wall time, and a busy machine deschedules.
 */
const WATCHDOG_SLACK_MS = 100;
/** A worker that has not begun any route it was given is ended only after this long. */
const IDLE_STALL_MS = 10_000;

const BOOT = new URL('./worker-boot.mjs', import.meta.url);

export type WorkerEnd = 'cpu' | 'memory' | 'crash';

interface Job<Ctx> {
  readonly id: number;
  readonly fn: string;
  readonly ctx: Ctx;
  readonly arg: string | undefined;
  readonly resolve: (o: RouteOutcome) => void;
  /** Dispatch sequence number on the current worker; 0 while queued. */
  seq: number;
  /** The learned reads of the part of the route running now (see #reads). */
  window: Learned | null;
  /** Calls this route made that are not pure reads: the window key names the call site. */
  calls: number;
}

/** A pure read a script made, to compute ahead next time. */
interface Read {
  readonly fnIndex: number;
  readonly args: PureArgs;
}
type Learned = Map<string, Read>;

/** Pure reads learned per window of a route; more are answered by crossing, as before. */
const MAX_LEARNED = 32;
/** Windows learned per instance: a bound for scripts with very many call paths. */
const MAX_WINDOWS = 1024;
/** What a quiet read returns when its answer cannot be handed ahead. */
const NOPE: unique symbol = Symbol('nope');

class Incarnation {
  readonly worker: Worker;
  readonly state: Int32Array;
  readonly dispatcher: HostDispatcher;
  readonly loaded: Promise<FromWorker & { t: 'loaded' | 'loadError' }>;
  dead = false;
  ready = false;
  /** Why it was ended by the host ('cpu', 'memory'), before its exit event arrives. */
  ending: WorkerEnd | null = null;
  /** The route the watchdog found stuck, or the one running when the heap overflowed. */
  culprit = 0;
  /** Calls that are not pure reads this worker made (it counts them the same way). */
  calls = 0;
  onStarting: () => void = () => undefined;

  constructor(
    init: Omit<IsolatedInit, 'channel' | 'port' | 'state'>,
    memoryMb: number,
    handler: (inc: Incarnation, routeId: number, fnIndex: number, args: unknown[]) => unknown,
    onMessage: (inc: Incarnation, m: FromWorker) => void,
    onGone: (inc: Incarnation, why: WorkerEnd, detail: string) => void,
  ) {
    const channel = createChannelBuffers();
    const { port1, port2 } = new MessageChannel();
    const state = new SharedArrayBuffer(STATE_WORDS * 4);
    this.state = new Int32Array(state);
    const data: IsolatedInit = { ...init, channel, port: port2, state };
    this.worker = new Worker(BOOT, {
      workerData: data,
      transferList: [port2],
      env: {},
      stdin: false,
      stdout: false,
      stderr: false,
      resourceLimits: {
        maxOldGenerationSizeMb: memoryMb + WORKER_BASE_HEAP_MB,
        maxYoungGenerationSizeMb: 16,
      },
    });
    this.dispatcher = new HostDispatcher(channel, port1, (rid, fnIndex, args) =>
      handler(this, rid, fnIndex, args),
    );
    this.loaded = new Promise((res, rej) => {
      this.worker.on('message', (m: FromWorker) => {
        if (m.t === 'loaded' || m.t === 'loadError') res(m);
        else if (m.t === 'starting') this.onStarting();
        else onMessage(this, m);
      });
      this.worker.on('error', (e: Error & { code?: string }) => {
        const why: WorkerEnd =
          e.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : (this.ending ?? 'crash');
        if (why === 'memory') this.culprit = Atomics.load(this.state, STATE_CURRENT);
        this.ending = why;
        rej(Object.assign(new Error(e.message), { why }));
        onGone(this, why, e.message);
      });
      this.worker.on('exit', (code) => {
        const why = this.ending ?? 'crash';
        rej(Object.assign(new Error(`the worker exited (code ${code})`), { why }));
        onGone(this, why, `the worker exited (code ${code})`);
      });
    });
    this.loaded.catch(() => undefined);
  }

  kill(why: WorkerEnd): void {
    if (this.dead) return;
    this.ending ??= why;
    this.dead = true;
    this.dispatcher.close();
    void this.worker.terminate();
  }
}

export class IsolatedScript<Ctx> implements ScriptInstance<Ctx> {
  readonly engine: string;
  readonly file: string;
  readonly version: number;
  /** Workers started so far (1 + respawns), for tests and metrics. */
  spawns = 0;
  /** KSR calls that crossed from the worker to this thread, for tests and benchmarks. */
  crossings = 0;
  /** Pure reads computed ahead (see #prefetch), for tests and benchmarks. */
  prefetched = 0;
  /** Start-up time of the current worker (thread, engine, script), ms. */
  startupMs = 0;
  readonly #engine: IsolatedEngine;
  readonly #source: string;
  readonly #limits: ScriptLimits;
  readonly #entryPoints: readonly string[] | undefined;
  readonly #print: (text: string) => void;
  readonly #decls: KsrExport<Ctx>[];
  #functions = new Set<string>();
  #inc: Incarnation | null = null;
  /** Routes given to the current worker, by id. */
  readonly #jobs = new Map<number, Job<Ctx>>();
  /** Routes waiting for a worker (respawn in progress). */
  readonly #queue: Job<Ctx>[] = [];
  #nextId = 1;
  #nextSeq = 1;
  #nextToken = 1;
  #disposed = false;
  #watchdog: NodeJS.Timeout | null = null;
  #seenChanges = -1;
  #seenAt = 0;
  /** Purity test per registry index (pure.ts). */
  readonly #pure: (((args: PureArgs) => boolean) | null)[];
  /**
   * The pure reads scripts made in each window, computed ahead and sent along the next time:
   * a window is a route's start or the return from its n-th call that is not a pure read (key:
   * route name, n, the function's index), up to the route's next such call.
   */
  readonly #reads = new Map<string, Learned>();
  /** Such calls whose implementation runs now or whose answer is not written yet. */
  #inCall = 0;
  /** Calls answered "pending" and not settled yet: their implementation may still change things. */
  #pending = 0;
  /** Log lines of the quiet read in progress (see #readQuietly). */
  #logged: [unknown, unknown][] = [];
  readonly #quietLog = (level: unknown, text: unknown): void => {
    this.#logged.push([level, text]);
  };

  private constructor(opts: IsolatedScriptOptions<Ctx>, source: string) {
    this.#engine = opts.engine;
    this.engine = `${opts.engine}/isolated`;
    this.file = resolve(opts.file);
    this.version = opts.version ?? 1;
    this.#source = source;
    this.#limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.#entryPoints = opts.entryPoints;
    this.#print = opts.print ?? ((t) => process.stdout.write(`${t}\n`));
    this.#decls = opts.registry.list();
    this.#pure = this.#decls.map((d) => pureTest(d.module, d.name));
  }

  static async load<Ctx>(opts: IsolatedScriptOptions<Ctx>): Promise<IsolatedScript<Ctx>> {
    const file = resolve(opts.file);
    const source = readScriptSource(file, opts.source);
    const script = new IsolatedScript(opts, source);
    try {
      await script.#spawn();
    } catch (e) {
      script.dispose();
      throw e;
    }
    return script;
  }

  hasFunction(name: string): boolean {
    return !this.#disposed && this.#functions.has(name);
  }

  /** The worker's heap after loading, bytes. */
  heapAtLoad = 0;

  run(fn: string, ctx: Ctx, arg?: string): Promise<RouteOutcome> {
    if (this.#disposed) return Promise.resolve(this.#failure('the script instance was disposed'));
    if (this.#jobs.size + this.#queue.length >= this.#limits.maxSuspended) {
      return Promise.resolve(
        this.#failure(`too many routes in progress (limit ${this.#limits.maxSuspended})`),
      );
    }
    return new Promise<RouteOutcome>((res) => {
      const job: Job<Ctx> = {
        id: this.#nextId++,
        fn,
        ctx,
        arg,
        resolve: res,
        seq: 0,
        window: null,
        calls: 0,
      };
      const inc = this.#inc;
      if (inc !== null && inc.ready && !inc.dead) this.#dispatch(inc, job);
      else this.#queue.push(job);
    });
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    this.#inc?.kill('crash');
    this.#inc = null;
    this.#stopWatchdog();
    const jobs = [...this.#jobs.values(), ...this.#queue];
    this.#jobs.clear();
    this.#queue.length = 0;
    for (const j of jobs) j.resolve(this.#failure('the script instance was disposed'));
    this.#functions.clear();
  }

  // -------------------------------------------------------------------------------------------
  // Worker life

  async #spawn(): Promise<void> {
    const t0 = performance.now();
    this.spawns++;
    const memoryMb = Math.ceil((this.#limits.memoryBytes || DEFAULT_LIMITS.memoryBytes) / 2 ** 20);
    const inc = new Incarnation(
      {
        engine: this.#engine,
        file: this.file,
        source: this.#source,
        limits: this.#limits,
        version: this.version,
        entryPoints: this.#entryPoints,
        exports: this.#decls.map((d) => ({
          module: d.module,
          name: d.name,
          params: d.params.map((p) => ({ name: p.name, type: p.type })),
          returns: d.returns,
          doc: d.doc,
        })),
        hostTimeoutMs: HOST_TIMEOUT_MS,
        beatMs: this.#tick(),
      },
      memoryMb,
      (i, rid, fnIndex, args) => this.#hostCall(i, rid, fnIndex, args),
      (i, m) => this.#onMessage(i, m),
      (i, why, detail) => this.#gone(i, why, detail),
    );
    this.#inc = inc;
    // The in-worker engine stops a top-level chunk after max(1 s, 10 budgets); this is for what
    // it cannot stop.
    let timer = setTimeout(() => inc.kill('crash'), START_MS);
    inc.onStarting = () => {
      clearTimeout(timer);
      timer = setTimeout(() => inc.kill('cpu'), 2 * Math.max(1000, this.#limits.cpuMs * 10));
    };
    let m: FromWorker;
    try {
      m = await inc.loaded;
    } catch (e) {
      inc.kill('crash');
      const why = (e as { why?: WorkerEnd }).why;
      throw new ScriptLoadError(
        why === 'cpu'
          ? 'CPU budget exceeded while running the top-level code (the worker was terminated)'
          : why === 'memory'
            ? 'memory limit exceeded while running the top-level code'
            : `the script worker failed: ${(e as Error).message}`,
        { file: this.file, line: null },
      );
    } finally {
      clearTimeout(timer);
    }
    if (m.t === 'loadError') {
      inc.kill('crash');
      throw new ScriptLoadError(m.message, m.where);
    }
    if (m.t !== 'loaded') throw new Error('unreachable');
    this.#functions = new Set(m.functions);
    this.heapAtLoad = m.heapBytes;
    this.startupMs = performance.now() - t0;
    inc.ready = true;
    inc.worker.unref();
    const queued = this.#queue.splice(0);
    for (const j of queued) this.#dispatch(inc, j);
  }

  #dispatch(inc: Incarnation, job: Job<Ctx>): void {
    job.seq = this.#nextSeq++;
    this.#jobs.set(job.id, job);
    if (this.#jobs.size === 1) {
      inc.worker.ref();
      this.#startWatchdog();
    }
    // What the route read at its start last time, as it reads now: an in-thread route would run
    // on this very state (it starts inside run()).
    // Not for a route started from inside a KSR implementation, or while one may still be
    // changing things: the worker could run it after the state moved on. The worker drops it too
    // when any call was made between here and the route's start (`calls`).
    job.window = this.#window(`${job.fn}\u0000s`);
    const pre = this.#inCall === 0 && this.#pending === 0 ? this.#prefetch(job) : null;
    const m: ToWorker = {
      t: 'run',
      id: job.id,
      seq: job.seq,
      fn: job.fn,
      arg: job.arg,
      pre,
      calls: inc.calls,
    };
    inc.worker.postMessage(m);
  }

  #finish(job: Job<Ctx>, out: RouteOutcome): void {
    if (!this.#jobs.delete(job.id)) return;
    job.resolve(out);
    if (this.#jobs.size === 0) {
      this.#stopWatchdog();
      this.#inc?.worker.unref();
    }
  }

  #onMessage(inc: Incarnation, m: FromWorker): void {
    if (m.t === 'print') {
      this.#print(m.text);
    } else if (m.t === 'done' && inc === this.#inc) {
      const job = this.#jobs.get(m.id);
      if (job !== undefined) this.#finish(job, m.outcome);
    }
  }

  /** The worker ended (terminated by the watchdog, out of memory, or crashed). */
  #gone(inc: Incarnation, why: WorkerEnd, detail: string): void {
    const wasReady = inc.ready;
    inc.dead = true;
    inc.dispatcher.close();
    if (this.#inc !== inc || !wasReady || this.#disposed) return;
    inc.ready = false;
    this.#inc = null;
    this.#stopWatchdog();
    const started = Atomics.load(inc.state, STATE_STARTED);
    // The route that last had the thread; when it is not among those started, any of them may
    // be the one that held it.
    const culprit = jobs0(this.#jobs).some((j) => j.id === inc.culprit && j.seq <= started)
      ? inc.culprit
      : 0;
    const where = { file: this.file, line: null };
    const jobs = [...this.#jobs.values()].sort((a, b) => a.seq - b.seq);
    this.#jobs.clear();
    for (const job of jobs) {
      if (job.seq > started) {
        // The worker never began it: it runs on the next one.
        job.seq = 0;
        this.#queue.push(job);
      } else if (why !== 'crash' && (job.id === culprit || culprit === 0)) {
        job.resolve({ kind: 'aborted', reason: why, where });
      } else {
        job.resolve(
          this.#failure(`the script worker was replaced while this route waited (${detail})`),
        );
      }
    }
    this.#spawn().catch((e: unknown) => {
      // The same script loaded before: an environment failure. Fail what waits.
      const queued = this.#queue.splice(0);
      this.#disposed = true;
      for (const j of queued)
        j.resolve(this.#failure(`cannot restart the script worker: ${(e as Error).message}`));
    });
  }

  // -------------------------------------------------------------------------------------------
  // Watchdog: one route executing without a break for 2× its CPU budget ends the worker.

  #startWatchdog(): void {
    if (this.#watchdog !== null) return;
    this.#seenChanges = -1;
    this.#watchdog = setInterval(() => this.#check(), this.#tick());
    this.#watchdog.unref();
  }

  #tick(): number {
    return Math.max(2, Math.min(25, Math.floor(this.#limits.cpuMs / 4)));
  }

  #stopWatchdog(): void {
    if (this.#watchdog !== null) clearInterval(this.#watchdog);
    this.#watchdog = null;
  }

  #check(): void {
    const inc = this.#inc;
    if (inc === null || inc.dead) return;
    const changes = Atomics.load(inc.state, STATE_BEAT);
    const now = performance.now();
    if (changes !== this.#seenChanges || Atomics.load(inc.state, STATE_IN_CALL) === 1) {
      this.#seenChanges = changes;
      this.#seenAt = now;
      return;
    }
    const cpu = this.#limits.cpuMs;
    const stalled = now - this.#seenAt;
    if (stalled < Math.max(2 * cpu, cpu + WATCHDOG_SLACK_MS)) return;
    // No route of ours was ever given the thread (every one is still queued in the worker): the
    // stall is not a script's doing (the runtime, a page-in) and ending the worker would only
    // cost a restart. Only a much longer one, a worker that is not coming back, ends it.
    const started = Atomics.load(inc.state, STATE_STARTED);
    if (!jobs0(this.#jobs).some((j) => j.seq <= started) && stalled < IDLE_STALL_MS) return;
    inc.culprit = Atomics.load(inc.state, STATE_CURRENT);
    inc.kill('cpu');
    // Answer now: a worker deep in a wasm call (a big string fill, a long builtin) takes 0.3-0.5 s
    // more to stop and report its exit; the replacement starts meanwhile.
    this.#gone(inc, 'cpu', 'the route exceeded its CPU budget');
  }

  // -------------------------------------------------------------------------------------------
  // KSR calls from the worker

  #hostCall(inc: Incarnation, routeId: number, fnIndex: number, args: unknown[]): unknown {
    this.crossings++;
    const a = args as (string | number)[];
    const test = this.#pure[fnIndex];
    const isPure = test !== null && test !== undefined && test(a);
    // Counted before anything can fail: the worker counts every call it makes the same way.
    if (!isPure) inc.calls++;
    const job = this.#jobs.get(routeId);
    if (job === undefined || inc !== this.#inc) throw new Error('KSR call outside of a route');
    const decl = this.#decls[fnIndex];
    if (decl === undefined) throw new Error(`unknown KSR function #${fnIndex}`);
    if (isPure) return this.#pureCall(inc, job, fnIndex, a);
    job.window = null;
    job.calls++;
    let r: HostValue | void | Promise<HostValue | void>;
    this.#inCall++;
    try {
      r = decl.impl(job.ctx, ...a);
    } catch (e) {
      this.#inCall--;
      if (isRouteExit(e)) return [ANSWER_EXIT, e.drop];
      throw e;
    }
    if (typeof r !== 'object' || r === null) {
      this.#inCall--;
      return this.#okAfter(job, fnIndex, r);
    }
    return this.#settleSoon(inc, r, job, fnIndex);
  }

  /**
   * The answer to a call that is not a pure read and returned without suspending the route: the
   * route goes on right after it (the worker is blocked in the call meanwhile, so nothing else
   * can change the message first), so it carries what the route read next last time.
   */
  #okAfter(job: Job<Ctx>, fnIndex: number, r: HostValue | void): unknown {
    job.window = this.#window(`${job.fn}\u0000${job.calls}\u0000${fnIndex}`);
    const pre = this.#prefetch(job);
    return pre === null ? [ANSWER_OK, r ?? null] : [ANSWER_OK, r ?? null, pre];
  }

  /**
   * A pure read that crossed: answered as memoizable unless it logged (a read that logs, an
   * unparsable header, must log each time, as in-thread), and learned for its window.
   */
  #pureCall(inc: Incarnation, job: Job<Ctx>, fnIndex: number, args: (string | number)[]): unknown {
    const v = this.#readQuietly(job.ctx, fnIndex, args);
    if (v !== NOPE) {
      const w = job.window;
      if (w !== null && w.size < MAX_LEARNED) {
        const key = memoKey(fnIndex, args);
        if (!w.has(key)) w.set(key, { fnIndex, args });
      }
      return [ANSWER_PURE, v];
    }
    // It logged or threw: run it again for real, so its log lines and errors are exactly those
    // of a call that is not memoized (the quiet run changed nothing but parse caches).
    this.#logged.length = 0;
    const decl = this.#decls[fnIndex]!;
    let r: HostValue | void | Promise<HostValue | void>;
    try {
      r = decl.impl(job.ctx, ...args);
    } catch (e) {
      if (isRouteExit(e)) return [ANSWER_EXIT, e.drop];
      throw e;
    }
    if (typeof r !== 'object' || r === null) return [ANSWER_OK, r ?? null];
    this.#inCall++;
    return this.#settleSoon(inc, r, null, fnIndex);
  }

  /**
   * Runs a pure read with the ctx's log silenced. Returns its value, or NOPE when it logged,
   * threw or returned a Promise (none of the listed functions does; its work is left alone).
   */
  #readQuietly(ctx: Ctx, fnIndex: number, args: readonly (string | number)[]): unknown {
    const decl = this.#decls[fnIndex]!;
    const c = ctx as { log?: unknown };
    const saved = typeof c === 'object' && c !== null ? c.log : undefined;
    if (typeof saved === 'function') {
      try {
        c.log = this.#quietLog;
      } catch {
        return NOPE; // a frozen ctx: its log cannot be silenced
      }
    }
    this.#logged.length = 0;
    try {
      const r = decl.impl(ctx, ...args);
      if (typeof r === 'object' && r !== null) {
        (r as Promise<unknown>).catch(() => undefined);
        return NOPE;
      }
      return this.#logged.length > 0 ? NOPE : (r ?? null);
    } catch {
      return NOPE;
    } finally {
      if (typeof saved === 'function') c.log = saved;
    }
  }

  /** The learned reads of a window, created on first use (bounded). */
  #window(key: string): Learned | null {
    let w = this.#reads.get(key);
    if (w === undefined) {
      if (this.#reads.size >= MAX_WINDOWS) return null;
      this.#reads.set(key, (w = new Map()));
    }
    return w;
  }

  /** The current answers to the reads learned for the job's window, or null. */
  #prefetch(job: Job<Ctx>): Prefetch | null {
    const w = job.window;
    if (w === null || w.size === 0) return null;
    const out: unknown[] = [];
    for (const [key, read] of w) {
      const v = this.#readQuietly(job.ctx, read.fnIndex, read.args);
      if (v !== NOPE) out.push(key, v);
    }
    this.prefetched += w.size;
    this.#logged.length = 0;
    return out.length === 0 ? null : out;
  }

  /**
   * Most asynchronous KSR implementations settle within the same turn of the event loop (a reply
   * handed to the socket, a cached lookup): the worker keeps waiting for those and the route goes
   * on without suspending, as it does in-thread. Suspending would cost far more: a suspended JS
   * route holds its QuickJS module, so the next route needs another one (~80 ms). What is still
   * pending at the next turn is answered "pending" and settled later by a message, so a long call
   * (a transaction, a database) never holds the worker, and a route the implementation starts
   * meanwhile (onsend, branch) can run. `#inCall` was raised for this call; it drops when the
   * call is answered, and `#pending` counts it until it settles.
   */
  #settleSoon(
    inc: Incarnation,
    p: Promise<HostValue | void>,
    job: Job<Ctx> | null,
    fnIndex: number,
  ): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let answered = false;
      const later = setImmediate(() => {
        answered = true;
        this.#inCall--;
        this.#pending++;
        const token = this.#nextToken++;
        const settle = (tag: number, value: unknown): void => {
          this.#pending--;
          if (inc.dead || inc !== this.#inc) return;
          const m: ToWorker = { t: 'settle', token, tag, value };
          inc.worker.postMessage(m);
        };
        p.then(
          (v) => settle(ANSWER_OK, v ?? null),
          (e: unknown) =>
            isRouteExit(e)
              ? settle(ANSWER_EXIT, e.drop)
              : settle(ANSWER_ERROR, e instanceof Error ? e.message : String(e)),
        );
        resolve([ANSWER_PENDING, token]);
      });
      p.then(
        (v) => {
          if (answered) return;
          answered = true;
          this.#inCall--;
          clearImmediate(later);
          resolve(job === null ? [ANSWER_OK, v ?? null] : this.#okAfter(job, fnIndex, v));
        },
        (e: unknown) => {
          if (answered) return;
          answered = true;
          this.#inCall--;
          clearImmediate(later);
          // A rejection travels as the call's failure, the same as a throw.
          if (isRouteExit(e)) resolve([ANSWER_EXIT, e.drop]);
          else reject(e);
        },
      );
    });
  }

  #failure(message: string): RouteOutcome {
    return { kind: 'error', message, where: { file: this.file, line: null }, traceback: '' };
  }
}

function jobs0<Ctx>(jobs: Map<number, Job<Ctx>>): Job<Ctx>[] {
  return [...jobs.values()];
}

/**
 * Loads a Lua or JS script into its own worker thread (see the file comment).
 * @throws ScriptLoadError as the in-thread loaders do, and when the top-level code exceeds the
 * worker's memory or cannot be stopped.
 */
export function loadIsolatedScript<Ctx>(
  opts: IsolatedScriptOptions<Ctx>,
): Promise<ScriptInstance<Ctx>> {
  return IsolatedScript.load(opts);
}
