import test from 'ava';
import { ScriptLoadError, type RouteOutcome } from '../../core/api/script.ts';
import { loadLuaScript } from './index.ts';
import { toyCtx, toyRegistry, type ToyCtx } from './toy-registry.ts';

const FILE = '/virtual/route.lua';

async function load(source: string, entryPoints: string[] = []) {
  return loadLuaScript<ToyCtx>({ file: FILE, source, registry: toyRegistry(), entryPoints });
}

/** Runs `body` as the route and returns ctx.log. */
async function logOf(body: string): Promise<{ out: RouteOutcome; log: string[] }> {
  const s = await load(`function route()\n${body}\nend`);
  const ctx = toyCtx();
  const out = await s.run('route', ctx);
  s.dispose();
  return { out, log: ctx.log };
}

test('KSR return kinds keep their KEMI types', async (t) => {
  const { out, log } = await logOf(`
    KSR.log(math.type(KSR.t.add(1, 2)) .. ' ' .. tostring(KSR.t.add(1, 2) == 3))
    KSR.log(type(KSR.t.flag()) .. ' ' .. tostring(KSR.t.flag()))
    KSR.log(type(KSR.t.neg()) .. ' ' .. tostring(KSR.t.neg()))
    KSR.log(tostring(KSR.t.echo('unset') == nil))
    KSR.log(KSR.t.echo('abc'))
    KSR.log(tostring(KSR.t.nothing() == false))
    KSR.log(type(KSR.log('x')))
  `);
  t.deepEqual(out, { kind: 'returned' });
  t.deepEqual(log, [
    'integer true',
    'boolean true',
    'number -1',
    'true',
    'abc',
    'true',
    'x',
    'boolean',
  ]);
});

test('arguments are coerced as lua_tostring/lua_tointeger do', async (t) => {
  const { out, log } = await logOf(`
    KSR.log(KSR.t.typeof(5, '7'))
    KSR.log(KSR.t.typeof(1.5, ' 0x10 '))
    KSR.log(KSR.t.typeof('s', 3.0))
    KSR.log(KSR.t.typeof('s', true))
    KSR.log(tostring(KSR.t.add('5', 1)))
    KSR.log(tostring(KSR.t.add(1, 2, 'extra ignored')))
  `);
  t.deepEqual(out, { kind: 'returned' });
  t.deepEqual(log, [
    'string:5|number:7',
    'string:1.5|number:16',
    'string:s|number:3',
    'string:s|number:1',
    '6',
    '3',
  ]);
});

test('a bad argument is a clear Lua error naming the function and argument', async (t) => {
  const { out, log } = await logOf(`
    local ok, e = pcall(KSR.t.add, 'abc', 1)
    KSR.log(e)
    ok, e = pcall(KSR.t.add, 1)
    KSR.log(e)
    ok, e = pcall(KSR.t.echo, {})
    KSR.log(e)
    ok, e = pcall(KSR.t.add, 1.5, 1)
    KSR.log(e)
    KSR.t.add(1, 'x') -- line 11 of the file
  `);
  t.is(log[0], 'KSR.t.add: argument 1 (a) must be an int, got string "abc"');
  t.is(log[1], 'KSR.t.add: argument 2 (b) is missing (expected an int)');
  t.is(log[2], 'KSR.t.echo: argument 1 (s) must be a string, got table');
  t.is(log[3], 'KSR.t.add: argument 1 (a) must be an int, got number 1.5');
  t.like(out, {
    kind: 'error',
    message: 'KSR.t.add: argument 2 (b) must be an int, got string "x"',
    where: { file: FILE, line: 11 },
  });
});

test('a host exception becomes a Lua error with its message', async (t) => {
  const { out, log } = await logOf(`
    local ok, e = pcall(KSR.t.boom)
    KSR.log(tostring(ok) .. ' ' .. e)
    ok, e = pcall(function() KSR.t.boom() end)
    KSR.log(e)
    KSR.t.boom()
  `);
  // Called directly by pcall there is no calling Lua line, as with luaL_error in C Lua.
  t.deepEqual(log, ['false KSR.t.boom: kaboom', `${FILE}:5: KSR.t.boom: kaboom`]);
  t.like(out, { kind: 'error', message: 'KSR.t.boom: kaboom', where: { file: FILE, line: 7 } });
});

