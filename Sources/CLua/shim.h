#ifndef DESCENT_LUA_SHIM_H
#define DESCENT_LUA_SHIM_H
/*
 * The parts of the Lua 5.4 C API that Swift cannot import (function-like macros, variadic
 * functions, pseudo-indices) as static inline wrappers, plus the pieces of C that keep
 * Lua's longjmp away from Swift frames:
 *
 *  - descent_trampoline: every Swift function exposed to Lua runs under it. The Swift side
 *    never raises; it returns DESCENT_RAISE after pushing a message, and the trampoline raises
 *    the Lua error here, after the Swift frame (and everything it retained) is gone.
 *  - descent_msghandler: the pcall message handler that appends a traceback (as lua.c).
 *  - (the interrupt notifier, which needs state of its own, is C in CLuaInterrupt.)
 */
#include <lua.h>
#include <lualib.h>
#include <lauxlib.h>
#include <string.h>

#define DESCENT_RAISE (-1)
/* Or'ed into a Swift function's result count: tensor memory grew, so run a GC step of
 * DESCENT_GCSTEP_KB (Lua sees only the few bytes of each tensor's userdata, and without this
 * a loop making temporaries piles up gigabytes before its first collection). */
#define DESCENT_GCSTEP 0x40000000
#define DESCENT_GCSTEP_KB (64 * 1024)

/* The Swift dispatcher: reads upvalue 2 (the function id) and runs the Swift closure. */
typedef int (*descent_dispatch_fn)(lua_State *L);

static inline int descent_trampoline(lua_State *L) {
    descent_dispatch_fn fn = (descent_dispatch_fn)lua_touserdata(L, lua_upvalueindex(1));
    int n = fn(L);
    if (n == DESCENT_RAISE) {
        /* The message is on top: prefix "file:line:" of the calling Lua code, as luaL_error does. */
        luaL_where(L, 1);
        lua_insert(L, -2);
        lua_concat(L, 2);
        return lua_error(L);
    }
    if (n & DESCENT_GCSTEP) {
        n &= ~DESCENT_GCSTEP;
        lua_gc(L, LUA_GCSTEP, DESCENT_GCSTEP_KB);
    }
    return n;
}

/* Pushes a Swift-backed C closure: upvalue 1 is the dispatcher, upvalue 2 the function id. */
static inline void descent_pushfunction(lua_State *L, descent_dispatch_fn dispatch, lua_Integer id) {
    lua_pushlightuserdata(L, (void *)dispatch);
    lua_pushinteger(L, id);
    lua_pushcclosure(L, descent_trampoline, 2);
}

static inline lua_Integer descent_functionid(lua_State *L) {
    return lua_tointegerx(L, lua_upvalueindex(2), NULL);
}

/* Message handler for lua_pcall: message plus traceback; non-string errors use __tostring. */
static inline int descent_msghandler(lua_State *L) {
    const char *msg = lua_tostring(L, 1);
    if (msg == NULL) {
        if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING)
            return 1;
        msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    luaL_traceback(L, L, msg, 1);
    return 1;
}

static inline int descent_pcall(lua_State *L, int nargs, int nresults) {
    int base = lua_gettop(L) - nargs;
    lua_pushcfunction(L, descent_msghandler);
    lua_insert(L, base);
    int status = lua_pcall(L, nargs, nresults, base);
    lua_remove(L, base);
    return status;
}

/* Macro and variadic wrappers. */
static inline void descent_pop(lua_State *L, int n) { lua_pop(L, n); }
static inline const char *descent_tostring(lua_State *L, int i) { return lua_tolstring(L, i, NULL); }
static inline int descent_registryindex(void) { return LUA_REGISTRYINDEX; }
static inline void *descent_newuserdata(lua_State *L, size_t size) { return lua_newuserdatauv(L, size, 1); }
static inline const char *descent_typename(lua_State *L, int i) { return luaL_typename(L, i); }
static inline int descent_getmetatable(lua_State *L, const char *name) { return luaL_getmetatable(L, name); }
static inline int descent_isnoneornil(lua_State *L, int i) { return lua_type(L, i) <= 0; }
static inline void descent_pushcfunction(lua_State *L, lua_CFunction f) { lua_pushcfunction(L, f); }
static inline void **descent_extraspace(lua_State *L) { return (void **)lua_getextraspace(L); }
/* Text chunks only: a precompiled (binary) chunk can crash the VM, and Descent never needs one. */
static inline int descent_loadbuffer(lua_State *L, const char *buf, size_t len, const char *name) {
    return luaL_loadbufferx(L, buf, len, name, "t");
}
/* The line where the Lua function at i is defined (0 for C functions). */
static inline int descent_linedefined(lua_State *L, int i) {
    lua_Debug ar;
    lua_pushvalue(L, i);
    if (!lua_getinfo(L, ">S", &ar)) return 0;
    return ar.linedefined > 0 ? ar.linedefined : 0;
}

/* t[k] without metamethods: Swift reads user tables this way, since an __index written in Lua
 * would run (and could raise) outside any pcall, across Swift frames. */
static inline int descent_rawgetfield(lua_State *L, int i, const char *k) {
    i = lua_absindex(L, i);
    lua_pushstring(L, k);
    return lua_rawget(L, i);
}

/* Number of entries of the table at i (lua_next never raises on an unmodified table). */
static inline lua_Integer descent_tablecount(lua_State *L, int i) {
    lua_Integer n = 0;
    i = lua_absindex(L, i);
    lua_pushnil(L);
    while (lua_next(L, i)) { n++; lua_pop(L, 1); }
    return n;
}
#endif
