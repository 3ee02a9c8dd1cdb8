package lualib

import lua "github.com/yuin/gopher-lua"

// Open registers cjson, cmsgpack, struct and bit as globals in L. Redis
// exposes them as globals only (scripts cannot require them), so nothing
// is added to package.loaded.
func Open(L *lua.LState) {
	L.SetGlobal("cjson", newCjsonLib(L))
	L.SetGlobal("cmsgpack", newCmsgpackLib(L))
	L.SetGlobal("struct", newStructLib(L))
	L.SetGlobal("bit", newBitLib(L))
}
