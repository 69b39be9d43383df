/**
 * Cost of one route making 10 KSR calls, in-thread vs isolated (worker + host channel), in µs
 * per route (wall time, sequential routes). Not a test:
 * `node --import tsx engines/placement/bench-route.ts [routes]`.
 */
import type { ScriptInstance } from '../../core/api/script.ts';
import { BENCH_ROUTE, makeBenchRegistry, type BenchCtx } from '../../bench/route-fixture.ts';
import { loadJsScript } from '../js/index.ts';
import { loadLuaScript } from '../lua/index.ts';
import { loadIsolatedScript } from './isolated.ts';

// The same route and host functions as every other engine benchmark (bench/route-fixture.ts).
type Ctx = BenchCtx;
const registry = makeBenchRegistry();
const LUA = BENCH_ROUTE.lua;
const JS = BENCH_ROUTE.js;

async function measure(s: ScriptInstance<Ctx>, routes: number): Promise<number> {
  const ctx: Ctx = { n: 0 };
  for (let i = 0; i < Math.min(200, routes); i++) await s.run('ksr_request_route', ctx);
  ctx.n = 0;
  const t0 = performance.now();
  for (let i = 0; i < routes; i++) await s.run('ksr_request_route', ctx);
  const us = ((performance.now() - t0) * 1000) / routes;
  // KSR.t.reply counts once per route: every route ran to its end.
  if (ctx.n !== routes) throw new Error(`expected ${routes} routes, got ${ctx.n}`);
  s.dispose();
  return us;
}

const routes = Number(process.argv[2] ?? 2000);
const rows: [string, number][] = [];
rows.push([
  'lua in-thread',
  await measure(await loadLuaScript({ file: '/b.lua', source: LUA, registry }), routes),
]);
rows.push([
  'lua isolated',
  await measure(
    await loadIsolatedScript({ file: '/b.lua', source: LUA, registry, engine: 'lua' }),
    routes,
  ),
]);
rows.push([
  'js in-thread',
  await measure(await loadJsScript({ file: '/b.js', source: JS, registry }), routes),
]);
rows.push([
  'js isolated',
  await measure(
    await loadIsolatedScript({ file: '/b.js', source: JS, registry, engine: 'js' }),
    routes,
  ),
]);
for (const [name, us] of rows)
  console.log(`${name.padEnd(16)} ${us.toFixed(1)} µs/route (10 KSR calls)`);
