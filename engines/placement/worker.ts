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
import { memoKey, pureTest } from './pure.ts';
import {
  ANSWER_EXIT,
  ANSWER_OK,
  ANSWER_PENDING,
  ANSWER_PURE,
  STATE_BEAT,
  STATE_IN_CALL,
  STATE_CURRENT,
  STATE_STARTED,
  type FromWorker,
  type IsolatedInit,
  type Prefetch,
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

/**
 * Answers to pure reads the route may reuse, by route: filled from the host's prefetch and
 * `ANSWER_PURE` answers, emptied at each call that is not a pure read (it may change what they
 * read). Another route of this worker only runs while this one is suspended, which is always
 * inside a call that emptied it.
 */
const memos = new Map<number, Map<string, unknown>>();
/** The purity test of each KSR function by host index (pure.ts, shared with the host). */
const pure = init.exports.map((e) => pureTest(e.module, e.name));

function seed(memo: Map<string, unknown>, pre: Prefetch): void {
  for (let i = 0; i + 1 < pre.length; i += 2) memo.set(pre[i] as string, pre[i + 1]);
}

/** Calls that are not pure reads made so far (the host counts those it handled). */
let calls = 0;

function forward(rid: number, fnIndex: number, args: (string | number)[]): unknown {
  const test = pure[fnIndex];
  const isPure = test !== null && test !== undefined && test(args);
  let memo = memos.get(rid);
  let key = '';
  if (isPure) {
    key = memoKey(fnIndex, args);
    if (memo !== undefined) {
      const v = memo.get(key);
      if (v !== undefined || memo.has(key)) return v === null ? undefined : v;
    }
  } else {
    calls++;
    memo?.clear();
  }
  client.routeId = rid;
  setCurrent(rid);
  Atomics.store(state, STATE_IN_CALL, 1);
  let answer: [number, unknown, Prefetch?];
  try {
    // A host failure throws HostCallError here; the engine reports its message as in-thread.
    answer = client.callHostSync(fnIndex, args) as [number, unknown, Prefetch?];
  } finally {
    Atomics.store(state, STATE_IN_CALL, 0);
  }
  const [tag, value, pre] = answer;
  if (tag === ANSWER_PURE) {
    if (memo === undefined) memos.set(rid, (memo = new Map()));
    memo.set(key, value);
    return value === null ? undefined : value;
  }
  if (tag === ANSWER_OK) {
    if (pre !== undefined && pre !== null) {
      if (memo === undefined) memos.set(rid, (memo = new Map()));
      seed(memo, pre);
    }
    return value === null ? undefined : value;
  }
  if (tag === ANSWER_EXIT) throw new RouteExit(value === true);
  if (tag !== ANSWER_PENDING) throw new Error(`unexpected host answer ${tag}`);
  // The implementation returned a Promise: the engine suspends the route and this thread is
  // free for other routes until the main thread settles it. Whatever runs meanwhile may change
  // the message, so nothing read before is reused.
  memo?.clear();
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

// Not top-level await: unbuilt (tests), worker-boot.mjs loads this file through tsx's CJS hook.
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
      // The host's reads are the route's start state only if no call ran since it made them.
      if (m.pre !== null && m.calls === calls) {
        const memo = new Map<string, unknown>();
        seed(memo, m.pre);
        memos.set(id, memo);
      }
      script.run(m.fn, id, m.arg).then(
        (outcome) => {
          memos.delete(id);
          post({ t: 'done', id, outcome });
        },
        (e: unknown) => {
          memos.delete(id);
          post({ t: 'done', id, outcome: internalError(e) });
        },
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
