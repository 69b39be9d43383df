/**
 * The Lua sandbox: which standard libraries a script gets and the prelude that replaces the
 * dangerous or route-breaking parts of them. Runs once per instance, before the user's script.
 *
 * What the script gets: base (minus dofile/loadfile; `load` is text-only; `collectgarbage` only
 * answers 'count'; `print` goes to the host), string (minus `dump`), table, math, utf8,
 * coroutine, and an `os` table with only time/clock/date/difftime. No io, package, debug, full os.
 *
 * Why the prelude wraps pcall/xpcall/coroutine.resume/coroutine.wrap/load: each of them can
 * catch a Lua error, and `KSR.x.exit()`, `KSR.x.drop()` and a CPU abort are Lua errors (two
 * sentinel values the script cannot forge: light userdata only the host creates). The wrappers
 * re-raise a sentinel as soon as it is caught, so a user's error handler never swallows them.
 * `coroutine.resume` also forwards a KSR call's suspension from a script coroutine up to the
 * route coroutine the host drives, and binds the coroutine to the route (ctx, CPU budget).
 */
import fengari, { type JsFunction, type LuaState } from 'fengari';

const { lua, lauxlib, lualib } = fengari;

/** The libraries a script may use. `os` is opened, then cut down by the prelude. */
export function openSafeLibs(L: LuaState): void {
  const libs: [string, JsFunction][] = [
    ['_G', lualib.luaopen_base],
    ['coroutine', lualib.luaopen_coroutine],
    ['table', lualib.luaopen_table],
    ['string', lualib.luaopen_string],
    ['math', lualib.luaopen_math],
    ['utf8', lualib.luaopen_utf8],
    ['os', lualib.luaopen_os],
  ];
  for (const [name, open] of libs) {
    lauxlib.luaL_requiref(L, name, open, 1);
    lua.lua_pop(L, 1);
  }
  // The full os table must not stay reachable through the loaded-modules registry table.
  lua.lua_getfield(L, lua.LUA_REGISTRYINDEX, '_LOADED');
  lua.lua_pushnil(L);
  lua.lua_setfield(L, -2, 'os');
  lua.lua_pop(L, 1);
}

/** Chunk name of the prelude: not '@', so error locations skip its frames. */
export const PRELUDE_CHUNKNAME = '=polysip';

/**
 * Arguments (in order): EXIT, ABORT, SUSP sentinels; bind(co) — host: attach a script coroutine
 * to the running route; rehook() — host: re-enable the count hook after a caught error (works
 * around a fengari bug, see reenableHooks) and return the EXIT/ABORT sentinel if the route is
 * unwinding; loadmodule(name) — host: compile a sibling .lua file, returns
 * (function, path); modloaded(path) — host: its top-level chunk finished; hostprint(text).
 */
export const PRELUDE = `
local EXIT, ABORT, SUSP, bind, rehook, loadmodule, modloaded, hostprint = ...
local G = _G
local rpcall, rxpcall, rerror, rselect, rtype, rload = pcall, xpcall, error, select, type, load
local rrawget, rtostring, rconcat, rsub = rawget, tostring, table.concat, string.sub
local rcreate, rresume, ryield, rstatus = coroutine.create, coroutine.resume, coroutine.yield, coroutine.status

-- The route's own flags decide, not only the error value: an abort that hits while Lua is
-- already handling an error can surface as 'C stack overflow' or 'error in error handling'.
local function guard(ok, ...)
  if not ok then
    local unwinding = rehook()
    if unwinding ~= nil then rerror(unwinding, 0) end
    local e = ...
    if e == EXIT or e == ABORT then rerror(e, 0) end
  end
  return ok, ...
end

function pcall(f, ...)
  return guard(rpcall(f, ...))
end

function xpcall(f, h, ...)
  if rtype(h) ~= 'function' then
    rerror("bad argument #2 to 'xpcall' (function expected, got " .. rtype(h) .. ")", 2)
  end
  -- Also called, with hooks off, for the error the CPU hook raises: never run user code then.
  local function handler(e)
    if e == EXIT or e == ABORT then return e end
    local unwinding = rehook()
    if unwinding ~= nil then return unwinding end
    return h(e)
  end
  return guard(rxpcall(f, handler, ...))
end

local function pass(co, ok, ...)
  if ok and (...) == SUSP and rstatus(co) == 'suspended' then
    ryield(SUSP)
    return pass(co, rresume(co))
  end
  return guard(ok, ...)
end

local function resume(co, ...)
  bind(co)
  return pass(co, rresume(co, ...))
end

local function wrapret(ok, ...)
  if ok then return ... end
  local e = ...
  if rtype(e) == 'string' then rerror(e, 2) end
  rerror(e, 0)
end

coroutine.resume = resume
coroutine.wrap = function(f)
  local co = rcreate(f)
  return function(...)
    return wrapret(resume(co, ...))
  end
end

local function loadguard(f, ...)
  if f == nil then
    local unwinding = rehook()
    if unwinding ~= nil then rerror(unwinding, 0) end
    local e = ...
    if e == EXIT or e == ABORT then rerror(e, 0) end
  end
  return f, ...
end

function load(chunk, name, mode, ...)
  -- '@' names a file: a loaded string must not pose as one in error locations.
  if rtype(name) == 'string' and rsub(name, 1, 1) == '@' then name = '=' .. rsub(name, 2) end
  if rselect('#', ...) > 0 then return loadguard(rload(chunk, name, 't', (...))) end
  return loadguard(rload(chunk, name, 't'))
end

-- fengari leaves memory to the JS collector and cannot count it: 'count' answers 0.
function collectgarbage(opt)
  if opt == 'count' then return 0 end
  rerror("collectgarbage: only 'count' is available to polysip scripts", 2)
end

function print(...)
  local n = rselect('#', ...)
  local parts = {}
  for i = 1, n do parts[i] = rtostring((rselect(i, ...))) end
  hostprint(rconcat(parts, '\\t'))
end

dofile = nil
loadfile = nil
string.dump = nil
local ros = os
os = { time = ros.time, clock = ros.clock, date = ros.date, difftime = ros.difftime }

local loaded = {}
function require(name)
  local m = loaded[name]
  if m ~= nil then return m end
  local f, path = loadmodule(name)
  local r = f(name, path)
  modloaded(path)
  if r == nil then r = true end
  loaded[name] = r
  return r
end

KSR.route = function(name)
  if rtype(name) ~= 'string' then
    rerror('KSR.route: argument 1 (name) must be a string, got ' .. rtype(name), 2)
  end
  local f = rrawget(G, name)
  if rtype(f) ~= 'function' then
    rerror("KSR.route: the script has no function '" .. name .. "'", 2)
  end
  return f()
end
`;