test('an async KSR call suspends the route and resumes it with locals intact', async (t) => {
  const { out, log } = await logOf(`
    local before = 'kept'
    local n = 40
    local v = KSR.t.later(1)
    local w = KSR.t.later(v)
    KSR.log(before .. ' ' .. n .. ' ' .. v .. ' ' .. w .. ' ' .. math.type(w))
    local ok, e = pcall(KSR.t.later_fail)
    KSR.log(tostring(ok) .. ' ' .. e)
    local x = pcall(function() return KSR.t.later(100) end)
    KSR.log('after pcall ' .. tostring(x))
  `);
  t.deepEqual(out, { kind: 'returned' });
  t.deepEqual(log, [
    'kept 40 2 3 integer',
    'false KSR.t.later_fail: async failure',
    'after pcall true',
  ]);
});

test('200 concurrent suspended routes each resume with their own ctx', async (t) => {
  const s = await load(`
    function route()
      local mine = KSR.t.ctxid()
      local a = KSR.t.later(0)
      local b = KSR.t.later(1000)
      KSR.log(mine .. ':' .. a .. ':' .. b .. ':' .. KSR.t.ctxid())
    end`);
  const ctxs = Array.from({ length: 250 }, (_v, i) => toyCtx(i + 1));
  const outs = await Promise.all(ctxs.map((c) => s.run('route', c)));
  t.true(outs.every((o) => o.kind === 'returned'));
  ctxs.forEach((c) => t.deepEqual(c.log, [`${c.id}:${c.id}:${1000 + c.id}:${c.id}`]));
  s.dispose();
});

test('async calls from a script coroutine reach the route driver and keep the ctx', async (t) => {
  const s = await load(`
    function route()
      local gen = coroutine.wrap(function()
        for i = 1, 3 do coroutine.yield(KSR.t.later(i * 10)) end
      end)
      local co = coroutine.create(function(x) local y = KSR.t.later(x); return y * 2 end)
      KSR.log(gen() .. ',' .. gen() .. ',' .. gen())
      local ok, v = coroutine.resume(co, 5)
      KSR.log(tostring(ok) .. ' ' .. v)
    end`);
  const ctxs = [toyCtx(1), toyCtx(2)];
  const outs = await Promise.all(ctxs.map((c) => s.run('route', c)));
  t.deepEqual(outs, [{ kind: 'returned' }, { kind: 'returned' }]);
  t.deepEqual(ctxs[0]!.log, ['11,21,31', 'true 12']);
  t.deepEqual(ctxs[1]!.log, ['12,22,32', 'true 14']);
  s.dispose();
});

test('KSR.x.exit and KSR.x.drop unwind through pcall, xpcall and coroutines', async (t) => {
  const cases: [string, RouteOutcome][] = [
    [`KSR.log('a'); KSR.x.exit(); KSR.log('no')`, { kind: 'exit', drop: false }],
    [`local ok = pcall(KSR.x.exit); KSR.log('swallowed')`, { kind: 'exit', drop: false }],
    [`pcall(function() pcall(KSR.x.drop) end); KSR.log('swallowed')`, { kind: 'exit', drop: true }],
    [
      `xpcall(KSR.x.exit, function(e) KSR.log('handler ran'); return e end); KSR.log('swallowed')`,
      { kind: 'exit', drop: false },
    ],
    [
      `local ok = coroutine.resume(coroutine.create(KSR.x.drop)); KSR.log('swallowed')`,
      { kind: 'exit', drop: true },
    ],
    [
      `pcall(coroutine.wrap(function() KSR.x.exit() end)); KSR.log('swallowed')`,
      { kind: 'exit', drop: false },
    ],
    [
      `pcall(load, function() KSR.x.exit() end); KSR.log('swallowed')`,
      { kind: 'exit', drop: false },
    ],
    [`pcall(KSR.t.stop); KSR.log('swallowed')`, { kind: 'exit', drop: false }],
    [`pcall(KSR.t.later_drop); KSR.log('swallowed')`, { kind: 'exit', drop: true }],
    [`pcall(KSR.route, 'helper_exit'); KSR.log('swallowed')`, { kind: 'exit', drop: false }],
  ];
  for (const [body, expected] of cases) {
    const s = await load(`function helper_exit() KSR.x.exit() end\nfunction route()\n${body}\nend`);
    const ctx = toyCtx();
    t.deepEqual(await s.run('route', ctx), expected, body);
    t.false(ctx.log.includes('swallowed'), body);
    t.false(ctx.log.includes('handler ran'), body);
    t.deepEqual(
      await s.run('helper_exit', ctx),
      { kind: 'exit', drop: false },
      'instance still usable',
    );
    s.dispose();
  }
});

