package server_test

import (
	"testing"

	"moonstone/internal/testkit"
)

// Conversions between Lua values and replies, both ways.
func TestScriptConversionsMatchRedis(t *testing.T) {
	testkit.Diff(t, `
# Lua -> reply
EVAL "return 'hello'" 0
EVAL "return 100.5" 0
EVAL "return -100.9" 0
EVAL "return 0" 0
EVAL "return 1e20" 0
EVAL "return -1e20" 0
EVAL "return 0/0" 0
EVAL "return 1/0" 0
EVAL "return true" 0
EVAL "return false" 0
EVAL "return nil" 0
EVAL "return" 0
EVAL "return {}" 0
EVAL "return {1,2,3,'ciao',{1,2}}" 0
EVAL "return {1,2,nil,4}" 0
EVAL "return {1,false,3}" 0
EVAL "return {1,true,3}" 0
EVAL "return {a=1,b=2}" 0
EVAL "return {1,2,a=3}" 0
EVAL "return {ok='fine'}" 0
EVAL "return {ok='a\\nb'}" 0
EVAL "return {err='ERR this is an error'}" 0
EVAL "return {err='MYCODE custom'}" 0
EVAL "return {err='nocode'}" 0
EVAL "return {err=''}" 0
EVAL "return {err='a\\nb'}" 0
EVAL "return {err='E', ok='O'}" 0
EVAL "return {ok=5}" 0
EVAL "return {err=5}" 0
EVAL "return {{ok='x'}, {err='ERR y'}, 3}" 0
EVAL "return redis.status_reply('MY_OK custom')" 0
EVAL "return redis.status_reply('')" 0
EVAL "return redis.status_reply()" 0
EVAL "return redis.error_reply('MY_ERR custom msg')" 0
EVAL "return redis.error_reply('')" 0
EVAL "return redis.error_reply('FOO')" 0
EVAL "return redis.error_reply('-FOO bar')" 0
EVAL "return redis.error_reply(5)" 0
EVAL "return _G" 0
EVAL "local a = {}; setmetatable(a,{__index=function() foo() end}) return a" 0
EVAL "return {double=3.5}" 0
EVAL "return {big_number='12345'}" 0
EVAL "return {verbatim_string={format='txt', string='hi'}}" 0
EVAL "return {map={a=1}}" 0
EVAL "return {set={a=true}}" 0
EVAL "return {KEYS[1],KEYS[2],ARGV[1],ARGV[2]}" 2 a b c d
EVAL "return #KEYS + #ARGV" 0
EVAL "return {type(KEYS), type(ARGV)}" 0
# reply -> Lua
SET mykey myval
SET x 0
EVAL "local foo = redis.pcall('incr',KEYS[1]) return {type(foo),foo}" 1 x
EVAL "local foo = redis.pcall('get',KEYS[1]) return {type(foo),foo}" 1 mykey
MSET a 1 b 2 c 3
EVAL "local foo = redis.pcall('mget','a','b','c') return {type(foo),foo[1],foo[2],foo[3],#foo}" 0
EVAL "local foo = redis.pcall('set',KEYS[1],'myval') return {type(foo),foo['ok']}" 1 mykey
EVAL "local foo = redis.pcall('incr',KEYS[1]) return {type(foo),foo['err']}" 1 mykey
DEL mykey
EVAL "local foo = redis.pcall('get',KEYS[1]) return {type(foo),foo == false}" 1 mykey
EVAL "return redis.call('incrbyfloat', 'f', '1.5')" 0
EVAL "return type(redis.call('incrbyfloat', 'f', '1.5'))" 0
EVAL "return redis.call('ping')" 0
EVAL "return redis.call('ping', 'x')" 0
EVAL "return redis.call('echo', 'x')" 0
EVAL "return redis.call('mget', 'nokey', 'f')" 0
# numbers passed as arguments
EVAL "return redis.call('set', 'n', 9007199254740991)" 0
GET n
EVAL "redis.call('set', 'n', 3) return redis.call('get', 'n')" 0
EVAL "redis.call('set', 'n', -3) return redis.call('get', 'n')" 0
EVAL "redis.call('set', 'n', 1e10) return redis.call('get', 'n')" 0
EVAL "redis.call('set', 'n', '12039611435714932082') return redis.call('get', 'n')" 0
EVAL "return redis.call('set', 'n', true)" 0
EVAL "return redis.call('set', 'n', nil)" 0
EVAL "return redis.call('set', 'n', {})" 0
`)
}

