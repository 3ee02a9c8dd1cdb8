package scripting

import (
	lua "github.com/yuin/gopher-lua"

	"moonstone/scripting/lualib"
)

// openRedisLibs registers the libraries Redis adds to Lua: cjson, cmsgpack,
// struct and bit.
func openRedisLibs(L *lua.LState) { lualib.Open(L) }
