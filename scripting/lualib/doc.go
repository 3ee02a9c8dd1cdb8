// Package lualib provides, for gopher-lua, the four C libraries that Redis
// 7.0 bundles into its scripting engine: cjson (Lua CJSON 2.1.0), cmsgpack
// (lua-cmsgpack 0.4.0), struct (Roberto Ierusalimschy's struct.c) and bit
// (LuaBitOp 1.0.2).
//
// The package owns only these libraries and the Lua 5.1 behaviour they
// depend on: error texts and positions as luaL_error and luaL_argerror
// produce them, Lua 5.1 string/number coercions, "%.14g" number
// formatting, the C stack limits that turn into "stack overflow" errors,
// and the traversal order of Lua 5.1 tables, which decides the byte order of
// encoded objects and maps. The goal is output identical to Redis 7.0.15
// for the same script. Sandboxing, read-only globals and the rest of the
// scripting environment belong to the caller.
package lualib
