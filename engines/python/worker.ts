/**
 * The worker side of a Python script instance: one Pyodide interpreter, one script. Started by
 * `script.ts` through `worker-boot.mjs`. KSR calls block this thread on the host channel while
 * the main thread runs the implementation with the route's ctx.
 */
import { readFileSync } from 'node:fs';
import Module from 'node:module';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { loadPyodide, type PyodideAPI } from 'pyodide';
import { HostClient, type ChannelBuffers } from '../isolate/channel.ts';
import { wasmApi, type FromWorker, type ToWorker, type WorkerInit } from './protocol.ts';

type PyFn = ((...args: unknown[]) => unknown) & { destroy?: () => void };

/** The host's answer to a KSR call that orders a nested route instead (script.ts). */
const ST_NESTED = 6;
/** The host call that ends a nested route: [id, result]. */
const FN_NESTED_DONE = -2;
/** The host's answer to a call with a wrong argument: [ST_ARG_ERROR, message] (script.ts). */
const ST_ARG_ERROR = 7;

const init = workerData as WorkerInit;
const port = parentPort!;

function post(m: FromWorker, transfer?: ArrayBuffer[]): void {
  port.postMessage(m, transfer);
}

/**
 * Pyodide compiles pyodide.asm.wasm itself in every worker (tens of MB of machine code each):
 * while it loads, its instantiation of those bytes takes the module the main thread compiled
 * once instead.
 */
function useSharedWasm(): () => void {
  const wasm = wasmApi();
  const instantiate = wasm.instantiate;
  wasm.instantiate = async (src: unknown, imports?: object): Promise<unknown> => {
    if (
      (src instanceof ArrayBuffer || ArrayBuffer.isView(src)) &&
      src.byteLength === init.wasmBytes
    ) {
      const instance = await instantiate.call(wasm, init.wasm, imports);
      return { instance, module: init.wasm };
    }
    return instantiate.call(wasm, src, imports);
  };
  return () => {
    wasm.instantiate = instantiate;
  };
}

