/**
 * Escape corpus, Lua, in both placements: every attack runs, reaches the boundary (the test
 * checks the error the script got, or the worker being replaced), fails, and a normal route
 * still works afterwards.
 */
import test from 'ava';
import type { ScriptInstance } from '../../core/api/script.ts';
import { loadLuaScript } from '../../engines/lua/index.ts';
import { toyCtx, toyRegistry, type ToyCtx } from '../../engines/lua/toy-registry.ts';
import { IsolatedScript, loadIsolatedScript } from '../../engines/placement/isolated.ts';

const FILE = '/virtual/escape.lua';

type Placement = 'in-thread' | 'isolated';

function load(placement: Placement, source: string, cpuMs = 100, memoryBytes = 32 << 20) {
  const opts = { file: FILE, source, registry: toyRegistry(), limits: { cpuMs, memoryBytes } };
  return placement === 'in-thread'
    ? loadLuaScript<ToyCtx>(opts)
    : loadIsolatedScript<ToyCtx>({ ...opts, engine: 'lua' });
}

const HEALTHY = `function healthy() KSR.log('ok ' .. KSR.t.add(20, 22)) end\n`;

async function assertServes(t: import('ava').ExecutionContext, s: ScriptInstance<ToyCtx>) {
  const ctx = toyCtx();
  t.deepEqual(await s.run('healthy', ctx), { kind: 'returned' });
  t.deepEqual(ctx.log, ['ok 42']);
}

/** Each attack runs under pcall; the script logs 'ALLOWED: …' or the error it got. */
const ATTACKS: Record<string, [string, RegExp]> = {
  'io.open': [`return io.open('/etc/passwd')`, /global 'io'/],
  dofile: [`return dofile('/etc/passwd')`, /global 'dofile'/],
  loadfile: [`return loadfile('/etc/passwd')`, /global 'loadfile'/],
  'require of a host file': [
    `return require('../../etc/passwd')`,
    /module|not found|outside|require/i,
  ],
  'os.execute': [`return os.execute('id')`, /field 'execute'|global 'os'/],
  'io.popen': [`return io.popen('id')`, /global 'io'/],
  'os.getenv': [`return os.getenv('HOME')`, /field 'getenv'|global 'os'/],
  'require socket': [`return require('socket')`, /module|not found|require/i],
  'package.loadlib': [`return package.loadlib('/tmp/x.cjs', 'f')`, /global 'package'/],
  'debug.getregistry': [`return debug.getregistry()`, /global 'debug'/],
  'load of bytecode': [
    `local f, m = load(string.char(27) .. 'LuaS' .. string.rep('x', 32)); if f then return 'LOADED' end; error(m)`,
    /binary|text/i,
  ],
  'load of bytecode in binary mode': [
    `local f, m = load(string.char(27) .. 'LuaS' .. string.rep('x', 32), 'x', 'b'); if f then return 'LOADED' end; error(m)`,
    /binary|text|mode/i,
  ],
  'string.dump': [`return string.dump(print)`, /nil value|dump/],
  'collectgarbage count': [
    `return collectgarbage('count') > 0 and error('counts host memory') or 'zero'`,
    /ALLOWED: zero|nil value/,
  ],
  'metatable of a KSR function': [`return getmetatable(KSR.t.add).__index`, /index a nil value/],
  'field of a KSR function': [`return KSR.t.add.constructor`, /index a function value/],
  'host error object': [
    `local ok, e = pcall(KSR.t.boom); return type(e) == 'string' and error('string: ' .. e) or e.constructor`,
    /string: .*KSR\.t\.boom: kaboom/,
  ],
};

