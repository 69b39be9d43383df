/**
 * One ksr_request_route call per engine, the route making 10 KSR calls with int and string
 * arguments and results (bench/route-fixture.ts, written for each language). The KSR functions are trivial host functions, so the number is the engine's own
 * cost: entering the route, crossing into the host and back 10 times, returning.
 */
import type { ExportRegistry } from '../../core/api/registry.ts';
import type { ScriptInstance } from '../../core/api/script.ts';
import { loadJsScript } from '../../engines/js/index.ts';
import { loadLuaScript } from '../../engines/lua/index.ts';
import { loadPythonScript } from '../../engines/python/index.ts';
import { registerMicro } from '../micro.ts';
import { BENCH_ROUTE, makeBenchRegistry, type BenchCtx } from '../route-fixture.ts';

type Ctx = BenchCtx;
const makeRegistry = makeBenchRegistry;
const { lua: LUA, python: PYTHON, js: JS } = BENCH_ROUTE;

type Loader = (registry: ExportRegistry<Ctx>) => Promise<ScriptInstance<Ctx>>;

const ENGINES: ReadonlyArray<readonly [string, string, Loader]> = [
  [
    'lua',
    'Lua (fengari)',
    (registry) => loadLuaScript({ file: 'bench.lua', source: LUA, registry }),
  ],
  [
    'python',
    'Python (Pyodide in a worker thread; wall time on the SIP thread, waiting included)',
    (registry) => loadPythonScript({ file: 'bench.py', source: PYTHON, registry }),
  ],
  ['js', 'JS (QuickJS)', (registry) => loadJsScript({ file: 'bench.js', source: JS, registry })],
];

for (const [engine, what, load] of ENGINES) {
  let script: ScriptInstance<Ctx> | null = null;
  registerMicro({
    name: `engine.route.${engine}`,
    description: `one ksr_request_route with 10 KSR calls, ${what}`,
    async prepare() {
      script = await load(makeRegistry());
      const s = script;
      const ctx: Ctx = { n: 1 };
      const out = await s.run('ksr_request_route', ctx);
      if (out.kind !== 'returned') return { skip: `route did not return: ${JSON.stringify(out)}` };
      return () => s.run('ksr_request_route', ctx);
    },
    dispose() {
      script?.dispose();
      script = null;
    },
  });
}
