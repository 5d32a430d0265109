/** Just the part of fengari 0.1.5 (Lua 5.3 in JavaScript) that lua.ts uses. fengari ships no types. */
declare module 'fengari' {
  export type LuaState = { readonly __luaState: unique symbol };
  export type LuaString = Uint8Array;
  export type JsFunction = (L: LuaState) => number;
  export type Hook = (L: LuaState, ar: unknown) => void;

  export function to_luastring(s: string, cache?: boolean): LuaString;
  export function to_jsstring(s: LuaString): string;

  export const lua: {
    LUA_OK: number;
    LUA_ERRSYNTAX: number;
    LUA_ERRRUN: number;
    LUA_ERRMEM: number;
    LUA_ERRERR: number;
    LUA_MASKCOUNT: number;
    LUA_TFUNCTION: number;
    LUA_TSTRING: number;
    lua_close(L: LuaState): void;
    lua_sethook(L: LuaState, f: Hook | null, mask: number, count: number): void;
    lua_pushjsfunction(L: LuaState, f: JsFunction): void;
    lua_setglobal(L: LuaState, name: LuaString): void;
    lua_getglobal(L: LuaState, name: LuaString): number;
    lua_pcall(L: LuaState, nargs: number, nresults: number, errfunc: number): number;
    lua_tojsstring(L: LuaState, idx: number): string | null;
    lua_type(L: LuaState, idx: number): number;
    lua_settop(L: LuaState, idx: number): void;
    lua_gettop(L: LuaState): number;
    lua_pop(L: LuaState, n: number): void;
    lua_pushstring(L: LuaState, s: LuaString): void;
    lua_pushinteger(L: LuaState, n: number): void;
    lua_tointeger(L: LuaState, idx: number): number;
    lua_tothread(L: LuaState, idx: number): LuaState | null;
    lua_touserdata(L: LuaState, idx: number): unknown;
    /** fengari-only: `f` turns a JavaScript exception thrown inside the VM into a Lua error value. */
    lua_atnativeerror(L: LuaState, f: JsFunction | null): JsFunction | null;
    lua_dump(L: LuaState, writer: (L: LuaState, b: Uint8Array, size: number, ud: unknown) => number, data: unknown, strip: number): number;
  };

  export const lauxlib: {
    luaL_newstate(): LuaState;
    luaL_loadbuffer(L: LuaState, buff: LuaString, size: number | null, name: LuaString): number;
    luaL_loadbufferx(L: LuaState, buff: LuaString, size: number | null, name: LuaString, mode: LuaString | null): number;
    luaL_requiref(L: LuaState, name: LuaString, openf: JsFunction, glb: number): void;
    luaL_error(L: LuaState, fmt: LuaString): number;
    luaL_checkstring(L: LuaState, arg: number): LuaString;
    luaL_checkinteger(L: LuaState, arg: number): number;
    luaL_argerror(L: LuaState, arg: number, extramsg: LuaString): number;
    luaL_optstring(L: LuaState, arg: number, def: LuaString | null): LuaString | null;
  };

  export const lualib: {
    luaopen_base: JsFunction;
    luaopen_coroutine: JsFunction;
    luaopen_table: JsFunction;
    luaopen_string: JsFunction;
    luaopen_math: JsFunction;
    luaopen_utf8: JsFunction;
    luaopen_debug: JsFunction;
    luaopen_os: JsFunction;
  };
}

/** fengari internals lua-sandbox.ts reaches into (the same module instances fengari uses). */
declare module 'fengari/src/ldebug.js' {
  import type { LuaState } from 'fengari';
  const ldebug: {
    /** Raises the value on top of the stack as a Lua error (calls the message handler). */
    luaG_errormsg(L: LuaState): never;
  };
  export default ldebug;
}

declare module 'fengari/src/lobject.js' {
  import type { LuaState, LuaString } from 'fengari';
  const lobject: {
    /** Pushes a formatted string without the API's stack-room check (as luaG_runerror does). */
    luaO_pushfstring(L: LuaState, fmt: LuaString): LuaString;
    pushsvalue2s(L: LuaState, ts: unknown): void;
  };
  export default lobject;
}

declare module 'fengari/src/lstring.js' {
  import type { LuaState } from 'fengari';
  const lstring: {
    /** Wraps a byte array as a Lua string without copying it. */
    luaS_bless(L: LuaState, bytes: Uint8Array): unknown;
  };
  export default lstring;
}