async function start(): Promise<void> {
  const t0 = performance.now();
  const snapshot = init.snapshot === null ? undefined : new Uint8Array(init.snapshot);
  const restoreWasm = useSharedWasm();
  const py = await loadPyodide({
    indexURL: init.indexURL,
    // `import js` must not reach this worker's globals.
    jsglobals: Object.create(null) as object,
    env: {},
    stdout: (text) => post({ t: 'print', text }),
    stderr: (text) => post({ t: 'print', text }),
    ...(snapshot === undefined
      ? { _makeSnapshot: init.makeSnapshot }
      : { _loadSnapshot: snapshot }),
  }).finally(restoreWasm);
  if (snapshot === undefined && init.makeSnapshot) {
    const bytes = py.makeMemorySnapshot();
    const copy = bytes.slice().buffer;
    post({ t: 'snapshot', bytes: copy }, [copy]);
  }
  const loadMs = performance.now() - t0;
  const module = (py as unknown as { _module: { HEAP8: Int8Array } })._module;
  py.setInterruptBuffer(new Int32Array(init.interrupt, 0, 1));
  /** The route Python is running now (0: none): the main thread's CPU clock needs it. */
  const running = new Int32Array(init.interrupt, 4, 1);
  /** [route start, host wait total, wait start]: the guest CPU clock (protocol.ts). */
  const clock = new Float64Array(init.clock);
  const now = (): number => performance.timeOrigin + performance.now();
  /** A blocking host call, its wait kept off the route's CPU budget. */
  const call = (idx: number, args: unknown[]): unknown => {
    const t0 = now();
    clock[2] = t0;
    try {
      return client.callHostSync(idx, args);
    } finally {
      clock[1] = clock[1]! + (now() - t0);
      clock[2] = 0;
    }
  };

  const client = new HostClient(
    init.channel as ChannelBuffers,
    init.port as MessagePort,
    init.hostTimeoutMs,
  );
  let status = 0;
  let message = '';
  let runNested: PyFn | null = null;
  const host = (idx: number, ...args: unknown[]): unknown => {
    status = 0;
    let r: unknown;
    try {
      r = call(idx, args);
      // While the call waits, the host may have a nested route run (branch, onsend): run it on
      // top of the Python stack, report it, and go on waiting.
      while ((r as [number, unknown])[0] === ST_NESTED && runNested !== null) {
        const [id, fn, arg] = (r as [number, [number, string, string | null]])[1];
        const outer = client.routeId;
        client.routeId = id;
        let result: unknown;
        try {
          result = runNested(fn, arg ?? '', arg !== null);
        } finally {
          client.routeId = outer;
        }
        r = call(FN_NESTED_DONE, [id, result ?? null]);
      }
    } catch (e) {
      status = 1;
      message = e instanceof Error ? e.message : String(e);
      return undefined;
    }
    const [s, v] = r as [number, unknown];
    if (s !== 0) {
      status = s;
      if (s === ST_ARG_ERROR) message = String(v);
      return undefined;
    }
    // A JS null would become `jsnull` in Python, not None.
    return v === null ? undefined : v;
  };

  const ns = py.globals.get('dict')() as { destroy(): void };
  const prelude = readFileSync(new URL('./prelude.py', import.meta.url), 'utf8');
  py.runPython(prelude, { globals: ns as never, filename: '<polysip>' });
  const get = (name: string): PyFn => (ns as unknown as { get(k: string): PyFn }).get(name);
  get('_install')(
    host,
    () => status,
    () => message,
    (guestType: string) => ({ guestType }),
    (text: string) => post({ t: 'log', text }),
    JSON.stringify(init.exports.map((e, i) => [e.module, e.name, i])),
  );
  const run = get('_run');
  runNested = get('_run_nested');
  const load = get('_load');
  lockDown(py);

  warmUp(get('_warm_up'), host);
  post({ t: 'starting' });
  const loaded = load(init.file, init.source) as string;
  post({ t: 'loaded', result: loaded, loadMs, heap: module.HEAP8.length });

  port.on('message', (m: ToWorker) => {
    if (m.t !== 'run') return;
    client.routeId = m.id;
    clock[1] = 0;
    clock[2] = 0;
    clock[0] = now();
    Atomics.store(running, 0, m.id);
    const r = run(m.fn, m.arg ?? '', m.arg !== undefined) as string | number | undefined;
    Atomics.store(running, 0, 0);
    post({ t: 'done', id: m.id, result: r ?? null, heap: module.HEAP8.length });
  });
}

/**
 * A fresh interpreter compiles its wasm functions lazily, on first use: the first route would
 * spend hundreds of ms there and overrun its CPU budget. Run the common paths (exceptions,
 * tracebacks, formatting, one host round trip) before the script.
 */
function warmUp(pyWarm: PyFn, host: (idx: number, ...args: unknown[]) => unknown): void {
  const t0 = performance.now();
  pyWarm();
  host(-1, 'warm-up', 1, true);
  if (process.env['POLYSIP_DEBUG_WARMUP'] !== undefined) {
    post({ t: 'print', text: `warm-up ${(performance.now() - t0).toFixed(1)} ms` });
  }
}

/**
 * Takes away what a script could use if it found a way from Python to this worker's JS realm
 * (Pyodide's FFI objects lead there): compiling code from strings (so no `Function("return
 * process")`, no dynamic `import()`), Python's `js`/`pyodide_js` modules, and the process and
 * network capabilities a worker still has. What stays reachable is listed in the report and
 * tested in `sandbox.test.ts`.
 */
