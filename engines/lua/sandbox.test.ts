import test from 'ava';
import fengari from 'fengari';
import { loadLuaScript } from './index.ts';
import { toyCtx, toyRegistry, type ToyCtx } from './toy-registry.ts';

const FILE = '/virtual/attack.lua';

/**
 * Runs each attack under pcall inside a route and returns what it recorded: 'ALLOWED: …' when
 * the attack succeeded, otherwise the error message the script got.
 */
async function attempt(attacks: Record<string, string>): Promise<Record<string, string>> {
  const names = Object.keys(attacks);
  const fns = names.map((n, i) => `ATTACKS[${i + 1}] = function()\n${attacks[n]}\nend`).join('\n');
  const source = `
ATTACKS = {}
${fns}
function route()
  for i = 1, #ATTACKS do
    local ok, e = pcall(ATTACKS[i])
    if ok then KSR.log('ALLOWED: ' .. tostring(e)) else KSR.log(tostring(e)) end
  end
end`;
  const s = await loadLuaScript<ToyCtx>({
    file: FILE,
    source,
    registry: toyRegistry(),
    entryPoints: ['route'],
  });
  const ctx = toyCtx();
  const out = await s.run('route', ctx);
  s.dispose();
  if (out.kind !== 'returned') throw new Error(JSON.stringify(out));
  return Object.fromEntries(names.map((n, i) => [n, ctx.log[i] ?? '(nothing recorded)']));
}

test('host escapes through os, io, package, debug, dofile, loadfile are absent', async (t) => {
  const got = await attempt({
    osExecute: `return os.execute('id')`,
    osGetenv: `return os.getenv('HOME')`,
    osExit: `return os.exit(1)`,
    osRemove: `return os.remove('/tmp/polysip-should-not-exist')`,
    ioOpen: `return io.open('/etc/passwd')`,
    ioPopen: `return io.popen('id')`,
    packageLoadlib: `return package.loadlib('/tmp/x.cjs', 'f')`,
    debugGetregistry: `return debug.getregistry()`,
    debugSethook: `return debug.sethook()`,
    dofile: `return dofile('/etc/passwd')`,
    loadfile: `return loadfile('/etc/passwd')`,
    rawgetIo: `return rawget(_G, 'io').open('/etc/passwd')`,
    fengariJs: `return js.global`,
  });
  t.regex(got.osExecute!, /attempt to call a nil value \(field 'execute'\)/);
  t.regex(got.osGetenv!, /attempt to call a nil value \(field 'getenv'\)/);
  t.regex(got.osExit!, /attempt to call a nil value \(field 'exit'\)/);
  t.regex(got.osRemove!, /attempt to call a nil value \(field 'remove'\)/);
  t.regex(got.ioOpen!, /attempt to index a nil value \(global 'io'\)/);
  t.regex(got.ioPopen!, /attempt to index a nil value \(global 'io'\)/);
  t.regex(got.packageLoadlib!, /attempt to index a nil value \(global 'package'\)/);
  t.regex(got.debugGetregistry!, /attempt to index a nil value \(global 'debug'\)/);
  t.regex(got.debugSethook!, /attempt to index a nil value \(global 'debug'\)/);
  t.regex(got.dofile!, /attempt to call a nil value \(global 'dofile'\)/);
  t.regex(got.loadfile!, /attempt to call a nil value \(global 'loadfile'\)/);
  t.regex(got.rawgetIo!, /attempt to index a nil value/);
  t.regex(got.fengariJs!, /attempt to index a nil value \(global 'js'\)/);
});

