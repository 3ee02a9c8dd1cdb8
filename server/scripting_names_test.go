package server_test

import (
	"testing"

	"moonstone/internal/testkit"
)

// Runtime errors in scripts name the variable involved as Lua 5.1 does
// ("attempt to call field 'x' (a nil value)", "attempt to index local 't'
// (a nil value)"), or give the nameless form where Lua has no name; the
// whole error reply, position and script suffix included, is Redis's. The
// scripts after a closed block (a loop, do ... end) check that a later
// local is not named after one whose block has ended.
func TestScriptErrorNamesMatchRedis(t *testing.T) {
	testkit.Diff(t, `
EVAL "local t = nil; t()" 0
EVAL "local t = {} ; t.register_function()" 0
EVAL "local t = {} ; t:bar()" 0
EVAL "local t; return t.x" 0
EVAL "local t; t.x = 1" 0
EVAL "local x = 'a'; local function f() return x + 1 end; return f()" 0
EVAL "local v = {}; return 'a' .. v" 0
EVAL "return 1 < nil" 0
EVAL "return {} < {}" 0
EVAL "local a = nil; return #a" 0
EVAL "local a = {}; return -a" 0
EVAL "local t = {}; t[1]()" 0
EVAL "local t = {}; local k = 'x'; t[k]()" 0
EVAL "return redis.nosuch()" 0
EVAL "return redis.call.x.y" 0
EVAL "local a = 'abc'; local b; return a + b" 0
EVAL "local a = '10'; local b; return a + b" 0
EVAL "local a; return a .. 'x' .. 'y'" 0
EVAL "local a; return 'x' .. 'y' .. a" 0
EVAL "local a, b; return a .. b" 0
EVAL "local t = {}; return t.x.y" 0
EVAL "local t = {}; t.x.y = 1" 0
EVAL "local s = 'x'; return s.y.z" 0
EVAL "local up; local function f() return up.x end; return f()" 0
EVAL "local up; local function f() up() end; return f()" 0
EVAL "local function f() local z; return z() end; return f()" 0
EVAL "return (nil)()" 0
EVAL "local t = {}; return t.a + 1" 0
EVAL "return KEYS.x.y" 0
EVAL "local t = {}; t.x:foo()" 0
EVAL "local a = 1; a()" 0
EVAL "return ARGV[1] + 1" 0
EVAL "local t = setmetatable({}, {}); return t + 1" 0
EVAL "local x = 5; x = x .. {}" 0
EVAL "for i = 1, 3 do local q; q() end" 0
EVAL "local a = {}; return a < 1" 0
EVAL "local a = true; return -a" 0
EVAL "return -{}" 0
EVAL "local s = 'x'; return -s" 0
EVAL "return #5" 0
EVAL "local n = 5; return #n" 0
EVAL "local n = 5; return n.x" 0
EVAL "local n = 5; n.x = 1" 0
EVAL "return math.nosuch()" 0
EVAL "return string.format.x" 0
EVAL "local f = function() end; return f.x" 0
EVAL "local t = {}; return t.x.y.z" 0
EVAL "return tostring(nil) .. nil" 0
EVAL "return 'a' .. true" 0
EVAL "local x = 1; return x .. {}" 0
EVAL "for i = 1, 2 do end\nlocal t = nil\nt()" 0
EVAL "for i = 1, 2 do local z = 1 end\nredis.nosuch()" 0
EVAL "do local a, b, c = 1, 2, 3 end\nlocal x\nx.y = 1" 0
EVAL "do local a = 1 end\nreturn (nil)()" 0
EVAL "if true then local q = 5 end\nlocal w = {}\nreturn w.a.b" 0
EVAL "for k, v in pairs({a=1}) do local s = v .. {} end" 0
EVAL "for k, v in pairs({a=1}) do end\nreturn KEYS()" 0
EVAL "local t = {}\nfor i = 1, 3 do\n  local x = t[i]\n  x.foo = 1\nend" 0
EVAL "local function f(a, b) return a + b end\nreturn f(1)" 0
EVAL "local function f(a, b) return a .. b end\nreturn f('x')" 0
EVAL "local obj = {}\nfunction obj:m() return self.missing.x end\nreturn obj:m()" 0
EVAL "local obj = {}\nfunction obj.m(self) return self:nope() end\nreturn obj.m(obj)" 0
EVAL "return pcall(function() local t; return t.x end)" 0
EVAL "local ok, e = pcall(function() local t; return t.x end); return e" 0
EVAL "local ok, e = pcall(function() return nosuch_fn_x end); return e" 0
EVAL "local ok, e = xpcall(function() local t; t() end, function(m) return 'H:' .. m end); return e" 0
EVAL "local s = 'abc'; return s:nosuch()" 0
EVAL "local t = setmetatable({}, {__index = function(t, k) return nil end}); return t.x.y" 0
EVAL "local t = setmetatable({}, {__concat = function(a, b) return nil end}); return t .. 'x' .. {}" 0
EVAL "local a = {}; local b = 'x'; return a .. b" 0
EVAL "local a = 'x'; local b = {}; local c = 'y'; return a .. b .. c" 0
EVAL "local a = {}; local b = {}; return 'x' .. a .. b" 0
EVAL "local t = {1,2}; return t[1] .. t[3]" 0
EVAL "return #KEYS[1]" 0
EVAL "local x = -ARGV[2]" 0
EVAL "local up = 'str'; local function f() return -up end; return f()" 0
EVAL "local up = {}; local function f() return #up end; local function g() return up() end; return g()" 0
EVAL "local t = {f = {}}; return t.f()" 0
EVAL "local t = {}; return t.a.b.c()" 0
EVAL "local x = redis; return x.nothing()" 0
EVAL "local a; local b = a; return b.x" 0
EVAL "local t = {}; t.x = t.y + 1" 0
EVAL "local t = {}; return 2 ^ t" 0
EVAL "local t = {}; return t % 2" 0
EVAL "local a = 1; local t = {}; a = a + t.x" 0
EVAL "local a = {} ; a.b = {} ; a.b.c.d = 1" 0
EVAL "local i = 0; while i < 3 do local j = i; i = i + 1 end; local q; q()" 0
EVAL "repeat local z = 1 until z.y" 0
EVAL "local t = {}\nlocal function f()\n  local u = t.missing\n  return u.x\nend\nreturn f()" 0
EVAL "local f = function(...) local a = ... ; return a.x end; return f()" 0
EVAL "local f = function(...) return (...).x end; return f()" 0
EVAL "local function f(...) local t = {...}; return t.a.b end; return f(1)" 0
EVAL "local a = {}; a[#a] = a.b.c" 0
EVAL "local s = 'x'; local t = {s = s}; return t.s.u.v" 0
EVAL "local t = {}; function t.f() return t.g() end; return t.f()" 0
EVAL "local t = {}; return t.x < 1" 0
EVAL "local t = {}\nfor i = t.x + 1, 2 do end" 0
EVAL "local t = {}\nfor k, v in t.nope do end" 0
EVAL "local t = {}\nfor k, v in pairs(t) do local a = k end\nfor i = 1, 2 do local b = i end\nlocal c\nreturn c.x" 0
EVAL "local function outer()\n  do local p, q = 1, 2 end\n  local r\n  return r()\nend\nreturn outer()" 0
EVAL "if ARGV[1] then local a = 1 else local b = 2 end\nlocal z\nreturn z + 1" 0
EVAL "local x = 1\nrepeat local y = x; x = x + 1 until x > 3\nlocal w\nreturn #w" 0
EVAL "local t = {}\nfunction t:m(a)\n  do local u = 1 end\n  local v\n  return self.q .. v\nend\nreturn t:m(1)" 0
EVAL "local a = {}\nlocal function g() local h; return h end\nlocal k = g()\nk.x = 1" 0
EVAL "local s = 0\nfor i = 1, 3 do\n  local v = {i}\n  s = s + v[1]\nend\nreturn s + nil" 0
EVAL "local data = {}\nfor i = 1, 3 do data[i] = i end\nlocal total\nfor _, v in ipairs(data) do total = total + v end" 0
EVAL "local t = {}; local k = 'x'; return t[k].y" 0
EVAL "local t = {a = {}}; return t.a[1].z" 0
EVAL "local a, b, c = 1, 2\nreturn c.x" 0
EVAL "local function f(...) return ... end; local r = f(); return r.x" 0
EVAL "local t = {}; return -t.x" 0
EVAL "local t = {}; return #t.x" 0
EVAL "local msg = nil; error(msg .. 'x')" 0
EVAL "return redis.call('ping') .. nil" 0
EVAL "local r = redis.call('ping'); return r .. {}" 0
EVAL "return tonumber('x') + 1" 0
EVAL "local function f(a) a = a() end return f()" 0
EVAL "local t = {} local function f(a) a = t.x() end return f()" 0
EVAL "local function f(a, b) b = b() end return f()" 0
EVAL "local function f(a) a = a.x() end return f({})" 0
FUNCTION LOAD "#!lua name=names\nredis.register_function('inner', function() redis.register_function('x', function() return 1 end) end)\nredis.register_function('arith', function(keys, args) local n = args[1] return n + 1 end)"
FCALL inner 0
FCALL arith 0
FCALL arith 0 x
`)
}