for (const placement of ['in-thread', 'isolated'] as const) {
  test(`lua ${placement}: host reach attempts fail at the boundary`, async (t) => {
    const names = Object.keys(ATTACKS);
    const fns = names
      .map((n, i) => `ATTACKS[${i + 1}] = function()\n${ATTACKS[n]![0]}\nend`)
      .join('\n');
    const source = `${HEALTHY}ATTACKS = {}\n${fns}
function ksr_request_route()
  for i = 1, #ATTACKS do
    local ok, e = pcall(ATTACKS[i])
    if ok then KSR.log('ALLOWED: ' .. tostring(e)) else KSR.log(tostring(e)) end
  end
end`;
    const s = await load(placement, source, 2000);
    const ctx = toyCtx();
    t.deepEqual(await s.run('ksr_request_route', ctx), { kind: 'returned' });
    names.forEach((n, i) => {
      const got = ctx.log[i] ?? '(nothing recorded)';
      t.regex(got, ATTACKS[n]![1], `${n}: ${got}`);
      if (n !== 'collectgarbage count') t.false(got.startsWith('ALLOWED'), `${n}: ${got}`);
    });
    await assertServes(t, s);
    s.dispose();
  });

  test(`lua ${placement}: tenants do not see each other's state`, async (t) => {
    const src = `${HEALTHY}
function ksr_request_route()
  SECRET = 'tenant-a'
  getmetatable('').__index.evil = function() return 'pwned' end
  string.shared = 'a'
  KSR.log(tostring(SECRET) .. ' ' .. tostring(('').evil and ('').evil()))
end
function peek()
  KSR.log(tostring(SECRET) .. ' ' .. tostring(string.shared) .. ' ' .. tostring(('').evil))
end`;
    const a = await load(placement, src);
    const b = await load(placement, src);
    const ca = toyCtx();
    t.deepEqual(await a.run('ksr_request_route', ca), { kind: 'returned' });
    t.deepEqual(ca.log, ['tenant-a pwned'], 'the attack ran in tenant A');
    const cb = toyCtx();
    t.deepEqual(await b.run('peek', cb), { kind: 'returned' });
    t.deepEqual(cb.log, ['nil nil nil']);
    await assertServes(t, b);
    a.dispose();
    b.dispose();
  });

  test(`lua ${placement}: endless loops, also inside pcall and xpcall, are aborted`, async (t) => {
    const src = `${HEALTHY}
function plain() while true do end end
function in_pcall() while true do pcall(function() while true do end end) end end
function in_xpcall() xpcall(function() while true do end end, function() while true do end end) end
function in_coroutine() local co = coroutine.create(function() while true do end end) coroutine.resume(co) end
function ksr_request_route() end
function recurse() local function f(n) return 1 + f(n + 1) end return f(1) end`;
    const s = await load(placement, src, 50);
    for (const fn of ['plain', 'in_pcall', 'in_xpcall', 'in_coroutine']) {
      const t0 = performance.now();
      const out = await s.run(fn, toyCtx());
      t.like(out, { kind: 'aborted', reason: 'cpu' }, fn);
      t.true(performance.now() - t0 < 3000, fn);
      await assertServes(t, s);
    }
    // Deep recursion: a stack overflow error, or the budget ends it first.
    const deep = await s.run('recurse', toyCtx());
    t.true(
      (deep.kind === 'error' && /stack overflow/.test(deep.message)) || deep.kind === 'aborted',
      JSON.stringify(deep),
    );
    await assertServes(t, s);
    s.dispose();
  });
}

test('lua isolated: a pathological pattern match is stopped by ending the worker', async (t) => {
  const src = `${HEALTHY}
function ksr_request_route()
  KSR.log('matching')
  return string.find(string.rep('a', 28), string.rep('a?', 28) .. string.rep('a', 28) .. 'b')
end`;
  const s = (await load('isolated', src, 50)) as IsolatedScript<ToyCtx>;
  const ctx = toyCtx();
  const t0 = performance.now();
  t.like(await s.run('ksr_request_route', ctx), { kind: 'aborted', reason: 'cpu' });
  t.true(performance.now() - t0 < 3000);
  t.deepEqual(ctx.log, ['matching'], 'the match started');
  t.is(s.spawns, 2, 'the worker was terminated and respawned');
  await assertServes(t, s);
  s.dispose();
});

test('lua isolated: a memory bomb ends only its worker', async (t) => {
  const src = `${HEALTHY}
function ksr_request_route()
  KSR.log('allocating')
  local t, i = {}, 0
  while true do i = i + 1; t[i] = { i, tostring(i), {} } end
end`;
  const s = (await load('isolated', src, 60_000, 16 << 20)) as IsolatedScript<ToyCtx>;
  const ctx = toyCtx();
  t.like(await s.run('ksr_request_route', ctx), { kind: 'aborted', reason: 'memory' });
  t.deepEqual(ctx.log, ['allocating']);
  t.is(s.spawns, 2, 'the worker died and was replaced');
  await assertServes(t, s);
  s.dispose();
});