// Error replies: compile errors, runtime errors, redis.call errors.
func TestScriptErrorsMatchRedis(t *testing.T) {
	testkit.Diff(t, `
EVAL "return x" 0
EVAL "x = 10" 0
EVAL "error('boom')" 0
EVAL "error('boom', 0)" 0
EVAL "error('boom', 2)" 0
EVAL "\n\nerror('line three')" 0
EVAL "local function f() error('inner') end\nf()" 0
EVAL "error({err='MY boom'})" 0
EVAL "error(5)" 0
EVAL "error()" 0
EVAL "return redis.call('nosuchcommand')" 0
EVAL "return redis.call('get','a','b','c')" 0
EVAL "return redis.call('set','invalid')" 0
EVAL "return redis.call('incr')" 0
EVAL "return redis.call('config')" 0
EVAL "return redis.call('config', 'nosuch')" 0
EVAL "return redis.pcall('nosuchcommand')" 0
EVAL "return redis.call()" 0
EVAL "return redis.pcall()" 0
EVAL "return redis.call({})" 0
EVAL "return redis.call('ping', {})" 0
EVAL "return redis.sha1hex()" 0
EVAL "return redis.call('eval', 'return 1', 0)" 0
EVAL "return redis.call('script', 'load', 'return 1')" 0
EVAL "return redis.pcall('script', 'load', 'return 1')" 0
EVAL "return redis.call('shutdown')" 0
EVAL "return redis.call('select', 99)" 0
EVAL "return redis.pcall('select', 99)" 0
SET foo bar
EVAL "redis.call('incr',KEYS[1])" 1 foo
EVAL "return redis.pcall('incr',KEYS[1])" 1 foo
EVAL "local t = redis.pcall('incr',KEYS[1]) return t['err']" 1 foo
EVAL "return {pcall(redis.call, 'nosuch')}" 0
EVAL "return {pcall(error, {err='x'})}" 0
EVAL "return {pcall(error, 'x')}" 0
EVAL "local ok, e = pcall(error, {1,2}); return type(e)" 0
EVAL "return {xpcall(function() error({err='E'}) end, function(e) return type(e) end)}" 0
EVAL "local status, res = pcall(function() return 1 end); return 'status: ' .. tostring(status) .. ' result: ' .. res" 0
EVAL "local status, res = pcall(function() return foo end); return 'status: ' .. tostring(status) .. ' result: ' .. res" 0
EVAL "return redis.log()" 0
EVAL "return redis.log('x', 'y')" 0
EVAL "return redis.log(9, 'y')" 0
EVAL "return redis.log(redis.LOG_WARNING, 'from a test')" 0
EVAL "return redis.setresp()" 0
EVAL "return redis.setresp(4)" 0
EVAL "return redis.set_repl(12345)" 0
EVAL "return redis.set_repl(redis.REPL_ALL)" 0
EVAL "return redis.replicate_commands()" 0
EVAL "return redis.acl_check_cmd('set','xx',1)" 0
EVAL "return redis.acl_check_cmd('invalid-cmd','arg')" 0
EVAL "return redis.acl_check_cmd()" 0
# compile errors
EVAL "return 'abc" 0
EVAL "return [[abc" 0
EVAL "return [==[abc]=]" 0
EVAL "--[[ abc" 0
EVAL "x = " 0
EVAL "return 'hello' --trailing comment" 0
# numkeys
EVAL "return 1" -1
EVAL "return 1" -12
EVAL "return 1" 1
EVAL "return 1" abc
EVAL "return 1" 2 a
EVALSHA abc 0
EVALSHA abc x
EVALSHA ffd632c7d33e571e9f24556ebed26c3479a87130 0
EVALSHA ffd632c7d33e571e9f24556ebed26c3479a87130 x
EVALSHA ffd632c7d33e571e9f24556ebed26c3479a87130 5
EVAL
EVAL "return 1"
EVALSHA x
`)
}

