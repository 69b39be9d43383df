/**
 * The isolated placement answers pure reads of the message in the worker (memo and host
 * prefetch, engines/placement/pure.ts): what a route reads must be exactly what the same route
 * reads in-thread, after its own writes, across routes on different messages, and with the same
 * log lines; and the reads must really stop crossing.
 */
import test from 'ava';

import type { RouteContext } from '../core/api/context.ts';
import { ExportRegistry } from '../core/api/registry.ts';
import type { ScriptInstance } from '../core/api/script.ts';
import { loadJsScript } from '../engines/js/index.ts';
import { loadLuaScript } from '../engines/lua/index.ts';
import { IsolatedScript, loadIsolatedScript } from '../engines/placement/isolated.ts';
import { pureFunctionNames } from '../engines/placement/pure.ts';
import { builtinModules } from '../modules/index.ts';
import { makeCtx, type TestCtx } from '../modules/testkit.ts';

const registry = new ExportRegistry<RouteContext>();
for (const m of builtinModules) registry.defineAll(m.exports);

function message(user: string, opts: { from?: string; extra?: string } = {}): string {
  return [
    `INVITE sip:${user}@example.org:5070;transport=udp SIP/2.0`,
    'Via: SIP/2.0/UDP 192.0.2.10:5062;branch=z9hG4bK-1',
    `From: ${opts.from ?? '"Alice" <sip:alice@example.com>;tag=f1'}`,
    'To: <sip:bob@example.org>',
    `Call-ID: c-${user}@192.0.2.10`,
    'CSeq: 7 INVITE',
    'Max-Forwards: 70',
    'X-Foo: one',
    'User-Agent: tester',
    ...(opts.extra === undefined ? [] : [opts.extra]),
    'Content-Length: 0',
    '',
    '',
  ].join('\n');
}

// Every read is made before and after the writes that change it; the output is logged once, at
// the end, because a log call is itself a call that is not a pure read.
const LUA = `
local function s(v) if v == nil then return "nil" end return tostring(v) end
function ksr_request_route()
  local o = {}
  local function r(v) o[#o + 1] = s(v) end
  r(KSR.pv.get("$ru")) r(KSR.pv.get("$rU")) r(KSR.pv.get("$rd")) r(KSR.pv.get("$rp"))
  r(KSR.pv.get("$fU")) r(KSR.pv.get("$fn")) r(KSR.pv.get("$ci")) r(KSR.is_INVITE())
  r(KSR.hdr.is_present("X-Foo")) r(KSR.hdr.get("X-Foo")) r(KSR.pv.get("$hdr(X-Foo)"))
  r(KSR.corex.has_ruri_user()) r(KSR.is_myself_ruri()) r(KSR.isdsturiset())
  KSR.pv.sets("$ru", "sip:carol@127.0.0.1")
  r(KSR.pv.get("$ru")) r(KSR.pv.get("$rU")) r(KSR.pv.get("$rd")) r(KSR.pv.get("$rp"))
  r(KSR.is_myself_ruri())
  KSR.setuser("dave")
  r(KSR.pv.get("$rU")) r(KSR.pv.get("$ru"))
  KSR.hdr.remove("X-Foo")
  r(KSR.hdr.is_present("X-Foo")) r(KSR.hdr.get("X-Foo")) r(KSR.pv.get("$hdr(X-Foo)"))
  KSR.pv.sets("$fU", "eve")
  r(KSR.pv.get("$fU")) r(KSR.pv.get("$fu"))
  KSR.setdsturi("sip:127.0.0.1:5080")
  r(KSR.isdsturiset()) r(KSR.pv.get("$du"))
  r(KSR.pv.get("$fd")) r(KSR.pv.get("$fd"))
  r(KSR.hdr.is_present("bad name")) r(KSR.hdr.is_present("bad name"))
  KSR.info(table.concat(o, " "))
end
`;

