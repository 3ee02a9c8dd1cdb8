package server_test

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"moonstone/internal/testkit"
)

// FUNCTION LOAD's metadata, registration and load-environment errors.
func TestFunctionLoadMatchesRedis(t *testing.T) {
	testkit.Diff(t, `
FUNCTION LOAD "#!lua name=lib1\nredis.register_function('f1', function(keys, args) return 'hello' end)"
FCALL f1 0
FCALL F1 0
FUNCTION LOAD "#!lua name=lib1\nredis.register_function('f1', function(keys, args) return 'hello' end)"
FUNCTION LOAD REPLACE "#!lua name=lib1\nredis.register_function('f1', function(keys, args) return 'hello1' end)"
FCALL f1 0
FUNCTION LOAD replace replace "#!lua name=lib1\nredis.register_function('f1', function(keys, args) return 'hello2' end)"
FUNCTION LOAD foo bar "#!lua name=lib1\nredis.register_function('f1', function() return 1 end)"
FUNCTION LOAD
FUNCTION LOAD "return 1"
FUNCTION LOAD "#!lua name=x"
FUNCTION LOAD "#!lua\nredis.register_function('foo', function() return 1 end)"
FUNCTION LOAD "#! name=test\nredis.register_function('foo', function() return 1 end)"
FUNCTION LOAD "#!bad_engine name=test\nredis.register_function('foo', function() return 1 end)"
FUNCTION LOAD "#!LUA name=upper\nredis.register_function('foo_upper', function() return 1 end)"
FUNCTION LOAD "#!lua name=test foo=bar\nredis.register_function('foo', function() return 1 end)"
FUNCTION LOAD "#!lua name=foo name=bar\nredis.register_function('foo', function() return 1 end)"
FUNCTION LOAD "#!lua NAME=\"quoted\"\nredis.register_function('fquoted', function() return 1 end)"
FUNCTION LOAD "#!lua name=\"unbalanced\nredis.register_function('fq', function() return 1 end)"
FUNCTION LOAD "#!lua name=bad-name\nredis.register_function('foo', function() return 1 end)"
FUNCTION LOAD "#!lua name=\nredis.register_function('foo', function() return 1 end)"
FUNCTION LOAD "#!lua name=lib2\nreturn 1"
FUNCTION LOAD "#!lua name=lib2\nredis.register_function()"
FUNCTION LOAD "#!lua name=lib2\nredis.register_function('f1')"
FUNCTION LOAD "#!lua name=lib2\nredis.register_function('f1', function() return 1 end, {}, 'description', 'extra arg')"
FUNCTION LOAD "#!lua name=lib2\nredis.register_function(nil, function() return 1 end)"
FUNCTION LOAD "#!lua name=lib2\nredis.register_function('f2', 'not a function')"
FUNCTION LOAD "#!lua name=lib2\nredis.register_function('test\0test', function() return 1 end)"
FUNCTION LOAD "#!lua name=lib2\nredis.register_function('', function() return 1 end)"
FUNCTION LOAD "#!lua name=lib2\nredis.register_function('a-b', function() return 1 end)"
FUNCTION LOAD "#!lua name=lib2\nredis.register_function('f2', function() return 1 end)\nredis.register_function('f2', function() return 1 end)"
FUNCTION LOAD "#!lua name=lib2\nredis.register_function('f1', function() return 1 end)"
FUNCTION LOAD "#!lua name=lib2\nredis.register_function('F1', function() return 1 end)"
FUNCTION LOAD "#!lua name=lib2\nreturn math.random()"
FUNCTION LOAD "#!lua name=lib2\nreturn redis.call('ping')"
FUNCTION LOAD "#!lua name=lib2\nreturn redis.setresp(3)"
FUNCTION LOAD "#!lua name=lib2\nreturn redis.set_repl(redis.REPL_NONE)"
FUNCTION LOAD "#!lua name=lib2\nredis.math.random()"
FUNCTION LOAD "#!lua name=lib2\nredis.redis.call('ping')"
FUNCTION LOAD "#!lua name=lib2\na = 1"
FUNCTION LOAD "#!lua name=lib2\nredis.x = 1"
FUNCTION LOAD "#!lua name=lib2\nmt = getmetatable(_G)"
FUNCTION LOAD "#!lua name=lib2\nerror('boom')"
FUNCTION LOAD "#!lua name=lib2\nlocal a = 1\nwhile 1 do a = a + 1 end"
FUNCTION LOAD "#!lua name=lib2\nlocal t = {}\nt.x.y = 1"
FUNCTION LOAD "#!lua name=lib2\nredis.register_function{function_name='f2', callback=function() return 1 end, description='some desc'}"
FUNCTION LOAD "#!lua name=lib3\nredis.register_function{function_name=function() return 1 end, callback=function() return 1 end}"
FUNCTION LOAD "#!lua name=lib3\nredis.register_function{function_name='f3', callback='bad'}"
FUNCTION LOAD "#!lua name=lib3\nredis.register_function{function_name='f3', callback=function() return 1 end, description=function() return 1 end}"
FUNCTION LOAD "#!lua name=lib3\nredis.register_function{function_name='f3', callback=function() return 1 end, some_unknown='unknown'}"
FUNCTION LOAD "#!lua name=lib3\nredis.register_function{callback=function() return 1 end}"
FUNCTION LOAD "#!lua name=lib3\nredis.register_function{function_name='f3'}"
FUNCTION LOAD "#!lua name=lib3\nredis.register_function{function_name='f3', callback=function() return 1 end, flags='bad flags type'}"
FUNCTION LOAD "#!lua name=lib3\nredis.register_function{function_name='f3', callback=function() return 1 end, flags={function() return 1 end}}"
FUNCTION LOAD "#!lua name=lib3\nredis.register_function{function_name='f3', callback=function() return 1 end, flags={'unknown'}}"
FUNCTION LOAD "#!lua name=lib3\nredis.register_function{[1]='f3'}"
FUNCTION LOAD "#!lua name=lib3\nredis.register_function('f3')"
FUNCTION LOAD "#!lua name=lib3\nredis.register_function{FUNCTION_NAME='f3', CALLBACK=function() return 1 end, FLAGS={'No-Writes', 'allow-oom', 'allow-stale', 'no-cluster', 'allow-cross-slot-keys'}}"
FUNCTION LIST LIBRARYNAME lib3
FUNCTION LOAD "#!lua name=lib4\nlocal v = redis.REDIS_VERSION_NUM\nredis.log(redis.LOG_NOTICE, 'loading', redis.REDIS_VERSION)\nredis.register_function('ver', function() return {v, redis.REDIS_VERSION} end)"
FCALL ver 0
FUNCTION LOAD "#!lua name=lib5\nlocal lib = redis\nlib.register_function('f5', function() lib.redis = redis end)\nlib.register_function('f6', function() lib.register_function('f7', function() end) end)"
FCALL f5 0
FCALL f6 0
# Redis lists a library's functions in hash order: one function a library here.
FUNCTION DELETE lib5
~FUNCTION LIST
FUNCTION STATS
`)
}

