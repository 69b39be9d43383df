/**
 * The worker side of an isolated script instance: the in-thread engine (Lua or JS) loaded
 * against a registry whose implementations forward every KSR call to the main thread, where
 * the real implementation runs with the route's ctx. Started by `isolated.ts` through
 * `worker-boot.mjs`. The guest's ctx here is only the route id.
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { RouteExit } from '../../core/api/control.ts';
import { ExportRegistry } from '../../core/api/registry.ts';
import { ScriptLoadError, type RouteOutcome, type ScriptInstance } from '../../core/api/script.ts';
import { HostClient } from '../isolate/channel.ts';
import { loadJsScript } from '../js/index.ts';
import { loadLuaScript } from '../lua/index.ts';
import {
  ANSWER_EXIT,
  ANSWER_OK,
  ANSWER_PENDING,
  STATE_BEAT,
  STATE_IN_CALL,
  STATE_CURRENT,
  STATE_STARTED,
  type FromWorker,
  type IsolatedInit,
  type ToWorker,
} from './protocol.ts';

const init = workerData as IsolatedInit;
const port = parentPort!;
const state = new Int32Array(init.state);
const client = new HostClient(init.channel, init.port as MessagePort, init.hostTimeoutMs);

function post(m: FromWorker): void {
  port.postMessage(m);
}

function setCurrent(id: number): void {
  Atomics.store(state, STATE_CURRENT, id);
}

// The watchdog's sign of life: a route that never yields the thread stops it.
setInterval(() => Atomics.add(state, STATE_BEAT, 1), init.beatMs).unref();

// Keeps the event loop alive until the port listener below does. Without it, while the engine
// awaits its wasm compilation the loop has nothing to wait for, so Node drains the platform
// (NodePlatform::DrainTasks), which runs the rest of this module and then blocks until every
// background task ends, V8's TurboFan tier-up of QuickJS included: on a busy machine that holds
// the thread for seconds, no beat, no `run` message, and the watchdog ends the worker again
// and again (the "JS isolated hangs after load" bug).
const keepAlive = setInterval(() => undefined, 60_000);

interface Waiting {
  readonly rid: number;
  readonly resolve: (v: unknown) => void;
  readonly reject: (e: unknown) => void;
}
const waiting = new Map<number, Waiting>();

function forward(rid: number, fnIndex: number, args: (string | number)[]): unknown {
  client.routeId = rid;
  setCurrent(rid);
  Atomics.store(state, STATE_IN_CALL, 1);
  let answer: [number, unknown];
  try {
    // A host failure throws HostCallError here; the engine reports its message as in-thread.
    answer = client.callHostSync(fnIndex, args) as [number, unknown];
  } finally {
    Atomics.store(state, STATE_IN_CALL, 0);
  }
  const [tag, value] = answer;
  if (tag === ANSWER_OK) return value === null ? undefined : value;
  if (tag === ANSWER_EXIT) throw new RouteExit(value === true);
  if (tag !== ANSWER_PENDING) throw new Error(`unexpected host answer ${tag}`);
  // The implementation returned a Promise: the engine suspends the route and this thread is
  // free for other routes until the main thread settles it.
  return new Promise((resolve, reject) => waiting.set(value as number, { rid, resolve, reject }));
}

const WARM = { lua: 'local x = 1', js: 'var x = 1;' } as const;

const registry = new ExportRegistry<number>();
init.exports.forEach((shape, i) => {
  registry.define({ ...shape, impl: (rid, ...args) => forward(rid, i, args) as never });
});

const opts = {
  file: init.file,
  source: init.source,
  registry,
  limits: init.limits,
  version: init.version,
  print: (text: string) => post({ t: 'print', text }),
  ...(init.entryPoints === undefined ? {} : { entryPoints: init.entryPoints }),
};

// Not top-level await: worker-boot.mjs loads this file through tsx's CommonJS hook.
async function main(): Promise<void> {
  // Warm the engine (QuickJS compiles its wasm module) before the top-level budget starts.
  const warm = { ...opts, file: init.file, source: WARM[init.engine], entryPoints: [] };
  (init.engine === 'lua' ? await loadLuaScript(warm) : await loadJsScript(warm)).dispose();

  let script: ScriptInstance<number>;
  post({ t: 'starting' });
  try {
    script = init.engine === 'lua' ? await loadLuaScript(opts) : await loadJsScript(opts);
  } catch (e) {
    if (e instanceof ScriptLoadError) {
      const prefix = `${e.where.file}${e.where.line === null ? '' : `:${e.where.line}`}: `;
      const message = e.message.startsWith(prefix) ? e.message.slice(prefix.length) : e.message;
      post({ t: 'loadError', message, where: e.where });
    } else {
      post({
        t: 'loadError',
        message: e instanceof Error ? e.message : String(e),
        where: { file: init.file, line: null },
      });
    }
    process.exit(0);
  }

  // hasFunction must answer synchronously on the main thread: check every identifier the source
  // mentions (a route name is always written somewhere in it, if only as a string).
  const functions = [...new Set(init.source.match(/[A-Za-z_$][A-Za-z0-9_$]*/g) ?? [])].filter((n) =>
    script.hasFunction(n),
  );
  post({ t: 'loaded', functions, heapBytes: process.memoryUsage().heapUsed });

  port.on('message', (m: ToWorker) => {
    if (m.t === 'run') {
      Atomics.store(state, STATE_STARTED, m.seq);
      setCurrent(m.id);
      const id = m.id;
      script.run(m.fn, id, m.arg).then(
        (outcome) => post({ t: 'done', id, outcome }),
        (e: unknown) => post({ t: 'done', id, outcome: internalError(e) }),
      );
    } else {
      const w = waiting.get(m.token);
      if (w === undefined) return;
      waiting.delete(m.token);
      setCurrent(w.rid);
      if (m.tag === ANSWER_OK) w.resolve(m.value === null ? undefined : m.value);
      else if (m.tag === ANSWER_EXIT) w.reject(new RouteExit(m.value === true));
      else w.reject(new Error(String(m.value)));
    }
  });
  clearInterval(keepAlive);

  function internalError(e: unknown): RouteOutcome {
    return {
      kind: 'error',
      message: `internal engine error: ${e instanceof Error ? e.message : String(e)}`,
      where: { file: init.file, line: null },
      traceback: '',
    };
  }
}

void main();