const JS = `
function s(v) { return v === null || v === undefined ? "nil" : String(v); }
function ksr_request_route() {
  const o = [];
  const r = (v) => o.push(s(v));
  r(KSR.pv.get("$ru")); r(KSR.pv.get("$rU")); r(KSR.pv.get("$rd")); r(KSR.pv.get("$rp"));
  r(KSR.pv.get("$fU")); r(KSR.pv.get("$fn")); r(KSR.pv.get("$ci")); r(KSR.is_INVITE());
  r(KSR.hdr.is_present("X-Foo")); r(KSR.hdr.get("X-Foo")); r(KSR.pv.get("$hdr(X-Foo)"));
  r(KSR.corex.has_ruri_user()); r(KSR.is_myself_ruri()); r(KSR.isdsturiset());
  KSR.pv.sets("$ru", "sip:carol@127.0.0.1");
  r(KSR.pv.get("$ru")); r(KSR.pv.get("$rU")); r(KSR.pv.get("$rd")); r(KSR.pv.get("$rp"));
  r(KSR.is_myself_ruri());
  KSR.setuser("dave");
  r(KSR.pv.get("$rU")); r(KSR.pv.get("$ru"));
  KSR.hdr.remove("X-Foo");
  r(KSR.hdr.is_present("X-Foo")); r(KSR.hdr.get("X-Foo")); r(KSR.pv.get("$hdr(X-Foo)"));
  KSR.pv.sets("$fU", "eve");
  r(KSR.pv.get("$fU")); r(KSR.pv.get("$fu"));
  KSR.setdsturi("sip:127.0.0.1:5080");
  r(KSR.isdsturiset()); r(KSR.pv.get("$du"));
  r(KSR.pv.get("$fd")); r(KSR.pv.get("$fd"));
  r(KSR.hdr.is_present("bad name")); r(KSR.hdr.is_present("bad name"));
  KSR.info(o.join(" "));
}
`;

/** Runs the route on each message in turn; what each route logged. */
async function runAll(s: ScriptInstance<RouteContext>, msgs: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const raw of msgs) {
    const ctx: TestCtx = makeCtx(raw);
    const outcome = await s.run('ksr_request_route', ctx);
    out.push(
      `${outcome.kind} ${ctx.core.logs.map((l) => `${l.level}:${l.text.trim()}`).join(' | ')}`,
    );
  }
  return out;
}

const MSGS = [
  message('alice1'),
  message('bob2'),
  message('carl3', { from: '<sip:carl@example.net>;tag=f3' }),
  message('dan4'),
  message('erin5', { extra: 'X-Foo: two' }),
];

for (const engine of ['lua', 'js'] as const) {
  const source = engine === 'lua' ? LUA : JS;
  const file = `/virtual/memo.${engine}`;

  test.serial(
    `${engine}: isolated reads equal in-thread reads, after writes and across messages`,
    async (t) => {
      const inThread =
        engine === 'lua'
          ? await loadLuaScript({ file, source, registry })
          : await loadJsScript({ file, source, registry });
      const expected = await runAll(inThread, [...MSGS, ...MSGS]);
      inThread.dispose();
      // The first message read as written, then as the route's own writes changed it; a read
      // that logs (a header name that is not a token) logs at each call.
      t.is(
        expected[0],
        'returned err:hdr.is_present: invalid header name "bad name" | ' +
          'err:hdr.is_present: invalid header name "bad name" | ' +
          'info:sip:alice1@example.org:5070;transport=udp alice1 example.org 5070 alice ' +
          '"Alice" c-alice1@192.0.2.10 true 1 one one 1 false false ' +
          'sip:carol@127.0.0.1 carol 127.0.0.1 5060 true dave sip:dave@127.0.0.1 ' +
          '-1 nil nil eve sip:eve@example.com true sip:127.0.0.1:5080 example.com example.com -1 -1',
      );

      const iso = (await loadIsolatedScript({
        file,
        source,
        registry,
        engine,
      })) as IsolatedScript<RouteContext>;
      try {
        // Twice over: the second pass runs on what the host learned and computes ahead.
        t.deepEqual(await runAll(iso, [...MSGS, ...MSGS]), expected);
      } finally {
        iso.dispose();
      }
    },
  );

  test.serial(`${engine}: pure reads stop crossing once learned; writes still cross`, async (t) => {
    const iso = (await loadIsolatedScript({
      file,
      source,
      registry,
      engine,
    })) as IsolatedScript<RouteContext>;
    try {
      await runAll(iso, [message('warm1'), message('warm2')]);
      const before = iso.crossings;
      await runAll(iso, [message('count')]);
      // The route makes 39 KSR calls, 33 of them pure reads; only its 6 writes (sets $ru,
      // setuser, hdr.remove, sets $fU, setdsturi, info) and the 2 reads that log cross now.
      t.is(iso.crossings - before, 8);
    } finally {
      iso.dispose();
    }
  });
}

test('every function the purity table names exists in the built-in modules', (t) => {
  const declared = new Set(
    registry.list().map((d) => (d.module === '' ? d.name : `${d.module}.${d.name}`)),
  );
  const missing = pureFunctionNames().filter((n) => !declared.has(n));
  t.deepEqual(missing, []);
  // None of them is asynchronous or returns nothing: a pure read answers with a value.
  for (const n of pureFunctionNames()) {
    const [mod, name] = n.includes('.') ? n.split('.') : ['', n];
    t.not(registry.get(mod!, name!)?.returns, 'void', n);
  }
});