function lockDown(py: PyodideAPI): void {
  closeNetwork(py);
  for (const name of ['js', 'pyodide_js']) {
    try {
      py.unregisterJsModule(name);
    } catch {
      // not registered
    }
  }
  py.runPython(
    "import sys\nfor _n in ('js', 'pyodide_js'):\n    sys.modules.pop(_n, None)\ndel _n, sys",
  );
  const denied = (): never => {
    throw new EvalError('code generation is disabled in polysip script workers');
  };
  const ctors = [
    Function,
    Object.getPrototypeOf(async function () {}).constructor,
    Object.getPrototypeOf(function* () {}).constructor,
    Object.getPrototypeOf(async function* () {}).constructor,
  ] as (new () => unknown)[];
  for (const C of ctors) {
    Object.defineProperty(C.prototype, 'constructor', { value: denied, writable: false });
  }
  const g = globalThis as Record<string, unknown>;
  // Pyodide's own code uses `Function.prototype…` through the global: keep that, refuse calls.
  const NoFunction = function Function(): never {
    return denied();
  };
  NoFunction.prototype = Function.prototype;
  Object.defineProperty(g, 'Function', { value: NoFunction, writable: false, configurable: false });
  for (const name of ['eval', 'fetch', 'WebSocket', 'BroadcastChannel', 'EventSource']) {
    Object.defineProperty(g, name, { value: undefined, writable: false, configurable: false });
  }
  const p = process as unknown as Record<string, unknown>;
  for (const name of [
    'getBuiltinModule',
    'binding',
    '_linkedBinding',
    'dlopen',
    'kill',
    '_kill',
    'reallyExit',
    'abort',
    'chdir',
    'setuid',
    'setgid',
    'seteuid',
    'setegid',
    'setgroups',
    'initgroups',
    'loadEnvFile',
    'report',
    'openStdin',
  ]) {
    try {
      Object.defineProperty(p, name, { value: undefined, writable: false, configurable: false });
    } catch {
      // non-configurable in this Node version: leave it
    }
  }
}

/** Emscripten's errno numbers (not Linux's): what a refused socket() returns to libc. */
const EMSCRIPTEN_EACCES = 2;
/** Node modules a script worker never needs once Pyodide is up: network, processes, threads. */
const DENIED_MODULES = new Set([
  'ws',
  'net',
  'tls',
  'dgram',
  'dns',
  'http',
  'https',
  'http2',
  'child_process',
  'cluster',
  'inspector',
  'worker_threads',
]);

interface EmscriptenNet {
  readonly FS: { readonly ErrnoError: new (errno: number) => Error };
  readonly SOCKFS: Record<string, unknown> & { websocket_sock_ops: Record<string, unknown> };
  readonly API: Record<string, unknown>;
}

/**
 * Closes the network at the host side of the guest boundary, whatever Python imports (socket,
 * urllib, http.client, asyncio, ctypes calling libc): every socket() syscall of the Emscripten
 * runtime ends in SOCKFS.createSocket, which in Node would open a WebSocket (a real TCP
 * connection) through the `ws` package. That entry, the peer/connect/listen operations behind
 * it and Pyodide's NodeSockFS installer are replaced by refusals that cannot be reassigned;
 * `require` of network and process modules fails in this thread; the `require` Pyodide leaves
 * on globalThis (fs, crypto, ws, child_process) is removed.
 */
function closeNetwork(py: PyodideAPI): void {
  const m = (py as unknown as { _module: EmscriptenNet })._module;
  const refuse = (): never => {
    throw new m.FS.ErrnoError(EMSCRIPTEN_EACCES);
  };
  const seal = (o: Record<string, unknown>, name: string, value: unknown): void => {
    Object.defineProperty(o, name, { value, writable: false, configurable: false });
  };
  seal(m.SOCKFS, 'createSocket', refuse);
  for (const op of ['createPeer', 'connect', 'listen', 'sendmsg', 'bind']) {
    seal(m.SOCKFS.websocket_sock_ops, op, refuse);
  }
  seal(m.API, 'initializeNodeSockFS', () =>
    Promise.reject(new Error('sockets are disabled in polysip script workers')),
  );
  const loader = Module as unknown as {
    _load: (request: string, parent: unknown, isMain: boolean) => unknown;
  };
  const load = loader._load;
  seal(
    loader as unknown as Record<string, unknown>,
    '_load',
    function (this: unknown, request: string, parent: unknown, isMain: boolean): unknown {
      const bare = request.startsWith('node:') ? request.slice(5) : request;
      if (DENIED_MODULES.has(bare) || DENIED_MODULES.has(bare.split('/')[0]!)) {
        throw new Error(`module '${request}' is not available in polysip script workers`);
      }
      return load.call(this, request, parent, isMain);
    },
  );
  seal(globalThis as unknown as Record<string, unknown>, 'require', undefined);
}

start().catch((e: unknown) => {
  post({
    t: 'loaded',
    result: JSON.stringify({
      error: `Python engine start failed: ${e instanceof Error ? e.message : String(e)}`,
      line: null,
      traceback: e instanceof Error ? (e.stack ?? '') : '',
    }),
    loadMs: 0,
    heap: 0,
  });
});