// FCALL and FCALL_RO: arguments, replies, errors, flags.
func TestFcallMatchesRedis(t *testing.T) {
	testkit.Diff(t, `
FCALL nosuch 0
FUNCTION LOAD "#!lua name=lib\nlocal function helper(x) return x + 1 end\nredis.register_function('add', function(keys, args) return helper(tonumber(args[1])) end)\nredis.register_function('set', function(keys, args) return redis.call('set', keys[1], args[1]) end)\nredis.register_function('get', function(keys, args) return redis.call('get', keys[1]) end)\nredis.register_function('err', function(keys, args) error('bad') end)\nredis.register_function('errtable', function(keys, args) return redis.error_reply('MY custom') end)\nredis.register_function('keys', function(keys, args) return {keys, args, #keys, #args} end)\nredis.register_function('globals', function(keys, args) return KEYS end)\nredis.register_function('setglobal', function(keys, args) x = 1 end)\nredis.register_function('ping', function() return redis.call('ping') end)\nredis.register_function('nested', function() return redis.call('fcall', 'ping', 0) end)\nredis.register_function('version', function() return redis.REDIS_VERSION end)\nredis.register_function('wrongtype', function(keys) return redis.call('lpush', keys[1], 'x') end)\nredis.register_function('pcall', function(keys) return redis.pcall('lpush', keys[1], 'x') end)"
FCALL add 0 41
FCALL set 1 k v
FCALL get 1 k
FCALL GET 1 k
FCALL err 0
FCALL errtable 0
FCALL keys 2 a b c d
FCALL keys 0
FCALL globals 0
FCALL setglobal 0
FCALL ping 0
FCALL nested 0
FCALL version 0
FCALL wrongtype 1 k
FCALL pcall 1 k
FCALL set bad k
FCALL set 10 k
FCALL set -1 k
FCALL set
FCALL_RO get 1 k
FCALL_RO set 1 k v
FCALL_RO nosuch 0
FUNCTION LOAD "#!lua name=ro\nredis.register_function{function_name='roget', callback=function(keys) return redis.call('get', keys[1]) end, flags={'no-writes'}}\nredis.register_function{function_name='roset', callback=function(keys) return redis.call('set', keys[1], 'x') end, flags={'no-writes'}}\nredis.register_function{function_name='ropcall', callback=function(keys) return redis.pcall('set', keys[1], 'x') end, flags={'no-writes'}}"
FCALL roget 1 k
FCALL_RO roget 1 k
FCALL roset 1 k
FCALL_RO roset 1 k
FCALL ropcall 1 k
GET k
COMMAND GETKEYS fcall test 1 x foo
COMMAND GETKEYS fcall_ro test 2 x y foo
FUNCTION LOAD "#!lua name=trick\nredis.register_function('f1', function() mt = getmetatable(_G) original_globals = mt.__index original_globals['redis'] = function() return 1 end end)"
FCALL f1 0
`)
}

