/**
 * Cost of one Lua route making 10 KSR calls (int and string arguments), in µs per route.
 * Not a test: `node --import tsx engines/lua/bench-route.ts [routes]`.
 */
import { ExportRegistry, int, str } from '../../core/api/registry.ts';
import { loadLuaScript } from './index.ts';

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
  { module: 't', name: 'flag', params: [], returns: 'bool', doc: '', impl: (c) => c.n > 0 },
  {
    module: 't',
    name: 'reply',
    params: [int('code'), str('reason')],
    returns: 'int',
    doc: '',
    impl: (c) => (c.n++, 1),
  },
  {
    module: 'pv',
    name: 'get',
    params: [str('name')],
    returns: 'xval',
    doc: '',
    impl: (_c, s) => (s === '$rm' ? 'INVITE' : null),
  },
  {
    module: '',
    name: 'is_method_in',
    params: [str('m')],
    returns: 'bool',
    doc: '',
    impl: (_c, m) => m === 'I',
  },
]);

const source = `
function ksr_request_route()
  local a = KSR.t.add(1, 2)                 -- 1
  local m = KSR.pv.get("$rm")               -- 2
  if KSR.is_method_in("I") then             -- 3
    a = KSR.t.add(a, 4)                     -- 4
  end
  local e = KSR.t.echo("sip:alice@example.com") -- 5
  if KSR.t.flag() then a = a + 1 end        -- 6
  local u = KSR.pv.get("$ru")               -- 7
  e = KSR.t.echo(m)                         -- 8
  a = KSR.t.add(a, #e)                      -- 9
  KSR.t.reply(200, "OK")                    -- 10
end
`;

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
