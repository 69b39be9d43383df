/**
 * Cost of one Lua route making 10 KSR calls (int and string arguments), in µs per route.
 * Not a test: `node --import tsx engines/lua/bench-route.ts [routes]`.
 */
import { BENCH_ROUTE, makeBenchRegistry, type BenchCtx } from '../../bench/route-fixture.ts';
import { loadLuaScript } from './index.ts';

type Ctx = BenchCtx;
const registry = makeBenchRegistry();
const source = BENCH_ROUTE.lua;

const routes = Number(process.argv[2] ?? 200_000);
const script = await loadLuaScript<Ctx>({ file: 'bench.lua', source, registry });
const ctx: Ctx = { n: 1 };

async function measure(count: number): Promise<number> {
  const t0 = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const out = await script.run('ksr_request_route', ctx);
    if (out.kind !== 'returned') throw new Error(JSON.stringify(out));
  }
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / count;
}

await measure(Math.min(routes, 20_000)); // warm-up
const results: number[] = [];
for (let r = 0; r < 5; r++) results.push(await measure(routes / 5));
results.sort((a, b) => a - b);
process.stdout.write(
  `lua 10-call route: median ${results[2]!.toFixed(2)} µs CPU per route (min ${results[0]!.toFixed(2)}, max ${results[4]!.toFixed(2)}; ${routes} routes)\n`,
);
script.dispose();