// FUNCTION LIST, DELETE, FLUSH, STATS, KILL, HELP and their errors.
func TestFunctionManagementMatchesRedis(t *testing.T) {
	testkit.Diff(t, `
FUNCTION LIST
FUNCTION STATS
FUNCTION KILL
FUNCTION HELP
FUNCTION HELP extra
FUNCTION bad_subcommand
FUNCTION
FUNCTION LOAD "#!lua name=library1\nredis.register_function('f6', function(keys, args) return 7 end)"
FUNCTION LOAD "#!lua name=lib1\nredis.register_function{function_name='f7', callback=function(keys, args) return 7 end, description='seven', flags={'allow-oom', 'no-writes'}}"
~FUNCTION LIST WITHCODE
FUNCTION LIST LIBRARYNAME library*
FUNCTION LIST LIBRARYNAME LIBRARY*
FUNCTION LIST libraryname lib1 withcode
FUNCTION LIST libraryname nomatch
FUNCTION LIST bad_argument
FUNCTION LIST libraryname
FUNCTION LIST withcode withcode
FUNCTION LIST withcode libraryname foo libraryname foo
FUNCTION STATS
FUNCTION DELETE nosuch
FUNCTION DELETE LIB1
FUNCTION DELETE lib1
FUNCTION DELETE lib1 extra
FUNCTION DELETE
FCALL f7 0
FUNCTION STATS
FUNCTION FLUSH bad_arg
FUNCTION FLUSH sync extra_arg
FUNCTION FLUSH ASYNC
FUNCTION LIST
FUNCTION LOAD "#!lua name=library1\nredis.register_function('f6', function(keys, args) return 7 end)"
FUNCTION FLUSH sync
FUNCTION LOAD "#!lua name=library1\nredis.register_function('f6', function(keys, args) return 7 end)"
FUNCTION FLUSH
FUNCTION STATS
FUNCTION DUMP
FUNCTION DUMP extra
FUNCTION RESTORE
FUNCTION RESTORE bad_payload
FUNCTION RESTORE arg1 args2 arg3
FUNCTION RESTORE x badpolicy
# functions survive FLUSHALL and FLUSHDB
FUNCTION LOAD "#!lua name=test\nredis.register_function('test', function() return redis.call('set', 'x', '1') end)"
FLUSHALL
FLUSHDB
FUNCTION LIST
# library and function names
FUNCTION LOAD "#!lua name=TEST\nredis.register_function('other', function() return 1 end)"
FUNCTION LOAD "#!lua name=other\nredis.register_function('TEST', function() return 1 end)"
FUNCTION STATS
`)
}