test('KSR.route calls a script function by name in the same route', async (t) => {
  const s = await load(`
    function other(...) KSR.log('other ' .. select('#', ...) .. ' ' .. KSR.t.later(1)); return 7 end
    function route()
      KSR.log('got ' .. KSR.route('other'))
      KSR.route('nope') -- line 5
    end`);
  const ctx = toyCtx(4);
  const out = await s.run('route', ctx);
  t.deepEqual(ctx.log, ['other 0 5', 'got 7']);
  t.like(out, {
    kind: 'error',
    message: "KSR.route: the script has no function 'nope'",
    where: { file: FILE, line: 5 },
  });
  s.dispose();
});

test('an uncaught error gives the user file:line, the message and a traceback', async (t) => {
  const s = await load(
    [
      'local function inner(t)', // 1
      '  return t.field', // 2
      'end', // 3
      'function route()', // 4
      '  inner(nil)', // 5
      'end', // 6
      'function raise() error({}) end', // 7
      "function raise_str() error('plain', 0) end", // 8
    ].join('\n'),
  );
  const out = await s.run('route', toyCtx());
  if (out.kind !== 'error') return t.fail(JSON.stringify(out));
  t.is(out.message, "attempt to index a nil value (local 't')");
  t.deepEqual(out.where, { file: FILE, line: 2 });
  t.regex(out.traceback, /stack traceback:/);
  t.regex(out.traceback, /route\.lua:2: in (upvalue|local|function) 'inner'/);
  t.regex(out.traceback, /route\.lua:5: in function 'route'/);
  t.like(await s.run('raise', toyCtx()), {
    kind: 'error',
    message: '(error object is a table value)',
    where: { line: 7 },
  });
  t.like(await s.run('raise_str', toyCtx()), {
    kind: 'error',
    message: 'plain',
    where: { line: 8 },
  });
  s.dispose();
});

test('an event route receives its argument', async (t) => {
  const s = await load(`function ksr_event(name) KSR.log('event ' .. tostring(name)) end`);
  const ctx = toyCtx();
  t.deepEqual(await s.run('ksr_event', ctx, 'htable:mod-init'), { kind: 'returned' });
  t.deepEqual(ctx.log, ['event htable:mod-init']);
  s.dispose();
});

test('a missing function is reported without running anything', async (t) => {
  const s = await load(`COUNT = 0\nfunction route() COUNT = COUNT + 1 end\nnot_a_function = 5`);
  t.true(s.hasFunction('route'));
  t.false(s.hasFunction('nope'));
  t.false(s.hasFunction('not_a_function'));
  t.deepEqual(await s.run('nope', toyCtx()), { kind: 'missing', name: 'nope' });
  t.deepEqual(await s.run('not_a_function', toyCtx()), { kind: 'missing', name: 'not_a_function' });
  s.dispose();
});

test('a syntax error is a ScriptLoadError at file:line', async (t) => {
  const e = await t.throwsAsync(load('function route()\n  local x = = 1\nend'), {
    instanceOf: ScriptLoadError,
  });
  t.deepEqual(e?.where, { file: FILE, line: 2 });
  t.is(e?.code, 'POLYSIP_ERR_SCRIPT_LOAD');
  t.regex(e?.message ?? '', /^\/virtual\/route\.lua:2: .*unexpected symbol near '='/);
});

test('a runtime error in the top-level chunk is a ScriptLoadError at file:line', async (t) => {
  const e = await t.throwsAsync(load('local a = 1\nlocal b = a.x\nfunction route() end'), {
    instanceOf: ScriptLoadError,
  });
  t.deepEqual(e?.where, { file: FILE, line: 2 });
  t.regex(e?.message ?? '', /attempt to index a number value/);
});

test('KSR calls are refused while the top-level chunk runs', async (t) => {
  const e = await t.throwsAsync(load(`KSR.log('too early')\nfunction route() end`), {
    instanceOf: ScriptLoadError,
  });
  t.regex(e?.message ?? '', /KSR\.log: KSR functions cannot be called while the script is loading/);
  t.is(e?.where.line, 1);
});

test('a missing entry point is refused at load', async (t) => {
  const e = await t.throwsAsync(load('function other() end', ['ksr_request_route']), {
    instanceOf: ScriptLoadError,
  });
  t.regex(e?.message ?? '', /does not define the function 'ksr_request_route'/);
  const ok = await load('function ksr_request_route() end', ['ksr_request_route']);
  t.true(ok.hasFunction('ksr_request_route'));
  ok.dispose();
});