// Shebang flags and read-only scripts.
func TestScriptShebangMatchesRedis(t *testing.T) {
	testkit.Diff(t, `
EVAL "#!lua\nreturn 1" 0
EVAL "#!lua" 0
EVAL "#!not-lua\nreturn 1" 0
EVAL "#!lua badger=data\nreturn 1" 0
EVAL "#!lua flags=allow-oom,what?\nreturn 1" 0
EVAL "#!lua flags=\nreturn 1" 0
EVAL "#!lua flags=no-writes,allow-oom,allow-stale,no-cluster,allow-cross-slot-keys\nreturn 1" 0
EVAL "#!lua flags=no-writes\nreturn redis.call('set','x',1)" 1 x
EVAL "#!lua flags=no-writes\nreturn redis.pcall('set','x',1)" 1 x
EVAL "#!lua flags=no-writes\nreturn redis.call('get','x')" 1 x
EVAL "#!lua\nreturn redis.call('set','x',1)" 1 x
EVAL "#!lua\nreturn x" 0
EVAL_RO "return redis.call('get','x')" 1 x
EVAL_RO "return redis.call('del','x')" 1 x
EVAL_RO "#!lua\nreturn 1" 0
EVAL_RO "#!lua flags=no-writes\nreturn 1" 0
SCRIPT LOAD "#!lua\nreturn 2"
EVALSHA_RO 17d8ad9b7a5f2b04fd5848d7fa1e39afca9c1ab6 0
EVALSHA_RO ffd632c7d33e571e9f24556ebed26c3479a87130 0
GET x
`)
}

// SCRIPT subcommands.
func TestScriptCommandsMatchRedis(t *testing.T) {
	testkit.Diff(t, `
SCRIPT LOAD "return redis.call('GET', KEYS[1])"
SCRIPT LOAD "return 'loaded'"
EVALSHA b534286061d4b9e4026607613b95c06c06015ae8 0
EVALSHA B534286061D4B9E4026607613B95C06C06015AE8 0
SCRIPT EXISTS b534286061d4b9e4026607613b95c06c06015ae8 B534286061D4B9E4026607613B95C06C06015AE8 ffd632c7d33e571e9f24556ebed26c3479a87130 short
EVAL "return 1+1" 0
SCRIPT EXISTS a27e7e8a43702b7046d4f6a7ccf5b60cef6b9bd9 a27e7e8a43702b7046d4f6a7ccf5b60cef6b9bda
SCRIPT LOAD "return +"
SCRIPT LOAD "#!lua flags=bad\nreturn 1"
SCRIPT LOAD
SCRIPT LOAD a b
SCRIPT EXISTS
SCRIPT FLUSH
SCRIPT EXISTS b534286061d4b9e4026607613b95c06c06015ae8
EVALSHA b534286061d4b9e4026607613b95c06c06015ae8 0
SCRIPT FLUSH SYNC
SCRIPT FLUSH ASYNC
SCRIPT FLUSH sync
SCRIPT FLUSH bad
SCRIPT FLUSH SYNC extra
SCRIPT KILL
SCRIPT KILL x
SCRIPT HELP
SCRIPT help extra
SCRIPT NOSUCH
SCRIPT
SCRIPT DEBUG bad
SCRIPT DEBUG NO
EVAL "return redis.call('script', 'kill')" 0
`)
}

