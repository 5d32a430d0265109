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
    lua_dump(L: LuaState, writer: (L: LuaState, b: Uint8Array, size: number, ud: unknown) => number, data: unknown, strip: number): number;
  };

  export const lauxlib: {
    luaL_newstate(): LuaState;
    luaL_loadbuffer(L: LuaState, buff: LuaString, size: number | null, name: LuaString): number;
    luaL_loadbufferx(L: LuaState, buff: LuaString, size: number | null, name: LuaString, mode: LuaString | null): number;
    luaL_requiref(L: LuaState, name: LuaString, openf: JsFunction, glb: number): void;
    luaL_error(L: LuaState, fmt: LuaString): number;
    luaL_checkstring(L: LuaState, arg: number): LuaString;
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
