/**
 * The part of fengari 0.1.5 (which ships no types) that the Lua engine uses.
 * Lua strings are byte arrays (`Uint8Array`); most API functions also accept a JS string.
 */
declare module 'fengari' {
  export type LuaString = Uint8Array;
  /** An opaque Lua thread (fengari's `lua_State`); JS identity is thread identity. */
  export interface LuaState {
    readonly __fengariLuaState: never;
  }
  export type JsFunction = (L: LuaState) => number;
  export type KFunction = (L: LuaState, status: number, ctx: number) => number;
  export type Hook = (L: LuaState, ar: LuaDebug) => void;

  export interface LuaDebug {
    event: number;
    name: LuaString | null;
    what: LuaString | null;
    source: LuaString | null;
    currentline: number;
    linedefined: number;
    short_src: LuaString | null;
  }

  interface Lua {
    readonly LUA_OK: number;
    readonly LUA_YIELD: number;
    readonly LUA_ERRRUN: number;
    readonly LUA_ERRSYNTAX: number;
    readonly LUA_ERRMEM: number;
    readonly LUA_ERRERR: number;
    readonly LUA_MASKCOUNT: number;
    readonly LUA_REGISTRYINDEX: number;
    readonly LUA_RIDX_GLOBALS: number;
    readonly LUA_TNONE: number;
    readonly LUA_TNIL: number;
    readonly LUA_TBOOLEAN: number;
    readonly LUA_TLIGHTUSERDATA: number;
    readonly LUA_TNUMBER: number;
    readonly LUA_TSTRING: number;
    readonly LUA_TTABLE: number;
    readonly LUA_TFUNCTION: number;
    readonly LUA_TUSERDATA: number;
    readonly LUA_TTHREAD: number;
    lua_Debug: new () => LuaDebug;

    lua_newthread(L: LuaState): LuaState;
    lua_resume(L: LuaState, from: LuaState | null, nargs: number): number;
    lua_yieldk(L: LuaState, nresults: number, ctx: number, k: KFunction | null): number;
    lua_isyieldable(L: LuaState): boolean;
    lua_status(L: LuaState): number;
    lua_sethook(L: LuaState, f: Hook | null, mask: number, count: number): void;
    lua_getstack(L: LuaState, level: number, ar: LuaDebug): number;
    lua_getinfo(L: LuaState, what: string | LuaString, ar: LuaDebug): number;
    lua_atnativeerror(L: LuaState, f: JsFunction): void;
    lua_close(L: LuaState): void;

    lua_gettop(L: LuaState): number;
    lua_settop(L: LuaState, idx: number): void;
    lua_pop(L: LuaState, n: number): void;
    lua_pushvalue(L: LuaState, idx: number): void;
    lua_insert(L: LuaState, idx: number): void;
    lua_xmove(from: LuaState, to: LuaState, n: number): void;
    lua_type(L: LuaState, idx: number): number;
    lua_typename(L: LuaState, t: number): LuaString;
    lua_isinteger(L: LuaState, idx: number): boolean;
    lua_tointeger(L: LuaState, idx: number): number;
    lua_tonumber(L: LuaState, idx: number): number;
    lua_toboolean(L: LuaState, idx: number): boolean;
    lua_tolstring(L: LuaState, idx: number): LuaString | null;
    lua_tothread(L: LuaState, idx: number): LuaState | null;
    lua_touserdata(L: LuaState, idx: number): unknown;
    lua_rawequal(L: LuaState, a: number, b: number): boolean;

    lua_pushnil(L: LuaState): void;
    lua_pushinteger(L: LuaState, n: number): void;
    lua_pushnumber(L: LuaState, n: number): void;
    lua_pushboolean(L: LuaState, b: boolean): void;
    lua_pushstring(L: LuaState, s: string | LuaString): LuaString;
    lua_pushliteral(L: LuaState, s: string): LuaString;
    lua_pushjsfunction(L: LuaState, f: JsFunction): void;
    lua_pushlightuserdata(L: LuaState, p: object): void;

    lua_createtable(L: LuaState, narr: number, nrec: number): void;
    lua_setfield(L: LuaState, idx: number, k: string | LuaString): void;
    lua_getfield(L: LuaState, idx: number, k: string | LuaString): number;
    lua_getglobal(L: LuaState, name: string | LuaString): number;
    lua_setglobal(L: LuaState, name: string | LuaString): void;
    lua_rawgeti(L: LuaState, idx: number, n: number): number;
    lua_rawget(L: LuaState, idx: number): number;
    lua_gettable(L: LuaState, idx: number): number;
    lua_remove(L: LuaState, idx: number): void;

    lua_call(L: LuaState, nargs: number, nresults: number): void;
    lua_pcall(L: LuaState, nargs: number, nresults: number, msgh: number): number;
    lua_error(L: LuaState): never;
    lua_concat(L: LuaState, n: number): void;
  }

  interface Lauxlib {
    luaL_newstate(): LuaState;
    luaL_requiref(L: LuaState, modname: string | LuaString, openf: JsFunction, glb: number): void;
    luaL_traceback(L: LuaState, L1: LuaState, msg: LuaString | null, level: number): void;
    luaL_loadbufferx(
      L: LuaState,
      buff: LuaString,
      size: number,
      name: string | LuaString,
      mode: string | LuaString | null,
    ): number;
    luaL_ref(L: LuaState, t: number): number;
    luaL_where(L: LuaState, level: number): void;
    luaL_tolstring(L: LuaState, idx: number): LuaString;
  }

  interface Lualib {
    luaopen_base: JsFunction;
    luaopen_coroutine: JsFunction;
    luaopen_table: JsFunction;
    luaopen_string: JsFunction;
    luaopen_math: JsFunction;
    luaopen_utf8: JsFunction;
    luaopen_os: JsFunction;
  }

  const fengari: {
    lua: Lua;
    lauxlib: Lauxlib;
    lualib: Lualib;
    to_luastring(s: string, cache?: boolean): LuaString;
    to_jsstring(s: LuaString, from?: number, to?: number, replacementChar?: boolean): string;
  };
  export default fengari;
}
