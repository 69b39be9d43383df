/**
 * The route every engine benchmark measures: ksr_request_route making 10 KSR calls with int
 * and string arguments and results, written once per language, over trivial host functions
 * so the number is the engine's own cost. `ksr_empty` measures entering a route alone.
 * Used by bench/micro/engines.ts and the engines' standalone engines/<engine>/bench-route.ts.
 */
import { ExportRegistry, int, str } from '../core/api/registry.ts';

export interface BenchCtx {
  n: number;
}

export function makeBenchRegistry(): ExportRegistry<BenchCtx> {
  const registry = new ExportRegistry<BenchCtx>();
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

export const BENCH_ROUTE = {
  lua: `
function ksr_request_route()
  local a = KSR.t.add(1, 2)                     -- 1
  local m = KSR.pv.get("$rm")                   -- 2
  if KSR.is_method_in("I") then                 -- 3
    a = KSR.t.add(a, 4)                         -- 4
  end
  local e = KSR.t.echo("sip:alice@example.com") -- 5
  if KSR.t.flag() then a = a + 1 end            -- 6
  local u = KSR.pv.get("$ru")                   -- 7
  e = KSR.t.echo(m)                             -- 8
  a = KSR.t.add(a, #e)                          -- 9
  KSR.t.reply(200, "OK")                        -- 10
end
function ksr_empty() end
`,
  python: `
import KSR

def ksr_request_route():
    a = KSR.t.add(1, 2)                       # 1
    m = KSR.pv.get("$rm")                     # 2
    if KSR.is_method_in("I"):                 # 3
        a = KSR.t.add(a, 4)                   # 4
    e = KSR.t.echo("sip:alice@example.com")   # 5
    if KSR.t.flag():                          # 6
        a = a + 1
    u = KSR.pv.get("$ru")                     # 7
    e = KSR.t.echo(m)                         # 8
    a = KSR.t.add(a, len(e))                  # 9
    KSR.t.reply(200, "OK")                    # 10

def ksr_empty():
    pass
`,
  js: `
function ksr_request_route() {
  let a = KSR.t.add(1, 2);                        // 1
  const m = KSR.pv.get("$rm");                    // 2
  if (KSR.is_method_in("I")) {                    // 3
    a = KSR.t.add(a, 4);                          // 4
  }
  let e = KSR.t.echo("sip:alice@example.com");    // 5
  if (KSR.t.flag()) a = a + 1;                    // 6
  const u = KSR.pv.get("$ru");                    // 7
  e = KSR.t.echo(m);                              // 8
  a = KSR.t.add(a, e.length);                     // 9
  KSR.t.reply(200, "OK");                         // 10
}
function ksr_empty() {}
`,
} as const;