test('after dispose, run resolves to an error outcome and suspended routes end cleanly', async (t) => {
  const s = await load(`function route() KSR.t.later(1); KSR.log('resumed') end`);
  const ctx = toyCtx();
  const pending = s.run('route', ctx);
  s.dispose();
  t.like(await pending, { kind: 'error', message: 'the Lua script instance was disposed' });
  t.deepEqual(ctx.log, []);
  t.like(await s.run('route', ctx), {
    kind: 'error',
    message: 'the Lua script instance was disposed',
  });
  t.false(s.hasFunction('route'));
  t.notThrows(() => s.dispose());
});

test('a yield of the route function itself is an error, not a hang', async (t) => {
  const s = await load(`function route() coroutine.yield(1) end\nfunction ok() KSR.log('ok') end`);
  const out = await s.run('route', toyCtx());
  t.like(out, { kind: 'error', where: { file: FILE, line: 1 } });
  t.regex(out.kind === 'error' ? out.message : '', /yield from the route function/);
  const ctx = toyCtx();
  t.deepEqual(await s.run('ok', ctx), { kind: 'returned' });
  t.deepEqual(ctx.log, ['ok']);
  s.dispose();
});

test('strings cross as UTF-8', async (t) => {
  const { log } = await logOf(`
    local s = KSR.t.echo('héllo ☎')
    KSR.log(#s .. ' ' .. s)
    KSR.log('\\255 invalid')
  `);
  t.deepEqual(log, ['10 héllo ☎', '\uFFFD invalid']);
});

test('maxSuspended bounds the routes waiting at once', async (t) => {
  const s = await loadLuaScript<ToyCtx>({
    file: FILE,
    source: `function route() KSR.t.later(1) end`,
    registry: toyRegistry(),
    entryPoints: [],
    limits: { maxSuspended: 2 },
  });
  const outs = await Promise.all([1, 2, 3].map((i) => s.run('route', toyCtx(i))));
  t.deepEqual(outs.slice(0, 2), [{ kind: 'returned' }, { kind: 'returned' }]);
  t.like(outs[2], { kind: 'error', message: 'KSR.t.later: too many suspended routes (limit 2)' });
  s.dispose();
});

test('hasFunction and run see functions defined, replaced and removed at run time', async (t) => {
  const s = await load(`
function ksr_request_route()
  ksr_reply_route = function() KSR.t.flag() end
end
function drop_reply() ksr_reply_route = nil end
function make_table() ksr_reply_route = {} end
`);
  t.false(s.hasFunction('ksr_reply_route'));
  t.is((await s.run('ksr_reply_route', toyCtx())).kind, 'missing');
  await s.run('ksr_request_route', toyCtx());
  t.true(s.hasFunction('ksr_reply_route'));
  t.is((await s.run('ksr_reply_route', toyCtx())).kind, 'returned');
  await s.run('make_table', toyCtx());
  t.false(s.hasFunction('ksr_reply_route'));
  await s.run('drop_reply', toyCtx());
  t.false(s.hasFunction('ksr_reply_route'));
  t.is((await s.run('ksr_reply_route', toyCtx())).kind, 'missing');
});

test('hasFunction honours a metatable on _G (the same answer as lua_getglobal)', async (t) => {
  const s = await load(`
function ksr_request_route() end
setmetatable(_G, { __index = function(_, k) if k == "virtual_route" then return function() end end end })
`);
  t.true(s.hasFunction('virtual_route'));
  t.true(s.hasFunction('ksr_request_route'));
  t.false(s.hasFunction('nope'));
  t.is((await s.run('virtual_route', toyCtx())).kind, 'returned');
});

test('a coroutine parked in a KSR call cannot be resumed by another route', async (t) => {
  const s = await load(`
    function park()
      parked = coroutine.create(function() return KSR.t.later(7) end)
      local ok, v = coroutine.resume(parked)
      KSR.log('parked ' .. tostring(ok) .. ' ' .. v)
    end
    function poke()
      local ok, e = pcall(coroutine.resume, parked)
      KSR.log(tostring(ok) .. ' ' .. e)
    end`);
  const a = toyCtx(1);
  const b = toyCtx(2);
  const first = s.run('park', a);
  t.deepEqual(await s.run('poke', b), { kind: 'returned' });
  t.deepEqual(await first, { kind: 'returned' });
  t.is(b.log.length, 1);
  t.regex(b.log[0]!, /^false .*cannot resume a coroutine that is waiting for a KSR call$/);
  t.deepEqual(a.log, ['parked true 8']);
  s.dispose();
});
