/**
 * Cost of one route making 10 KSR calls, in-thread vs isolated (worker + host channel), in µs
 * per route (wall time, sequential routes). Not a test:
 * `node --import tsx engines/placement/bench-route.ts [routes]`.
 */
import { ExportRegistry, int, str } from '../../core/api/registry.ts';
import type { ScriptInstance } from '../../core/api/script.ts';
import { loadJsScript } from '../js/index.ts';
import { loadLuaScript } from '../lua/index.ts';
import { loadIsolatedScript } from './isolated.ts';

interface Ctx {
  n: number;
}

const registry = new ExportRegistry<Ctx>();
registry.defineAll([
  {
    module: 't',
    name: 'add',
    params: [int('a'), int('b')],
    returns: 'int',
    doc: '',
    impl: (_c, a, b) => (a as number) + (b as number),
  },
  { module: 't', name: 'echo', params: [str('s')], returns: 'xval', doc: '', impl: (_c, s) => s },
  { module: 't', name: 'bump', params: [], returns: 'int', doc: '', impl: (c) => ++c.n },
]);

const LUA = `
function ksr_request_route()
  local x = 0
  for i = 1, 4 do x = x + KSR.t.add(i, 1) end
  for i = 1, 3 do KSR.t.echo('sip:alice@example.com') end
  for i = 1, 3 do KSR.t.bump() end
end`;
const JS = `
function ksr_request_route() {
  let x = 0;
  for (let i = 1; i <= 4; i++) x += KSR.t.add(i, 1);
  for (let i = 1; i <= 3; i++) KSR.t.echo('sip:alice@example.com');
  for (let i = 1; i <= 3; i++) KSR.t.bump();
}`;

async function measure(s: ScriptInstance<Ctx>, routes: number): Promise<number> {
  const ctx = { n: 0 };
  for (let i = 0; i < Math.min(200, routes); i++) await s.run('ksr_request_route', ctx);
  ctx.n = 0;
  const t0 = performance.now();
  for (let i = 0; i < routes; i++) await s.run('ksr_request_route', ctx);
  const us = ((performance.now() - t0) * 1000) / routes;
  if (ctx.n !== routes * 3) throw new Error(`expected ${routes * 3} calls, got ${ctx.n}`);
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
