/**
 * Cost of one Python route making 10 KSR calls through the worker channel: µs per route (wall
 * and main-thread CPU), routes/s, start-up ms (cold, then from the snapshot) and RSS per
 * instance. Not a test: `node --import tsx engines/python/bench-route.ts [routes] [instances]`.
 */
import { BENCH_ROUTE, makeBenchRegistry, type BenchCtx } from '../../bench/route-fixture.ts';
import type { ScriptInstance } from '../../core/api/script.ts';
import { loadPythonScript, PythonScript } from './index.ts';

type Ctx = BenchCtx;
const registry = makeBenchRegistry();
const source = BENCH_ROUTE.python;

const routes = Number(process.argv[2] ?? 5000);
const instances = Number(process.argv[3] ?? 4);
const rss = () => process.memoryUsage().rss / 2 ** 20;

const rss0 = rss();
let t0 = performance.now();
const script = (await loadPythonScript<Ctx>({
  file: 'bench.py',
  source,
  registry,
  limits: { cpuMs: 1000 },
})) as PythonScript<Ctx>;
const cold = performance.now() - t0;
const rss1 = rss();
const ctx: Ctx = { n: 1 };

async function measure(fn: string, count: number): Promise<{ wall: number; cpu: number }> {
  const c0 = process.cpuUsage();
  const w0 = performance.now();
  for (let i = 0; i < count; i++) {
    const out = await script.run(fn, ctx);
    if (out.kind !== 'returned') throw new Error(JSON.stringify(out));
  }
  const d = process.cpuUsage(c0);
  return { wall: ((performance.now() - w0) * 1000) / count, cpu: (d.user + d.system) / count };
}

await measure('ksr_request_route', Math.min(routes, 1000)); // warm-up
const results: { wall: number; cpu: number }[] = [];
for (let r = 0; r < 5; r++) results.push(await measure('ksr_request_route', routes / 5));
results.sort((a, b) => a.wall - b.wall);
const med = results[2]!;
const empty = await measure('ksr_empty', 2000);

// Concurrent routes on one instance queue: throughput with 50 in flight.
t0 = performance.now();
let done = 0;
await Promise.all(
  Array.from({ length: 50 }, async () => {
    while (done < routes) {
      done++;
      await script.run('ksr_request_route', ctx);
    }
  }),
);
const concurrentRps = (routes / (performance.now() - t0)) * 1000;

// More instances from the snapshot.
const extra: ScriptInstance<Ctx>[] = [];
const starts: number[] = [];
for (let i = 0; i < instances; i++) {
  t0 = performance.now();
  extra.push(await loadPythonScript<Ctx>({ file: `bench${i}.py`, source, registry }));
  starts.push(performance.now() - t0);
}
await Promise.all(extra.map((s) => s.run('ksr_request_route', { n: 1 })));
const rss2 = rss();
// All instances busy at once: the routes spread over the cores.
t0 = performance.now();
const all = [script, ...extra];
const per = Math.floor(routes / all.length);
await Promise.all(
  all.map(async (s) => {
    for (let i = 0; i < per; i++) await s.run('ksr_request_route', { n: 1 });
  }),
);
const parallelRps = ((per * all.length) / (performance.now() - t0)) * 1000;

const f = (n: number) => n.toFixed(1);
process.stdout.write(
  [
    `python 10-call route (worker + channel): median ${f(med.wall)} µs wall, ${f(med.cpu)} µs main-process CPU per route (min ${f(results[0]!.wall)}, max ${f(results[4]!.wall)}; ${routes} routes) → ${Math.round(1e6 / med.wall)} routes/s sequential`,
    `empty route (no KSR call): ${f(empty.wall)} µs wall → per KSR call ≈ ${f((med.wall - empty.wall) / 10)} µs`,
    `50 routes in flight on one instance: ${Math.round(concurrentRps)} routes/s; ${all.length} instances in parallel: ${Math.round(parallelRps)} routes/s`,
    `start-up: first instance (cold, makes the snapshot) ${Math.round(cold)} ms; from the snapshot ${starts.map((s) => Math.round(s)).join(', ')} ms`,
    `RSS: +${f(rss1 - rss0)} MB for the first instance (snapshot kept), +${f((rss2 - rss1) / instances)} MB per further instance`,
  ].join('\n') + '\n',
);
for (const s of all) s.dispose();
