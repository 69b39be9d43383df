/**
 * Cost of one JS route making 10 KSR calls (int and string arguments), in µs per route.
 * Not a test: `node --import tsx engines/js/bench-route.ts [routes]`.
 */
import { ExportRegistry, int, str } from '../../core/api/registry.ts';
import { loadJsScript, JsScript } from './index.ts';

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
`;

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