// Lua's standard library as Redis ships it, and what is left out.
func TestScriptLibrariesMatchRedis(t *testing.T) {
	testkit.Diff(t, `
EVAL "local t={} for k,v in pairs(string) do t[#t+1]=k..':'..type(v) end table.sort(t) return table.concat(t,' ')" 0
EVAL "local t={} for k,v in pairs(math) do t[#t+1]=k..':'..type(v) end table.sort(t) return table.concat(t,' ')" 0
EVAL "local t={} for k,v in pairs(table) do t[#t+1]=k..':'..type(v) end table.sort(t) return table.concat(t,' ')" 0
EVAL "local t={} for k,v in pairs(coroutine) do t[#t+1]=k..':'..type(v) end table.sort(t) return table.concat(t,' ')" 0
EVAL "local t={} for k,v in pairs(redis) do t[#t+1]=k..':'..type(v) end table.sort(t) return table.concat(t,' ')" 0
EVAL "return {redis.REDIS_VERSION, redis.REDIS_VERSION_NUM}" 0
EVAL "return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}" 0
EVAL "return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}" 0
EVAL "return _VERSION" 0
EVAL "loadfile('some file')" 0
EVAL "dofile('some file')" 0
EVAL "print('some data')" 0
EVAL "return getfenv" 0
EVAL "return setfenv" 0
EVAL "return newproxy" 0
EVAL "return os" 0
EVAL "return io" 0
EVAL "return debug" 0
EVAL "return package" 0
EVAL "return module" 0
EVAL "return {redis.sha1hex(''), redis.sha1hex('Pizza & Mandolino'), redis.sha1hex(5)}" 0
EVAL "return {tostring(1e15), tostring(1/3), tostring(0.1), tostring(-0), tostring(2^63), tostring(1e100), tostring(math.huge), tostring(-math.huge), tostring(100), tostring(-7.25)}" 0
EVAL "return {tonumber('1e5'), tonumber('0x10'), tonumber(' 5 '), tonumber('5.'), tonumber('10', 2), tonumber('ff', 16), tonumber('zz', 36), tonumber(' 12 ', 10)}" 0
EVAL "return {tonumber('1e') == nil, tonumber('') == nil, tonumber('abc') == nil, tonumber('5 x') == nil, tonumber(nil) == nil}" 0
EVAL "return tostring(tonumber('.5'))" 0
EVAL "return string.format('%s %d %5.2f %g %q %x %5s|%-5s|%c %i %e %o %X %u %%', 1/3, 3.7, 3.14159, 1e20, 'a\"b\\n', 255, 'ab', 'cd', 65, 4, 12345.678, 8, 255, 7)" 0
EVAL "return string.format('%g %g %g %.3g %10.4f|%-10d|%+d|% d', 100000, 1e6, 0.0001, 2/3, math.pi, 42, 5, 5)" 0
EVAL "return string.format('%5.1s|%.2s|%s', 'abc', 'abc', 12.5)" 0
EVAL "return string.format('%d', 'x')" 0
EVAL "return string.format('%z', 1)" 0
EVAL "return string.format('%d')" 0
EVAL "return string.rep('ab', 3)" 0
EVAL "return string.rep('ab', 0)" 0
EVAL "return string.rep('ab', -1)" 0
EVAL "return {string.byte('hello', 1, -1)}" 0
EVAL "return {string.byte('hello')}" 0
EVAL "return {string.byte('hello', 10)}" 0
EVAL "return string.char(72, 105)" 0
EVAL "return {string.find('hello world', 'o w')}" 0
EVAL "return {string.find('hello', 'l+')}" 0
EVAL "return {string.match('key:123', '(%a+):(%d+)')}" 0
EVAL "return {string.gsub('hello world', 'o', '0')}" 0
EVAL "return {string.gsub('hello world', '(%w+)', '<%1>')}" 0
EVAL "return {string.gsub('hello', 'l', {l='L'})}" 0
EVAL "return {string.gsub('hello', '.', function(c) return c:upper() end)}" 0
EVAL "return {string.gsub('abc', '', '-')}" 0
EVAL "local t = {} for w in string.gmatch('one two three', '%a+') do t[#t+1] = w end return t" 0
EVAL "return {string.sub('hello', 2, -2), string.upper('abc'), string.lower('ABC'), string.len('abc'), string.reverse('abc')}" 0
EVAL "return ('x'):rep(3)" 0
EVAL "return table.concat({1, 2.5, 'x'}, ',')" 0
EVAL "return table.concat({1, 2, 3}, ', ', 2, 3)" 0
EVAL "return table.concat({1, {}, 3})" 0
EVAL "local t = {3,1,2} table.sort(t) return t" 0
EVAL "local t = {3,1,2} table.sort(t, function(a,b) return a > b end) return t" 0
EVAL "local t = {1,2} table.insert(t, 3) table.insert(t, 1, 0) return t" 0
EVAL "local t = {1,2,3} table.remove(t, 1) return t" 0
EVAL "return {table.getn({1,2,3}), table.maxn({1,2,nil,4})}" 0
EVAL "return table.setn({}, 3)" 0
EVAL "local r = {} table.foreach({a=1}, function(k, v) r[#r+1] = k .. v end) return r" 0
EVAL "local r = {} table.foreachi({'x','y'}, function(i, v) r[#r+1] = i .. v end) return r" 0
EVAL "return {math.floor(3.7), math.ceil(3.2), math.abs(-2), math.max(1,5,3), math.min(4,2), math.fmod(7,3), math.mod(7,3), math.sqrt(16), math.pow(2,10)}" 0
EVAL "return {math.huge == 1/0, -math.huge == -1/0, math.pi > 3.14}" 0
EVAL "return {select('#', 1, 2, 3), select(2, 'a', 'b', 'c')}" 0
EVAL "return {unpack({1,2,3})}" 0
EVAL "return {unpack({1,2,3}, 2)}" 0
EVAL "local a = {} for i=1,7999 do a[i] = 1 end return select('#', unpack(a))" 0
EVAL "local a = {} for i=1,8000 do a[i] = 1 end return select('#', unpack(a))" 0
EVAL "return type(collectgarbage('count'))" 0
EVAL "return type(gcinfo())" 0
EVAL "return {assert(1, 'x')}" 0
EVAL "assert(false, 'my assert')" 0
EVAL "assert(nil)" 0
EVAL "return {rawequal(1, 1), rawequal({}, {})}" 0
EVAL "return rawget({a=1}, 'a')" 0
EVAL "local t = {} rawset(t, 'a', 1) return t.a" 0
EVAL "return type(next({}))" 0
EVAL "local co = coroutine.create(function(a) local b = coroutine.yield(a + 1) return b * 2 end) local _, x = coroutine.resume(co, 1) local _, y = coroutine.resume(co, 10) return {x, y, coroutine.status(co)}" 0
EVAL "local f = coroutine.wrap(function() coroutine.yield(1) coroutine.yield(2) end) return {f(), f()}" 0
EVAL "local f = loadstring('return 1 + 1') return f()" 0
EVAL "local f, e = loadstring('return +') return {tostring(f), e}" 0
EVAL "local f, e = loadstring('return x', 'chunky'); return {f()}" 0
EVAL "return loadstring(string.dump(function() return 1 end))" 0
EVAL "return load(function() return nil end)" 0
EVAL "local i = 0 local f = load(function() i = i + 1 if i == 1 then return 'return 7' end end) return f()" 0
EVAL "math.randomseed(ARGV[1]); return tostring(math.random())" 0 10
EVAL "math.randomseed(10); return {math.random(10), math.random(5, 15), math.random(1)}" 0
EVAL "return math.random(0)" 0
EVAL "return math.random(3, 1)" 0
`)
}