// FUNCTION LOAD, DELETE and RESTORE inside MULTI: later commands of the
// block see the libraries earlier ones loaded.
func TestFunctionsInMultiMatchRedis(t *testing.T) {
	testkit.Diff(t, `
MULTI
FUNCTION LOAD "#!lua name=m\nredis.register_function('mf', function() return 'in multi' end)"
FCALL mf 0
FUNCTION LOAD "#!lua name=m2\nredis.register_function('mf', function() return 'dup' end)"
FUNCTION LIST
FUNCTION DELETE m
FCALL mf 0
FUNCTION LOAD "#!lua name=m\nredis.register_function('mf', function() return 'again' end)"
EXEC
FCALL mf 0
FUNCTION STATS
`)
}

// A payload from the real redis-server restores into Moonstone and the
// other way round, and RESTORE's policies and errors match Redis's.
func TestFunctionDumpRestoreCrossCompatible(t *testing.T) {
	m := testkit.Start(t)
	r := testkit.StartRedis(t)
	mc, rc := m.Client, r.Client
	code1 := "#!lua name=lib1\nlocal function add1(a) return a + 1 end\n" +
		"redis.register_function('f1', function(keys, args) return add1(1) end)\n" +
		"redis.register_function{function_name='f2', callback=function(keys, args) return add1(2) end, flags={'no-writes'}, description='two'}\n" +
		"-- padding so that Redis compresses this payload with LZF: " + strings.Repeat("abcabcabc ", 30)
	code2 := "#!lua name=lib2\nredis.register_function('f3', function(keys, args) return redis.call('set', keys[1], args[1]) end)"
	for _, code := range []string{code1, code2} {
		if err := rc.FunctionLoad(bg, code).Err(); err != nil {
			t.Fatal(err)
		}
	}
	fromRedis, err := rc.FunctionDump(bg).Result()
	if err != nil {
		t.Fatal(err)
	}
	if err := mc.FunctionRestore(bg, fromRedis).Err(); err != nil {
		t.Fatalf("RESTORE of Redis's payload: %v", err)
	}
	if v, err := mc.FCall(bg, "f2", nil).Result(); err != nil || v != int64(3) {
		t.Fatalf("FCALL f2 after restore: %v %v", v, err)
	}
	if v, err := mc.FCall(bg, "f3", []string{"k"}, "v").Result(); err != nil || v != "OK" || mc.Get(bg, "k").Val() != "v" {
		t.Fatalf("FCALL f3 after restore: %v %v", v, err)
	}
	sameList := func() {
		t.Helper()
		ml, err1 := mc.Do(bg, "FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "lib1").Result()
		rl, err2 := rc.Do(bg, "FUNCTION", "LIST", "WITHCODE", "LIBRARYNAME", "lib1").Result()
		if err1 != nil || err2 != nil || !equalReplies(sortFunctions(ml), sortFunctions(rl)) {
			t.Fatalf("FUNCTION LIST differs:\n moonstone %v %v\n redis %v %v", ml, err1, rl, err2)
		}
	}
	sameList()

	// APPEND (the default) refuses an existing library, REPLACE replaces,
	// a function name collision fails whatever the policy.
	for _, c := range []struct{ policy, want string }{
		{"", "ERR Library lib"},
		{"APPEND", "ERR Library lib"},
		{"REPLACE", ""},
		{"FLUSH", ""},
	} {
		args := []any{"FUNCTION", "RESTORE", fromRedis}
		if c.policy != "" {
			args = append(args, c.policy)
		}
		merr := errText(mc.Do(bg, args...).Err())
		rerr := errText(rc.Do(bg, args...).Err())
		// Which existing library the error names follows Redis's dict
		// order, which is seeded per process: compare up to the name.
		if !strings.HasPrefix(merr, c.want) || !strings.HasPrefix(rerr, c.want) || c.want == "" && (merr != "" || rerr != "") {
			t.Fatalf("RESTORE %s: moonstone %q, redis %q, want %q", c.policy, merr, rerr, c.want)
		}
	}
	for _, cl := range []*redis.Client{mc, rc} {
		cl.FunctionDelete(bg, "lib2")
		if err := cl.FunctionLoad(bg, "#!lua name=other\nredis.register_function('f3', function() return 0 end)").Err(); err != nil {
			t.Fatal(err)
		}
	}
	merr := errText(mc.Do(bg, "FUNCTION", "RESTORE", fromRedis, "REPLACE").Err())
	rerr := errText(rc.Do(bg, "FUNCTION", "RESTORE", fromRedis, "REPLACE").Err())
	if merr != rerr || merr != "ERR Function f3 already exists" {
		t.Fatalf("RESTORE with a colliding function: moonstone %q, redis %q", merr, rerr)
	}
	sameList()

	// Moonstone's payload restores into Redis.
	for _, cl := range []*redis.Client{mc, rc} {
		cl.FunctionFlush(bg)
	}
	for _, code := range []string{code1, code2} {
		if err := mc.FunctionLoad(bg, code).Err(); err != nil {
			t.Fatal(err)
		}
	}
	fromMoonstone, err := mc.FunctionDump(bg).Result()
	if err != nil {
		t.Fatal(err)
	}
	if err := rc.FunctionRestore(bg, fromMoonstone).Err(); err != nil {
		t.Fatalf("Redis refused Moonstone's payload: %v", err)
	}
	if v, err := rc.FCall(bg, "f1", nil).Result(); err != nil || v != int64(2) {
		t.Fatalf("Redis FCALL f1 after restore: %v %v", v, err)
	}
	sameList()

	// A damaged payload is refused and changes nothing.
	bad := []byte(fromMoonstone)
	bad[5] ^= 0xff
	for _, cl := range []*redis.Client{mc, rc} {
		if err := cl.FunctionRestore(bg, string(bad)).Err(); errText(err) != "ERR DUMP payload version or checksum are wrong" {
			t.Fatalf("damaged payload: %v", err)
		}
	}
	sameList()
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// sortFunctions puts the functions of a FUNCTION LIST reply in name order
// (Redis lists them in hash order).
func sortFunctions(list any) any {
	libs, _ := list.([]any)
	for _, l := range libs {
		fields, _ := l.([]any)
		for i := 0; i+1 < len(fields); i += 2 {
			if fields[i] == "functions" {
				fns, _ := fields[i+1].([]any)
				sort.Slice(fns, func(a, b int) bool { return fmt.Sprint(fns[a]) < fmt.Sprint(fns[b]) })
			}
		}
	}
	return list
}

func equalReplies(a, b any) bool {
	switch x := a.(type) {
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalReplies(x[i], y[i]) {
				return false
			}
		}
		return true
	default:
		return a == b
	}
}

// A function that writes and then raises leaves nothing behind; one that
// returns an error reply commits, as a script does.
func TestFcallRollsBackOnError(t *testing.T) {
	s := testkit.Start(t)
	c := s.Client
	lib := "#!lua name=ledger\n" +
		"redis.register_function('transfer', function(keys, args)\n" +
		"  redis.call('decrby', keys[1], args[1])\n" +
		"  redis.call('incrby', keys[2], args[1])\n" +
		"  if tonumber(redis.call('get', keys[1])) < 0 then error('insufficient funds') end\n" +
		"  return 'ok'\n" +
		"end)\n" +
		"redis.register_function('soft', function(keys) redis.call('set', keys[1], 'kept') return redis.error_reply('SOFT error') end)"
	if err := c.FunctionLoad(bg, lib).Err(); err != nil {
		t.Fatal(err)
	}
	c.Set(bg, "a", "10", 0)
	c.Set(bg, "b", "0", 0)
	if v, err := c.FCall(bg, "transfer", []string{"a", "b"}, 7).Result(); err != nil || v != "ok" {
		t.Fatalf("transfer: %v %v", v, err)
	}
	err := c.FCall(bg, "transfer", []string{"a", "b"}, 7).Err()
	if err == nil || !strings.Contains(err.Error(), "insufficient funds script: transfer, on @user_function:") {
		t.Fatalf("overdraft: %v", err)
	}
	if a, b := c.Get(bg, "a").Val(), c.Get(bg, "b").Val(); a != "3" || b != "7" {
		t.Fatalf("after a failed transfer a=%s b=%s, want 3 and 7", a, b)
	}
	if err := c.FCall(bg, "soft", []string{"s"}).Err(); err == nil || err.Error() != "SOFT error" {
		t.Fatalf("soft: %v", err)
	}
	if v := c.Get(bg, "s").Val(); v != "kept" {
		t.Fatalf("a function returning an error reply lost its write: %q", v)
	}
	// FCALL_RO and no-writes functions refuse writes and write nothing.
	if err := c.FunctionLoad(bg, "#!lua name=ro\nredis.register_function{function_name='ro', callback=function(keys) redis.pcall('set', keys[1], 'x') return redis.call('get', keys[1]) end, flags={'no-writes'}}").Err(); err != nil {
		t.Fatal(err)
	}
	if v, err := c.FCallRO(bg, "ro", []string{"a"}).Result(); err != nil || v != "3" {
		t.Fatalf("FCALL_RO ro: %v %v", v, err)
	}
	if err := c.FCallRO(bg, "transfer", []string{"a", "b"}, 1).Err(); err == nil ||
		err.Error() != "ERR Can not execute a script with write flag using *_ro command." {
		t.Fatalf("FCALL_RO of a writing function: %v", err)
	}
}

// Libraries survive a restart and are in checkpoints' data; a FUNCTION
// LOAD that failed or was replaced leaves no trace.
func TestFunctionsSurviveRestart(t *testing.T) {
	s := testkit.Start(t)
	c := s.Client
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(c.FunctionLoad(bg, "#!lua name=keep\nredis.register_function('k1', function() return 'one' end)").Err())
	must(c.FunctionLoad(bg, "#!lua name=gone\nredis.register_function('g1', function() return 'gone' end)").Err())
	must(c.FunctionLoad(bg, "#!lua name=repl\nredis.register_function('r1', function() return 'old' end)").Err())
	must(c.FunctionLoadReplace(bg, "#!lua name=repl\nredis.register_function{function_name='r2', callback=function() return 'new' end, flags={'no-writes'}}").Err())
	must(c.FunctionDelete(bg, "gone").Err())
	if c.FunctionLoad(bg, "#!lua name=bad\nredis.register_function('k1', function() return 1 end)").Err() == nil {
		t.Fatal("a colliding library loaded")
	}
	before := c.Do(bg, "FUNCTION", "LIST", "WITHCODE").Val()
	s.Restart(t)
	c = s.Client
	after := c.Do(bg, "FUNCTION", "LIST", "WITHCODE").Val()
	if !equalReplies(before, after) {
		t.Fatalf("FUNCTION LIST changed over a restart:\n%v\n%v", before, after)
	}
	if v, err := c.FCall(bg, "k1", nil).Result(); err != nil || v != "one" {
		t.Fatalf("k1 after restart: %v %v", v, err)
	}
	if v, err := c.FCallRO(bg, "r2", nil).Result(); err != nil || v != "new" {
		t.Fatalf("r2 after restart: %v %v", v, err)
	}
	for _, f := range []string{"g1", "r1"} {
		if err := c.FCall(bg, f, nil).Err(); err == nil || err.Error() != "ERR Function not found" {
			t.Fatalf("%s after restart: %v", f, err)
		}
	}
	must(c.FunctionFlush(bg).Err())
	s.Restart(t)
	if n := len(s.Client.FunctionList(bg, redis.FunctionListQuery{}).Val()); n != 0 {
		t.Fatalf("%d libraries after FUNCTION FLUSH and a restart", n)
	}
}

// A looping function makes writers and PING get BUSY with FUNCTION KILL's
// text; SCRIPT KILL refuses it, FUNCTION STATS shows it, FUNCTION KILL
// stops it and discards its writes.
func TestFunctionKill(t *testing.T) {
	s := testkit.Start(t, "busy-reply-threshold", "10")
	c := s.Client
	if err := c.FunctionLoad(bg, "#!lua name=loop\n"+
		"redis.register_function('spin', function(keys) redis.call('set', keys[1], 'during') local a = 1 while true do a = a + 1 end end)\n"+
		"redis.register_function{function_name='rospin', callback=function() local a = 1 while true do a = a + 1 end end, flags={'no-writes'}}").Err(); err != nil {
		t.Fatal(err)
	}
	c.Set(bg, "k", "before", 0)
	done := make(chan error, 1)
	go func() {
		other := s.NewClient()
		defer other.Close()
		done <- other.FCall(bg, "spin", []string{"k"}).Err()
	}()
	waitFor(t, "BUSY", func() bool { return isBusy(c.Ping(bg).Err()) })
	busyFn := "BUSY Redis is busy running a script. You can only call FUNCTION KILL or SHUTDOWN NOSAVE."
	if err := c.Set(bg, "x", "1", 0).Err(); errText(err) != busyFn {
		t.Fatalf("SET during a busy function: %v", err)
	}
	if err := c.Ping(bg).Err(); errText(err) != busyFn {
		t.Fatalf("PING during a busy function: %v", err)
	}
	if err := c.ScriptKill(bg).Err(); errText(err) != busyFn {
		t.Fatalf("SCRIPT KILL of a function: %v", err)
	}
	if v := c.Get(bg, "k").Val(); v != "before" {
		t.Fatalf("GET during a busy function: %q", v)
	}
	stats, err := c.Do(bg, "FUNCTION", "STATS").Slice()
	if err != nil || len(stats) != 4 {
		t.Fatalf("FUNCTION STATS: %v %v", stats, err)
	}
	running, _ := stats[1].([]any)
	if len(running) != 6 || running[1] != "spin" || !equalReplies(running[3], []any{"fcall", "spin", "1", "k"}) {
		t.Fatalf("FUNCTION STATS running_script: %v", stats[1])
	}
	if err := c.Do(bg, "FUNCTION", "KILL").Err(); err != nil {
		t.Fatalf("FUNCTION KILL: %v", err)
	}
	if err := <-done; errText(err) == "" || !strings.HasPrefix(err.Error(), "ERR Script killed by user with SCRIPT KILL...") ||
		!strings.Contains(err.Error(), "script: spin, on @user_function:2.") {
		t.Fatalf("killed function replied %v", err)
	}
	if v := c.Get(bg, "k").Val(); v != "before" {
		t.Fatalf("the killed function's write survived: %q", v)
	}
	if err := c.Do(bg, "FUNCTION", "KILL").Err(); errText(err) != "NOTBUSY No scripts in execution right now." {
		t.Fatalf("FUNCTION KILL with nothing running: %v", err)
	}

	// A read-only function makes nobody busy and is killed the same way;
	// an EVAL is not stopped by FUNCTION KILL.
	go func() {
		other := s.NewClient()
		defer other.Close()
		done <- other.FCallRO(bg, "rospin", nil).Err()
	}()
	waitFor(t, "the function to start", func() bool { return s.Srv.RunningScripts() > 0 })
	if err := c.Set(bg, "x", "1", 0).Err(); err != nil {
		t.Fatalf("SET during a read-only function: %v", err)
	}
	if err := c.ScriptKill(bg).Err(); errText(err) != busyFn {
		t.Fatalf("SCRIPT KILL of a read-only function: %v", err)
	}
	if err := c.Do(bg, "FUNCTION", "KILL").Err(); err != nil {
		t.Fatalf("FUNCTION KILL: %v", err)
	}
	if err := <-done; errText(err) == "" || !strings.HasPrefix(err.Error(), "ERR Script killed by user") {
		t.Fatalf("killed read-only function replied %v", err)
	}

	go func() {
		other := s.NewClient()
		defer other.Close()
		done <- other.Eval(bg, "local a = 1 while true do a = a + 1 end", nil).Err()
	}()
	waitFor(t, "BUSY", func() bool { return isBusy(c.Ping(bg).Err()) })
	busyEval := "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
	if err := c.Do(bg, "FUNCTION", "KILL").Err(); errText(err) != busyEval {
		t.Fatalf("FUNCTION KILL of an EVAL: %v", err)
	}
	if err := c.Do(bg, "FUNCTION", "STATS").Err(); errText(err) != busyEval {
		t.Fatalf("FUNCTION STATS during a busy EVAL: %v", err)
	}
	if err := c.ScriptKill(bg).Err(); err != nil {
		t.Fatalf("SCRIPT KILL: %v", err)
	}
	<-done
	deadline := time.Now().Add(10 * time.Second)
	for s.Srv.RunningScripts() > 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
}

// Many clients calling functions at once run them on different Lua
// states, each instantiating the library; a FUNCTION LOAD REPLACE is seen
// by every call that starts after it.
func TestFcallConcurrentAndReplace(t *testing.T) {
	s := testkit.Start(t)
	c := s.Client
	load := func(word string) {
		t.Helper()
		code := "#!lua name=conc\nlocal function word() return '" + word + "' end\n" +
			"redis.register_function('w', function(keys) redis.call('incr', keys[1]) return word() end)\n" +
			"redis.register_function{function_name='r', callback=function(keys) return {word(), redis.call('get', keys[1])} end, flags={'no-writes'}}"
		if err := c.FunctionLoadReplace(bg, code).Err(); err != nil {
			t.Fatal(err)
		}
	}
	load("old")
	const clients, calls = 8, 40
	errs := make(chan error, clients)
	for i := 0; i < clients; i++ {
		go func() {
			cl := s.NewClient()
			defer cl.Close()
			for j := 0; j < calls; j++ {
				if v, err := cl.FCall(bg, "w", []string{"n"}).Result(); err != nil || v != "old" {
					errs <- fmt.Errorf("w: %v %v", v, err)
					return
				}
				if v, err := cl.FCallRO(bg, "r", []string{"n"}).Result(); err != nil || len(v.([]any)) != 2 {
					errs <- fmt.Errorf("r: %v %v", v, err)
					return
				}
			}
			errs <- nil
		}()
	}
	for i := 0; i < clients; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if v := c.Get(bg, "n").Val(); v != fmt.Sprint(clients*calls) {
		t.Fatalf("n = %s after %d calls", v, clients*calls)
	}
	load("new")
	for i := 0; i < clients; i++ {
		go func() {
			cl := s.NewClient()
			defer cl.Close()
			for j := 0; j < 5; j++ {
				if v, err := cl.FCall(bg, "w", []string{"n"}).Result(); err != nil || v != "new" {
					errs <- fmt.Errorf("w after replace: %v %v", v, err)
					return
				}
			}
			errs <- nil
		}()
	}
	for i := 0; i < clients; i++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	info := c.Info(bg, "memory").Val()
	if !strings.Contains(info, "number_of_functions:2\r\n") || !strings.Contains(info, "number_of_libraries:1\r\n") {
		t.Fatalf("INFO memory:\n%s", info)
	}
}
