/**
 * One ksr_request_route call per engine, the route making 10 KSR calls with int and string
 * arguments and results (the same route as engines/<engine>/bench-route.ts, written for each
 * language). The KSR functions are trivial host functions, so the number is the engine's own
 * cost: entering the route, crossing into the host and back 10 times, returning.
 */
import { ExportRegistry, int, str } from '../../core/api/registry.ts';
import type { ScriptInstance } from '../../core/api/script.ts';
import { loadJsScript } from '../../engines/js/index.ts';
import { loadLuaScript } from '../../engines/lua/index.ts';
import { loadPythonScript } from '../../engines/python/index.ts';
import { registerMicro } from '../micro.ts';

interface Ctx {
  n: number;
}

function makeRegistry(): ExportRegistry<Ctx> {
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
  return registry;
}

const LUA = `
function ksr_request_route()
  local a = KSR.t.add(1, 2)
  local m = KSR.pv.get("$rm")
  if KSR.is_method_in("I") then
    a = KSR.t.add(a, 4)
  end
  local e = KSR.t.echo("sip:alice@example.com")
  if KSR.t.flag() then a = a + 1 end
  local u = KSR.pv.get("$ru")
  e = KSR.t.echo(m)
  a = KSR.t.add(a, #e)
  KSR.t.reply(200, "OK")
end
`;

const PYTHON = `
import KSR

def ksr_request_route():
    a = KSR.t.add(1, 2)
    m = KSR.pv.get("$rm")
    if KSR.is_method_in("I"):
        a = KSR.t.add(a, 4)
    e = KSR.t.echo("sip:alice@example.com")
    if KSR.t.flag():
        a = a + 1
    u = KSR.pv.get("$ru")
    e = KSR.t.echo(m)
    a = KSR.t.add(a, len(e))
    KSR.t.reply(200, "OK")
`;

const JS = `
function ksr_request_route() {
  let a = KSR.t.add(1, 2);
  const m = KSR.pv.get("$rm");
  if (KSR.is_method_in("I")) {
    a = KSR.t.add(a, 4);
  }
  let e = KSR.t.echo("sip:alice@example.com");
  if (KSR.t.flag()) a = a + 1;
  const u = KSR.pv.get("$ru");
  e = KSR.t.echo(m);
  a = KSR.t.add(a, e.length);
  KSR.t.reply(200, "OK");
}
`;

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