// The read-only protection of the globals and libraries.
func TestScriptSandboxMatchesRedis(t *testing.T) {
	testkit.Diff(t, `
EVAL "a = 10" 0
EVAL "redis = function() return 1 end" 0
EVAL "_G = {}" 0
EVAL "setmetatable(_G, {})" 0
EVAL "local g = getmetatable(_G) g.__index = {}" 0
EVAL "return type(getmetatable(_G))" 0
EVAL "redis.call = function() return 1 end" 0
EVAL "string.format = nil" 0
EVAL "string.foo = 1" 0
EVAL "math.floor = nil" 0
EVAL "table.insert = nil" 0
EVAL "rawset(_G, 'x', 1)" 0
EVAL "rawset(string, 'x', 1)" 0
EVAL "table.insert(string, 'x')" 0
EVAL "return rawget(_G, 'redis') == redis" 0
EVAL "return rawget(_G, 'nosuch')" 0
EVAL "local n = 0 for k, v in pairs(redis) do n = n + 1 end return n" 0
EVAL "return next(_G) ~= nil" 0
EVAL "coroutine.foo = 1" 0
EVAL "local t = {} setmetatable(t, {__index = _G}) t.x = 1 return t.x" 0
EVAL "KEYS[1] = 'changed' return KEYS[1]" 1 orig
EVAL "return KEYS[1]" 1 orig
EVAL "local f = loadstring('y = 1') f()" 0
EVAL "return ('abc'):upper()" 0
`)
}

