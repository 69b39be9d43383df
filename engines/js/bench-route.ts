/**
 * Cost of one JS route making 10 KSR calls (int and string arguments), in µs per route.
 * Not a test: `node --import tsx engines/js/bench-route.ts [routes]`.
 */
import { BENCH_ROUTE, makeBenchRegistry, type BenchCtx } from '../../bench/route-fixture.ts';
import { loadJsScript, JsScript } from './index.ts';

type Ctx = BenchCtx;
const registry = makeBenchRegistry();
const source = BENCH_ROUTE.js;

const routes = Number(process.argv[2] ?? 200_000);
const t0 = performance.now();
const script = await loadJsScript<Ctx>({ file: 'bench.js', source, registry });
const firstMs = performance.now() - t0;
const ctx: Ctx = { n: 1 };

async function measure(count: number, fn = 'ksr_request_route'): Promise<number> {
  const t0 = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const out = await script.run(fn, ctx);
    if (out.kind !== 'returned') throw new Error(JSON.stringify(out));
  }
  const d = process.cpuUsage(t0);
  return (d.user + d.system) / count;
}

await measure(Math.min(routes, 20_000)); // warm-up
const results: number[] = [];
for (let r = 0; r < 5; r++) results.push(await measure(routes / 5));
results.sort((a, b) => a - b);
const empty: number[] = [];
for (let r = 0; r < 5; r++) empty.push(await measure(routes / 10, 'ksr_empty'));
empty.sort((a, b) => a - b);
process.stdout.write(
  `js 10-call route: median ${results[2]!.toFixed(2)} µs CPU per route (min ${results[0]!.toFixed(2)}, max ${results[4]!.toFixed(2)}; ${routes} routes)\n`,
);
process.stdout.write(`js empty route: median ${empty[2]!.toFixed(2)} µs CPU per route\n`);

// Instance creation and memory: 200 more instances of the same script in the shared module.
const n = 200;
const rss0 = process.memoryUsage().rss;
const c0 = performance.now();
const more = [];
for (let i = 0; i < n; i++)
  more.push(await loadJsScript<Ctx>({ file: 'bench.js', source, registry }));
const createMs = (performance.now() - c0) / n;
const rssPer = (process.memoryUsage().rss - rss0) / n / 1024;
process.stdout.write(
  `js instances: first ${firstMs.toFixed(1)} ms (module + script), then ${createMs.toFixed(2)} ms each, ~${rssPer.toFixed(0)} KiB RSS each (${n} instances)\n`,
);
for (const s of more) s.dispose();
script.dispose();
void JsScript;
