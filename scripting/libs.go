package scripting

import lua "github.com/yuin/gopher-lua"

// openRedisLibs registers the libraries Redis adds to Lua: cjson, cmsgpack,
// struct and bit.
func openRedisLibs(L *lua.LState) {
	// Placeholder until moonstone/scripting/lualib is merged.
	_ = L
}