// The globals, once the cjson, cmsgpack, struct and bit libraries are in.
func TestScriptGlobalsMatchRedis(t *testing.T) {
	p := testkit.StartPair(t)
	if v, _, _ := p.Do("EVAL", "return type(rawget(_G, 'cjson'))", "0"); v != "$5\r\ntable\r\n" {
		t.Skip("the Redis Lua libraries are not in this build yet")
	}
	p.Run(t, `
EVAL "local t={} for k,v in pairs(_G) do t[#t+1]=k..':'..type(v) end table.sort(t) return table.concat(t,' ')" 0
EVAL "return {type(cjson), type(cmsgpack), type(struct), type(bit)}" 0
EVAL "cjson.encode = function() return 1 end" 0
EVAL "cmsgpack.pack = function() return 1 end" 0
EVAL "bit.lshift = function() return 1 end" 0
EVAL "struct.pack = nil" 0
EVAL "rawset(cjson, 'x', 1)" 0
`)
}

// Errors of commands called from scripts, with a second data type.
func TestScriptCommandErrorsMatchRedis(t *testing.T) {
	p := testkit.StartPair(t)
	if v, _, _ := p.Do("LPUSH", "probe", "x"); v != ":1\r\n" {
		t.Skip("lists are not in this build yet")
	}
	p.Run(t, `
SET foo bar
EVAL "redis.call('lpush',KEYS[1],'val')" 1 foo
EVAL "return redis.pcall('lpush',KEYS[1],'val')" 1 foo
EVAL "local t = redis.pcall('lpush',KEYS[1],'val') return t['err']" 1 foo
EVAL "local result = redis.pcall('GET', KEYS[1]) if type(result) == 'table' and result.err then return 'Error: ' .. result.err end return result" 1 probe
DEL mylist
RPUSH mylist a b c
EVAL "local foo = redis.pcall('lrange',KEYS[1],0,-1) return {type(foo),foo[1],foo[2],foo[3],#foo}" 1 mylist
ZADD z 1.5 a 2 b
EVAL "return redis.call('zscore', 'z', 'a')" 0
EVAL "return type(redis.call('zscore', 'z', 'a'))" 0
EVAL "redis.setresp(3) return redis.call('zscore', 'z', 'a')" 0
EVAL "redis.setresp(3) local v = redis.call('zscore', 'z', 'a') return {type(v), v.double}" 0
EVAL "redis.setresp(3) return redis.call('zscore', 'z', 'nosuch')" 0
EVAL "redis.setresp(3) local v = redis.call('get', 'nosuchkey') return type(v)" 0
EVAL "return redis.call('zrange', 'z', 0, -1, 'withscores')" 0
EVAL "local i local x={} redis.call('del','mylist') for i=1,100 do table.insert(x,i) end redis.call('rpush','mylist',unpack(x)) return redis.call('lrange','mylist',0,-1)" 1 mylist


`)
}