test('bytecode cannot be produced or loaded', async (t) => {
  // Real Lua 5.3 bytecode made by an unrestricted state, embedded as bytes in the attack.
  const { lua, lauxlib, lualib, to_luastring } = fengari;
  const L = lauxlib.luaL_newstate();
  lauxlib.luaL_requiref(L, '_G', lualib.luaopen_base, 1);
  lauxlib.luaL_requiref(L, 'string', lualib.luaopen_string, 1);
  lua.lua_settop(L, 0);
  const code = to_luastring(`return string.dump(function() return 42 end)`);
  t.is(lauxlib.luaL_loadbufferx(L, code, code.length, '=gen', 't'), lua.LUA_OK);
  lua.lua_call(L, 0, 1);
  const bytecode = lua.lua_tolstring(L, -1)!;
  t.is(bytecode[0], 27); // ESC 'Lua'
  const bytes = Array.from(bytecode).join(',');

  const got = await attempt({
    dump: `return load(string.dump(function() return 1 end))`,
    dumpViaMetatable: `return getmetatable('').__index.dump(function() end)`,
    binaryDefault: `local f, e = load(string.char(${bytes})); if f then return f() end; error(e, 0)`,
    binaryModeB: `local f, e = load(string.char(${bytes}), 'x', 'b'); if f then return f() end; error(e, 0)`,
    binaryReader: `local done = false
      local f, e = load(function() if done then return nil end; done = true; return string.char(${bytes}) end)
      if f then return f() end; error(e, 0)`,
  });
  t.regex(got.dump!, /attempt to call a nil value \(field 'dump'\)/);
  t.regex(got.dumpViaMetatable!, /attempt to call a nil value \(field 'dump'\)/);
  t.regex(got.binaryDefault!, /attempt to load a binary chunk \(mode is 't'\)/);
  t.regex(got.binaryModeB!, /attempt to load a binary chunk \(mode is 't'\)/);
  t.regex(got.binaryReader!, /attempt to load a binary chunk \(mode is 't'\)/);
});

test('text chunks loaded at run time see the same sandbox', async (t) => {
  const got = await attempt({
    seesSandbox: `return tostring(load('return io, os.execute, package, debug, dofile')())`,
    envArg: `return load('return x', 'chunk', 't', { x = 'own env' })()`,
    fakeFile: `return load('error("boom")', '@/etc/passwd')()`,
    collectgarbage: `return collectgarbage('collect')`,
    collectgarbageCount: `return collectgarbage('count')`,
  });
  t.is(got.seesSandbox, 'ALLOWED: nil');
  t.is(got.envArg, 'ALLOWED: own env');
  // A loaded string cannot pose as a file in error locations.
  t.is(got.fakeFile, '/etc/passwd:1: boom');
  t.regex(got.collectgarbage!, /collectgarbage: only 'count' is available/);
  t.is(got.collectgarbageCount, 'ALLOWED: 0');
});

test('the safe os table keeps only time, clock, date and difftime', async (t) => {
  const got = await attempt({
    keys: `local k = {}; for name in pairs(os) do k[#k + 1] = name end; table.sort(k); return table.concat(k, ',')`,
    time: `return math.type(os.time())`,
    date: `return os.date('%Y', 86400 * 200)`,
    clock: `return type(os.clock())`,
    difftime: `return os.difftime(10, 4)`,
  });
  t.is(got.keys, 'ALLOWED: clock,date,difftime,time');
  t.is(got.time, 'ALLOWED: integer');
  t.is(got.date, 'ALLOWED: 1970');
  t.is(got.clock, 'ALLOWED: number');
  t.is(got.difftime, 'ALLOWED: 6.0');
});

test('the standard libraries a script needs are there', async (t) => {
  const got = await attempt({
    string: `return ('%s-%d'):format('a', 1) .. string.upper('b') .. ('xyz'):sub(2)`,
    table: `local t = {3, 1, 2}; table.sort(t); return table.concat(t, ',')`,
    math: `return math.max(1, 5) + math.floor(2.5)`,
    utf8: `return utf8.char(9742)`,
    coroutine: `return coroutine.isyieldable()`,
  });
  t.is(got.string, 'ALLOWED: a-1Byz');
  t.is(got.table, 'ALLOWED: 1,2,3');
  t.is(got.math, 'ALLOWED: 7');
  t.is(got.utf8, 'ALLOWED: ☎');
  t.is(got.coroutine, 'ALLOWED: true');
});

test('print goes to the host, not to stdout', async (t) => {
  const lines: string[] = [];
  const s = await loadLuaScript<ToyCtx>({
    file: FILE,
    source: `function route() print('a', 1, nil, true) end`,
    registry: toyRegistry(),
    entryPoints: ['route'],
    print: (line) => lines.push(line),
  });
  t.deepEqual(await s.run('route', toyCtx()), { kind: 'returned' });
  t.deepEqual(lines, ['a\t1\tnil\ttrue']);
  s.dispose();
});
