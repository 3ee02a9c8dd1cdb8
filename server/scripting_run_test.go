package server_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"moonstone/internal/testkit"
	"moonstone/scripting"
	"moonstone/server"
)

var bg = context.Background()

// evalErr runs a script that must fail and returns its error text.
func evalErr(t *testing.T, c *redis.Client, script string, keys []string, args ...any) string {
	t.Helper()
	v, err := c.Eval(bg, script, keys, args...).Result()
	if err == nil {
		t.Fatalf("%.200q returned %v, want an error", script, v)
	}
	return err.Error()
}

func mustEval(t *testing.T, c *redis.Client, script string, keys []string, args ...any) any {
	t.Helper()
	v, err := c.Eval(bg, script, keys, args...).Result()
	if err != nil && !errors.Is(err, redis.Nil) {
		t.Fatalf("%.200q: %v", script, err)
	}
	return v
}

// A script that raises an error leaves nothing behind, whatever it wrote
// before; one that returns an error reply keeps its writes.
func TestScriptErrorRollsBackEverything(t *testing.T) {
	s := testkit.Start(t)
	c := s.Client
	c.Set(bg, "balance", "100", 0)
	c.Set(bg, "text", "abc", 0)
	cases := []struct{ name, script, want string }{
		{"error()", "redis.call('set', 'balance', '0') redis.call('set', 'new', 'x') error('stop')", "stop"},
		{"runtime error", "redis.call('set', 'balance', '0') redis.call('set', 'new', 'x') local t = nil return t.x", "attempt to index"},
		{"redis.call error", "redis.call('set', 'balance', '0') redis.call('set', 'new', 'x') redis.call('incr', 'text')", "not an integer"},
		{"error table", "redis.call('set', 'balance', '0') error({err='MYERR nope'})", "MYERR nope"},
		{"nonexistent global", "redis.call('set', 'balance', '0') return undefined_global", "nonexistent global"},
		{"readonly table", "redis.call('set', 'balance', '0') string.x = 1", "readonly table"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			msg := evalErr(t, c, tc.script, nil)
			if !strings.Contains(msg, tc.want) {
				t.Fatalf("error %q, want it to contain %q", msg, tc.want)
			}
			if v := c.Get(bg, "balance").Val(); v != "100" {
				t.Fatalf("balance is %q after the failed script, want 100", v)
			}
			if n := c.Exists(bg, "new").Val(); n != 0 {
				t.Fatalf("key written by the failed script exists")
			}
		})
	}
	// Returning an error is a normal return: the writes stay.
	msg := evalErr(t, c, "redis.call('set', 'balance', '50') return {err='ERR refused'}", nil)
	if msg != "ERR refused" {
		t.Fatalf("error reply %q", msg)
	}
	if v := c.Get(bg, "balance").Val(); v != "50" {
		t.Fatalf("balance %q after returning an error reply, want 50", v)
	}
	msg = evalErr(t, c, "redis.call('set', 'balance', '40') return redis.error_reply('ERR refused')", nil)
	if v := c.Get(bg, "balance").Val(); v != "40" || msg != "ERR refused" {
		t.Fatalf("balance %q, error %q after redis.error_reply", v, msg)
	}
	// pcall-caught errors do not abort the script.
	if v := mustEval(t, c, "redis.call('set', 'balance', '30') local ok = pcall(error, 'x') redis.pcall('incr', 'text') return ok", nil); v != nil {
		t.Fatalf("pcall returned %v", v)
	}
	if v := c.Get(bg, "balance").Val(); v != "30" {
		t.Fatalf("balance %q, want 30", v)
	}
}

// A script sees its own writes, and its clock stands still.
func TestScriptSeesItsOwnWritesAndFrozenTime(t *testing.T) {
	c := testkit.Start(t).Client
	v := mustEval(t, c, `
redis.call('set', 'k', 'v1')
local a = redis.call('get', 'k')
redis.call('append', 'k', '-more')
return {a, redis.call('get', 'k'), redis.call('exists', 'k')}`, nil)
	if fmt.Sprint(v) != "[v1 v1-more 1]" {
		t.Fatalf("got %v", v)
	}
	// A key set to expire in 1 ms does not expire while the script runs.
	v = mustEval(t, c, `
redis.call('set', 'short', 'v', 'PX', 1)
local t0 = redis.call('time')
repeat local t1 = redis.call('time') until (t1[1] - t0[1]) * 1000000 + (t1[2] - t0[2]) > 20000
return redis.call('exists', 'short')`, nil)
	if v != int64(1) {
		t.Fatalf("key expired inside the script: %v", v)
	}
	time.Sleep(5 * time.Millisecond)
	if n := c.Exists(bg, "short").Val(); n != 0 {
		t.Fatalf("key did not expire after the script")
	}
}

// SELECT inside a script changes only the script's database.
func TestScriptSelectDoesNotAffectCaller(t *testing.T) {
	c := testkit.Start(t).Client
	v := mustEval(t, c, "redis.call('select', 1) redis.call('set', 'k', 'in1') return redis.call('get', 'k')", nil)
	if v != "in1" {
		t.Fatalf("got %v", v)
	}
	if n := c.Exists(bg, "k").Val(); n != 0 {
		t.Fatal("the caller's database changed")
	}
	c1 := redis.NewClient(&redis.Options{Addr: c.Options().Addr, DB: 1, Protocol: 2})
	defer c1.Close()
	if v := c1.Get(bg, "k").Val(); v != "in1" {
		t.Fatalf("db 1 has %q", v)
	}
	// And the script starts in the caller's database.
	if v := mustEval(t, c1, "return redis.call('get', 'k')", nil); v != "in1" {
		t.Fatalf("script in db 1 read %v", v)
	}
}

// Every example of the seed guide, through a real client.
func TestSeedGuideExamples(t *testing.T) {
	c := testkit.Start(t).Client
	check := func(got, want any) {
		t.Helper()
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	check(mustEval(t, c, "return redis.call('SET', KEYS[1], ARGV[1])", []string{"mykey"}, "Hello"), "OK")
	check(mustEval(t, c, "return redis.call('GET', KEYS[1])", []string{"mykey"}), "Hello")
	sha, err := c.ScriptLoad(bg, "return redis.call('GET', KEYS[1])").Result()
	if err != nil {
		t.Fatal(err)
	}
	check(sha, scripting.SHA1Hex([]byte("return redis.call('GET', KEYS[1])")))
	check(c.EvalSha(bg, sha, []string{"mykey"}).Val(), "Hello")
	check(c.ScriptExists(bg, sha, "ffd632c7d33e571e9f24556ebed26c3479a87130").Val(), []bool{true, false})

	callCheck := `local value = redis.call('GET', KEYS[1])
if not value then
error('Key does not exist')
end
return value`
	check(mustEval(t, c, callCheck, []string{"mykey"}), "Hello")
	if msg := evalErr(t, c, callCheck, []string{"nokey"}); !strings.Contains(msg, "Key does not exist") {
		t.Fatalf("error %q", msg)
	}
	pcallCheck := `local result = redis.pcall('GET', KEYS[1])
if type(result) == 'table' and result.err then
return "Error: " .. result.err
end
return result`
	check(mustEval(t, c, pcallCheck, []string{"mykey"}), "Hello")
	c.RPush(bg, "alist", "x")
	if c.Type(bg, "alist").Val() == "list" {
		check(mustEval(t, c, pcallCheck, []string{"alist"}), "Error: WRONGTYPE Operation against a key holding the wrong kind of value")
	}

	counter := `local current = redis.call('GET', KEYS[1])
local max = tonumber(ARGV[1])
if not current then
current = 0
else
current = tonumber(current)
end
if current < max then
return redis.call('INCR', KEYS[1])
else
return {err = 'Counter at maximum'}
end`
	check(mustEval(t, c, counter, []string{"mycounter"}, 2), 1)
	check(mustEval(t, c, counter, []string{"mycounter"}, 2), 2)
	if msg := evalErr(t, c, counter, []string{"mycounter"}, 2); msg != "Counter at maximum" {
		t.Fatalf("error %q", msg)
	}

	conditional := `local key = KEYS[1]
local expected = ARGV[1]
local new_value = ARGV[2]
local current = redis.call('GET', key)
if current == expected then
redis.call('SET', key, new_value)
return 1
else
return 0
end`
	check(mustEval(t, c, conditional, []string{"mykey"}, "Hello", "World"), 1)
	check(mustEval(t, c, conditional, []string{"mykey"}, "Hello", "Again"), 0)
	check(c.Get(bg, "mykey").Val(), "World")

	transfer := `local from_account = KEYS[1]
local to_account = KEYS[2]
local amount = tonumber(ARGV[1])
local from_balance = tonumber(redis.call('GET', from_account) or 0)
if from_balance >= amount then
redis.call('DECRBY', from_account, amount)
redis.call('INCRBY', to_account, amount)
return 1
else
return {err = 'Insufficient balance'}
end`
	c.Set(bg, "acct:a", 100, 0)
	check(mustEval(t, c, transfer, []string{"acct:a", "acct:b"}, 30), 1)
	check(c.MGet(bg, "acct:a", "acct:b").Val(), []any{"70", "30"})
	if msg := evalErr(t, c, transfer, []string{"acct:a", "acct:b"}, 1000); msg != "Insufficient balance" {
		t.Fatalf("error %q", msg)
	}
	check(c.MGet(bg, "acct:a", "acct:b").Val(), []any{"70", "30"})

	// Data type conversions, both tables of the guide.
	check(mustEval(t, c, "return 42", nil), 42)
	check(mustEval(t, c, "return 'hello'", nil), "hello")
	check(mustEval(t, c, "return {1,2,3}", nil), []any{int64(1), int64(2), int64(3)})
	check(mustEval(t, c, "return {ok='OK'}", nil), "OK")
	if msg := evalErr(t, c, "return {err='ERR'}", nil); msg != "ERR" {
		t.Fatalf("error %q", msg)
	}
	check(mustEval(t, c, "return true", nil), 1)
	check(mustEval(t, c, "return false", nil), nil)
	c.Set(bg, "n", "42", 0)
	check(mustEval(t, c, "local v = redis.call('incrby', 'n', 0) return {type(v), v}", nil), []any{"number", int64(42)})
	check(mustEval(t, c, "local v = redis.call('get', 'nokey') return {type(v), tostring(v)}", nil), []any{"boolean", "false"})
	check(mustEval(t, c, "local v = redis.call('set', 'x', 1) return {type(v), v.ok}", nil), []any{"table", "OK"})
	check(mustEval(t, c, "local v = redis.pcall('incr', 'mykey') return {type(v), v.err}", nil),
		[]any{"table", "ERR value is not an integer or out of range"})

	// Script management.
	check(c.ScriptFlush(bg).Val(), "OK")
	check(c.ScriptExists(bg, sha).Val(), []bool{false})
	if err := c.Do(bg, "SCRIPT", "FLUSH", "ASYNC").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.Do(bg, "SCRIPT", "FLUSH", "SYNC").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.ScriptKill(bg).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOTBUSY") {
		t.Fatalf("SCRIPT KILL with nothing running: %v", err)
	}

	// Debugging.
	check(mustEval(t, c, "redis.log(redis.LOG_WARNING, 'Debug value: ' .. tostring(42)) return 1", nil), 1)
	for _, level := range []string{"LOG_DEBUG", "LOG_VERBOSE", "LOG_NOTICE", "LOG_WARNING"} {
		mustEval(t, c, "redis.log(redis."+level+", 'x') return 1", nil)
	}
	check(mustEval(t, c, "local value = redis.call('GET', KEYS[1]) redis.debug('Current value:', value) return value", []string{"mykey"}), "World")

	// The atomic increment.
	c.Del(bg, "counter")
	incr := `local current = redis.call('GET', KEYS[1])
if not current then current = 0 end
local new_value = tonumber(current) + 1
redis.call('SET', KEYS[1], new_value)
return new_value`
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 50; j++ {
				if err := c.Eval(bg, incr, []string{"counter"}).Err(); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	check(c.Get(bg, "counter").Val(), "400")

	// EVALSHA of a script the client hashed itself.
	body := "return redis.call('GET', KEYS[1])"
	hashed := scripting.SHA1Hex([]byte(body))
	if err := c.EvalSha(bg, hashed, []string{"k"}).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOSCRIPT") {
		t.Fatalf("EVALSHA before loading: %v", err)
	}
	c.ScriptLoad(bg, body)
	c.Set(bg, "key:1", "v1", 0)
	check(c.EvalSha(bg, hashed, []string{"key:1"}).Val(), "v1")

	// Shebang: a no-writes script.
	check(mustEval(t, c, "#!lua flags=no-writes\n-- Read-only script, won't replicate\nreturn redis.call('GET', KEYS[1])", []string{"mykey"}), "World")
	for _, flag := range []string{"no-writes", "allow-oom", "allow-stale", "no-cluster", "allow-cross-slot-keys"} {
		mustEval(t, c, "#!lua flags="+flag+"\nreturn 1", nil)
	}

	// Session management with expiry.
	check(mustEval(t, c, `local session_key = KEYS[1]
local user_data = ARGV[1]
local ttl = tonumber(ARGV[2])
redis.call('SET', session_key, user_data, 'EX', ttl)
return redis.call('TTL', session_key)`, []string{"session:1"}, "data", 60), 60)

	// Distributed lock.
	lock := `local lock_key = KEYS[1]
local token = ARGV[1]
local ttl = tonumber(ARGV[2])
local acquired = redis.call('SET', lock_key, token, 'NX', 'EX', ttl)
if acquired then
return 1
else
return 0
end`
	check(mustEval(t, c, lock, []string{"lock:1"}, "t1", 30), 1)
	check(mustEval(t, c, lock, []string{"lock:1"}, "t2", 30), 0)
	check(c.Get(bg, "lock:1").Val(), "t1")

	// Returning a table with string keys gives an empty array.
	check(mustEval(t, c, "return {success = 1, old_value = 'a', new_value = 'b', timestamp = 5}", nil), []any{})
}

// The guide's examples that need more than strings: the sorted-set rate
// limiter and leaderboard, and the JSON example with require.
func TestSeedGuideExamplesBeyondStrings(t *testing.T) {
	c := testkit.Start(t).Client
	if err := c.ZAdd(bg, "probe", redis.Z{Score: 1, Member: "m"}).Err(); err != nil {
		t.Skip("sorted sets are not in this build yet")
	}
	limiter := `local key = KEYS[1]
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local current_time = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, 0, current_time - window)
local current = redis.call('ZCARD', key)
if current < limit then
redis.call('ZADD', key, current_time, current_time)
redis.call('EXPIRE', key, window)
return 1
else
return 0
end`
	for i := 0; i < 10; i++ {
		if v := mustEval(t, c, limiter, []string{"ratelimit:user:1000"}, 10, 60, 1234567890+i); v != int64(1) {
			t.Fatalf("request %d refused", i)
		}
	}
	if v := mustEval(t, c, limiter, []string{"ratelimit:user:1000"}, 10, 60, 1234567899); v != int64(0) {
		t.Fatal("11th request allowed")
	}
	if v := mustEval(t, c, limiter, []string{"ratelimit:user:1000"}, 10, 60, 1234567890+61); v != int64(1) {
		t.Fatal("request after the window refused")
	}
	v := mustEval(t, c, `local leaderboard = KEYS[1]
local user_id = ARGV[1]
local score = tonumber(ARGV[2])
redis.call('ZADD', leaderboard, score, user_id)
local rank = redis.call('ZREVRANK', leaderboard, user_id)
return {score = score, rank = rank}`, []string{"board"}, "alice", 10)
	if fmt.Sprint(v) != "[]" {
		t.Fatalf("leaderboard returned %v", v)
	}
}

func TestSeedGuideJSONExample(t *testing.T) {
	c := testkit.Start(t).Client
	if v := mustEval(t, c, "return type(rawget(_G, 'cjson'))", nil); v != "table" {
		t.Skip("cjson is not in this build yet")
	}
	v := mustEval(t, c, `local cjson = require "cjson"
local data = {name = "Alice", age = 30}
local json = cjson.encode(data)
redis.call('SET', KEYS[1], json)
local stored = redis.call('GET', KEYS[1])
local decoded = cjson.decode(stored)
return decoded.name`, []string{"user:json"})
	if v != "Alice" {
		t.Fatalf("got %v", v)
	}
}

// require hands out the built-in libraries only.
func TestScriptRequire(t *testing.T) {
	c := testkit.Start(t).Client
	if v := mustEval(t, c, "return require('string') == string and require('math') == math and require('table') == table", nil); v != int64(1) {
		t.Fatalf("require of a built-in library: %v", v)
	}
	for _, name := range []string{"os", "io", "debug", "socket", "./evil", "redis"} {
		msg := evalErr(t, c, "return require('"+name+"')", nil)
		if !strings.Contains(msg, "module '"+name+"' not found") {
			t.Fatalf("require(%q): %q", name, msg)
		}
	}
	if v := mustEval(t, c, "return rawget(_G, 'require')", nil); v != nil {
		t.Fatalf("require is in the globals table: %v", v)
	}
}

// Tampering with the sandbox fails and never reaches the next script.
func TestSandboxEscapesFail(t *testing.T) {
	c := testkit.Start(t).Client
	escapes := []string{
		"rawset(_G, 'leak', 1)",
		"_G.leak = 1",
		"leak = 1",
		"string.leak = 1",
		"string.upper = function() return 'pwned' end",
		"rawset(string, 'upper', function() return 'pwned' end)",
		"math.floor = nil",
		"table.insert = nil",
		"redis.call = nil",
		"getmetatable('').__index = {upper = function() return 'pwned' end}",
		"getmetatable('').__index.upper = function() return 'pwned' end",
		"rawset(getmetatable('').__index, 'upper', function() return 'pwned' end)",
		"rawset(getmetatable(''), '__index', {})",
		"setmetatable(getmetatable(''), {})",
		"setmetatable(_G, nil)",
		"getmetatable(_G).__index = function() return 1 end",
		"getmetatable(_G).__newindex = nil",
		"table.insert(_G, 1)",
		"table.remove(string)",
		"table.sort(math)",
		"local mt = getmetatable(_G) rawset(mt, '__index', nil)",
		"local f = loadstring('leak = 1') f()",
		"coroutine.wrap(function() leak = 1 end)()",
		"local s = string s.upper = nil",
		"local _, t = pairs(string) t.upper = nil",
		"local t = rawget(_G, 'string') t.upper = nil",
		"local t = require('string') t.upper = nil",
	}
	for _, src := range escapes {
		msg := evalErr(t, c, src, nil)
		if !strings.Contains(msg, "readonly table") && !strings.Contains(msg, "nonexistent global") {
			t.Errorf("%q: unexpected error %q", src, msg)
		}
	}
	// Whatever the attempts did, the next scripts see pristine libraries
	// and no leaked global.
	for i := 0; i < 10; i++ {
		v := mustEval(t, c, "return {string.upper('a'), ('b'):upper(), math.floor(1.5), type(table.insert), type(redis.call), rawget(_G, 'leak') == nil and 'clean' or 'leaked'}", nil)
		if fmt.Sprint(v) != "[A B 1 function function clean]" {
			t.Fatalf("after tampering: %v", v)
		}
	}
	if msg := evalErr(t, c, "return leak", nil); !strings.Contains(msg, "nonexistent global variable 'leak'") {
		t.Fatalf("leak: %q", msg)
	}
	// Binary chunks are never loaded.
	if v := mustEval(t, c, "return loadstring(string.dump(function() return 1 end)) == nil", nil); v != int64(1) {
		t.Fatal("a binary chunk was loaded")
	}
	if msg := evalErr(t, c, "\x1bLua", nil); !strings.Contains(msg, "Error compiling script") {
		t.Fatalf("binary script body: %q", msg)
	}
}

// math.random is the same sequence at every script start (Redis's rand48
// from a fixed seed), so a script is a function of its data and arguments.
func TestMathRandomIsDeterministic(t *testing.T) {
	c := testkit.Start(t).Client
	script := "return {tostring(math.random()), math.random(100), math.random(5, 10)}"
	first := fmt.Sprint(mustEval(t, c, script, nil))
	for i := 0; i < 5; i++ {
		if got := fmt.Sprint(mustEval(t, c, script, nil)); got != first {
			t.Fatalf("run %d: %s, first run %s", i, got, first)
		}
	}
	// Redis seeded with 0 gives this sequence (redisSrand48(0)).
	r := testkit.StartRedis(t)
	want := r.Client.Eval(bg, "math.randomseed(0) return {tostring(math.random()), math.random(100), math.random(5, 10)}", nil).Val()
	if fmt.Sprint(want) != first {
		t.Fatalf("moonstone %s, redis seeded with 0: %v", first, want)
	}
}

// waitFor polls cond until it holds, failing after a generous deadline.
// It waits for a condition; it asserts nothing about durations.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func isBusy(err error) bool { return err != nil && strings.HasPrefix(err.Error(), "BUSY ") }

// A script past busy-reply-threshold makes writers and writing scripts get
// BUSY, while reads and read-only scripts are served from the last
// committed state; SCRIPT KILL stops it, writes and all.
func TestBusyScriptAndKill(t *testing.T) {
	s := testkit.Start(t, "busy-reply-threshold", "3600000")
	c := s.Client
	c.Set(bg, "k", "before", 0)
	scriptErr := make(chan error, 1)
	go func() {
		other := s.NewClient()
		defer other.Close()
		scriptErr <- other.Eval(bg, "redis.call('set', 'k', 'during') redis.call('set', 'new', 'x') while true do end", nil).Err()
	}()
	waitFor(t, "the script to start", func() bool { return s.Srv.RunningScripts() > 0 })
	// A writer that queues behind the script before it turns busy.
	waiting := make(chan error, 1)
	go func() {
		other := s.NewClient()
		defer other.Close()
		waiting <- other.Set(bg, "w", "1", 0).Err()
	}()
	time.Sleep(50 * time.Millisecond) // let it queue (nothing is asserted about time)
	if err := c.ConfigSet(bg, "busy-reply-threshold", "10").Err(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "BUSY", func() bool { return isBusy(c.Set(bg, "x", "1", 0).Err()) })
	if err := <-waiting; !isBusy(err) {
		t.Fatalf("writer waiting for the lock got %v, want BUSY", err)
	}
	if err := c.Eval(bg, "return redis.call('set', 'k', 'v')", nil).Err(); !isBusy(err) {
		t.Fatalf("EVAL during a busy script: %v", err)
	}
	if err := c.Incr(bg, "ctr").Err(); !isBusy(err) {
		t.Fatalf("INCR during a busy script: %v", err)
	}
	// Reads see the state before the script.
	if v, err := c.Get(bg, "k").Result(); err != nil || v != "before" {
		t.Fatalf("GET during a busy script: %q %v", v, err)
	}
	if n := c.Exists(bg, "new").Val(); n != 0 {
		t.Fatal("an uncommitted write of the script is visible")
	}
	if v, err := c.EvalRO(bg, "return redis.call('get', 'k')", nil).Result(); err != nil || v != "before" {
		t.Fatalf("EVAL_RO during a busy script: %v %v", v, err)
	}
	if v, err := c.Eval(bg, "#!lua flags=no-writes\nreturn redis.call('get', 'k')", nil).Result(); err != nil || v != "before" {
		t.Fatalf("no-writes EVAL during a busy script: %v %v", v, err)
	}
	// Everything else gets BUSY, as in Redis, except allow_busy commands.
	if err := c.Ping(bg).Err(); !isBusy(err) {
		t.Fatalf("PING during a busy script: %v", err)
	}
	if err := c.Do(bg, "SCRIPT", "HELP").Err(); !isBusy(err) {
		t.Fatalf("SCRIPT HELP during a busy script: %v", err)
	}
	if err := c.ScriptKill(bg).Err(); err != nil {
		t.Fatalf("SCRIPT KILL: %v", err)
	}
	err := <-scriptErr
	if err == nil || !strings.HasPrefix(err.Error(), "ERR Script killed by user with SCRIPT KILL...") {
		t.Fatalf("killed script replied %v", err)
	}
	// Nothing the killed script wrote survives, and writes work again.
	if v := c.Get(bg, "k").Val(); v != "before" {
		t.Fatalf("k is %q after the kill", v)
	}
	if n := c.Exists(bg, "new").Val(); n != 0 {
		t.Fatal("a write of the killed script survived")
	}
	if err := c.Set(bg, "x", "1", 0).Err(); err != nil {
		t.Fatalf("SET after the kill: %v", err)
	}
	if err := c.ScriptKill(bg).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOTBUSY") {
		t.Fatalf("SCRIPT KILL with nothing running: %v", err)
	}
}

// SCRIPT KILL stops a loop inside pcall, a tail-call loop, and a script
// busy calling commands.
func TestScriptKillStopsEveryLoop(t *testing.T) {
	s := testkit.Start(t)
	c := s.Client
	for _, src := range []string{
		"local f = function() while 1 do redis.call('ping') end end while 1 do pcall(f) end",
		"local function f() return f() end return f()",
		"while true do redis.call('set', 'k', 'v') end",
		"local co = coroutine.wrap(function() while true do end end) co()",
		"while true do local ok = pcall(function() while true do end end) end",
		"#!lua flags=no-writes\nwhile true do end",
	} {
		done := make(chan error, 1)
		go func() { done <- c.Eval(bg, src, nil).Err() }()
		waitFor(t, "the script to start", func() bool { return s.Srv.RunningScripts() > 0 })
		if err := c.ScriptKill(bg).Err(); err != nil {
			t.Fatalf("%q: SCRIPT KILL: %v", src, err)
		}
		if err := <-done; err == nil || !strings.Contains(err.Error(), "Script killed by user with SCRIPT KILL") {
			t.Fatalf("%q: replied %v", src, err)
		}
	}
	if n := c.Exists(bg, "k").Val(); n != 0 {
		t.Fatal("a killed script's write survived")
	}
}

// SHUTDOWN NOSAVE works while a script is busy.
func TestShutdownDuringBusyScript(t *testing.T) {
	s := testkit.Start(t, "busy-reply-threshold", "10")
	c := s.Client
	go s.NewClient().Eval(bg, "redis.call('set', 'k', 'v') while true do end", nil)
	waitFor(t, "BUSY", func() bool { return isBusy(c.Set(bg, "x", "1", 0).Err()) })
	c.Do(bg, "SHUTDOWN", "NOSAVE")
	select {
	case <-s.Srv.Finished():
	case <-time.After(20 * time.Second):
		t.Fatal("the server did not shut down")
	}
}

// A script that allocates without end is stopped with a clear error before
// it takes the server's memory, its writes are discarded, and the server
// keeps serving.
func TestScriptMemoryLimit(t *testing.T) {
	s := testkit.Start(t, "lua-memory-limit", "32mb")
	c := s.Client
	for _, src := range []string{
		"local t = {} while true do t[#t+1] = string.rep('x', 1000) .. #t end",
		"local t = {} for i = 1, 1e9 do t[i] = {i} end",
		"local s = 'x' while true do s = s .. s end",
		"return string.rep('x', 1e9)",
		"local t = {} for i = 1, 1e6 do t[i] = 'abcdefghij' end local s = table.concat(t) return table.concat({s, s, s, s})",
		"local s = string.rep('x', 1e6) return string.gsub(s, '.', s)",
		"local s = string.rep('x', 1e6) return string.gsub(s, '.', function() return s end)",
		"local s = string.rep('x', 1e6) while true do s = s .. s .. s .. s .. s .. s .. s .. s end",
		"local s = string.rep('x', 1e6) local t = {} for i = 1, 500 do t[i] = s end return cjson.encode(t)",
		"local s = string.rep('x', 1e6) local t = {} for i = 1, 500 do t[i] = s end return cmsgpack.pack(t)",
		"local s = string.rep('x', 1e6) local t = {} for i = 1, 500 do t[i] = s end return struct.pack(string.rep('c0', 500), unpack(t))",
		"local a = {} for i = 1, 10 do a[i] = a end return cmsgpack.pack(a)",
		"local s = string.rep('x', 1e6) return string.format(string.rep('%s', 99), " + strings.Repeat("s, ", 98) + "s)",
	} {
		msg := evalErr(t, c, "redis.call('set', 'written', '1') "+src, nil)
		if !strings.Contains(msg, "memory limit") {
			t.Fatalf("%q: error %q", src, msg)
		}
		if n := c.Exists(bg, "written").Val(); n != 0 {
			t.Fatalf("%q: the stopped script's write survived", src)
		}
	}
	if v := mustEval(t, c, "return #string.rep('x', 1000)", nil); v != int64(1000) {
		t.Fatalf("after the stops: %v", v)
	}
}

// Scripts persist in the store: EVALSHA works after a restart, for scripts
// loaded with SCRIPT LOAD and for scripts run with EVAL, until SCRIPT FLUSH.
func TestScriptsSurviveRestart(t *testing.T) {
	s := testkit.Start(t)
	c := s.Client
	loaded := c.ScriptLoad(bg, "return 'loaded'").Val()
	mustEval(t, c, "return 'evaluated'", nil)
	evaluated := scripting.SHA1Hex([]byte("return 'evaluated'"))
	s.Restart(t)
	c = s.Client
	if v, err := c.EvalSha(bg, loaded, nil).Result(); err != nil || v != "loaded" {
		t.Fatalf("EVALSHA of a loaded script after restart: %v %v", v, err)
	}
	if v, err := c.EvalSha(bg, strings.ToUpper(evaluated), nil).Result(); err != nil || v != "evaluated" {
		t.Fatalf("EVALSHA of an evaluated script after restart: %v %v", v, err)
	}
	s.Restart(t)
	c = s.Client
	if got := c.ScriptExists(bg, loaded, evaluated, "ffd632c7d33e571e9f24556ebed26c3479a87130").Val(); fmt.Sprint(got) != "[true true false]" {
		t.Fatalf("SCRIPT EXISTS after restart: %v", got)
	}
	c.ScriptFlush(bg)
	s.Restart(t)
	c = s.Client
	if err := c.EvalSha(bg, loaded, nil).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOSCRIPT") {
		t.Fatalf("EVALSHA after SCRIPT FLUSH and restart: %v", err)
	}
}

// Endless distinct EVAL bodies cannot grow the cache: beyond
// DefaultEvalCacheSize the least recently used are forgotten, in memory and
// on disk; SCRIPT LOAD'ed scripts stay.
func TestEvalCacheIsBounded(t *testing.T) {
	s := testkit.Start(t)
	c := s.Client
	loaded := c.ScriptLoad(bg, "return 'kept'").Val()
	body := func(i int) string { return fmt.Sprintf("return %d", i) }
	sha := func(i int) string { return scripting.SHA1Hex([]byte(body(i))) }
	n := scripting.DefaultEvalCacheSize
	for i := 0; i < n; i++ {
		mustEval(t, c, body(i), nil)
	}
	// Using script 0 makes it recent: script 1 is now the oldest.
	if err := c.EvalSha(bg, sha(0), nil).Err(); err != nil {
		t.Fatal(err)
	}
	for i := n; i < n+10; i++ {
		mustEval(t, c, body(i), nil)
	}
	got := c.ScriptExists(bg, sha(0), sha(1), sha(10), sha(11), sha(n+9), loaded).Val()
	if fmt.Sprint(got) != "[true false false true true true]" {
		t.Fatalf("SCRIPT EXISTS 0, 1, 10, 11, last, loaded: %v", got)
	}
	if info := c.Info(bg, "memory").Val(); !strings.Contains(info, fmt.Sprintf("number_of_cached_scripts:%d\r\n", n+1)) {
		t.Fatalf("INFO memory: %s", info)
	}
	// After a restart the bound holds for what is on disk too.
	s.Restart(t)
	c = s.Client
	for i := n + 10; i < n+20; i++ {
		mustEval(t, c, body(i), nil)
	}
	kept := 0
	for i := 0; i < n+20; i++ {
		if c.ScriptExists(bg, sha(i)).Val()[0] {
			kept++
		}
	}
	if kept != n {
		t.Fatalf("%d EVAL scripts kept after restart, want %d", kept, n)
	}
	if !c.ScriptExists(bg, loaded).Val()[0] {
		t.Fatal("the loaded script was evicted")
	}
}

// Read-only scripts run on a snapshot: they see the last committed state
// and never wait for the writer.
func TestReadOnlyScriptsRunBesideAWriter(t *testing.T) {
	s := testkit.Start(t)
	c := s.Client
	c.Set(bg, "k", "committed", 0)
	done := make(chan error, 1)
	go func() {
		done <- s.NewClient().Eval(bg, "redis.call('set', 'k', 'uncommitted') while redis.call('get', 'k') ~= 'stop' do end return 1", nil).Err()
	}()
	waitFor(t, "the writer to start", func() bool { return s.Srv.RunningScripts() > 0 })
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := c.EvalRO(bg, "return redis.call('get', KEYS[1])", []string{"k"}).Result()
			if err != nil || v != "committed" {
				t.Errorf("EVAL_RO beside a writer: %v %v", v, err)
			}
		}()
	}
	wg.Wait()
	if err := c.ScriptKill(bg).Err(); err != nil {
		t.Fatal(err)
	}
	<-done
	if err := c.EvalRO(bg, "return redis.call('set', 'k', 'v')", nil).Err(); err == nil ||
		!strings.HasPrefix(err.Error(), "ERR Write commands are not allowed from read-only scripts.") {
		t.Fatalf("write from EVAL_RO: %v", err)
	}
}

// Numbers passed to redis.call become integers when whole and otherwise
// the shortest form that reads back as the same double: Redis 7.2's rule,
// a deliberate difference from 7.0's %.17g (0.1 reached commands as
// 0.10000000000000001).
func TestScriptNumberArguments(t *testing.T) {
	c := testkit.Start(t).Client
	for _, tc := range []struct{ lua, want string }{
		{"3", "3"}, {"-3", "-3"}, {"1e10", "10000000000"}, {"0.1", "0.1"}, {"1/3", "0.3333333333333333"},
		{"9007199254740991", "9007199254740991"}, {"12039611435714932082", "12039611435714933000"},
		{"1e300", "1e+300"}, {"-1.5e-7", "-1.5e-7"}, {"2^63", "9223372036854776000"},
	} {
		v := mustEval(t, c, "redis.call('set', 'n', "+tc.lua+") return redis.call('get', 'n')", nil)
		if v != tc.want {
			t.Errorf("%s became %q, want %q", tc.lua, v, tc.want)
		}
	}
}

// A checkpoint of the store (what backups are made of) carries the
// persisted scripts: a server started on it answers EVALSHA.
func TestScriptsInCheckpoint(t *testing.T) {
	s := testkit.Start(t)
	sha := s.Client.ScriptLoad(bg, "return 'from the backup'").Val()
	dest := t.TempDir() + "/checkpoint"
	if err := s.Srv.DB().Pebble().Checkpoint(dest); err != nil {
		t.Fatal(err)
	}
	restored := testkit.Start(t, "dir", dest)
	if v, err := restored.Client.EvalSha(bg, sha, nil).Result(); err != nil || v != "from the backup" {
		t.Fatalf("EVALSHA on the checkpoint: %v %v", v, err)
	}
}

// Absurdly nested bodies are refused at compile time, quickly, instead of
// exhausting the compiler's stack.
func TestCompileLimits(t *testing.T) {
	c := testkit.Start(t).Client
	for _, src := range []string{
		"return " + strings.Repeat("(", 100000) + "1" + strings.Repeat(")", 100000),
		"return 1" + strings.Repeat("+1", 100000),
		"return 'a'" + strings.Repeat("..'a'", 100000),
		"return " + strings.Repeat("{", 100000) + strings.Repeat("}", 100000),
		strings.Repeat("if true then ", 10000) + strings.Repeat("end ", 10000),
		"return " + strings.Repeat("not ", 100000) + "1",
	} {
		msg := evalErr(t, c, src, nil)
		if !strings.HasPrefix(msg, "ERR Error compiling script (new function): user_script:1: chunk has too many syntax levels") {
			t.Fatalf("%.40q...: %q", src, msg)
		}
	}
	// Long scripts with many statements are fine.
	long := "local x\n" + strings.Repeat("x = 1 + 2 + 3 .. 'a' .. 'b'\n", 50000) + "return 1"
	if v := mustEval(t, c, long, nil); v != int64(1) {
		t.Fatalf("long script: %v", v)
	}
	deep := "return " + strings.Repeat("(", 150) + "1" + strings.Repeat(")", 150)
	if v := mustEval(t, c, deep, nil); v != int64(1) {
		t.Fatalf("150 levels: %v", v)
	}
}

// A command that panics inside a script (a bug) counts as a failed call
// and an error reply, and the script ends with an error and leaves nothing
// behind, even though it caught the error with redis.pcall: half of the
// command's work is in the batch, which is never committed.
func TestScriptCommandPanicCountedAndDiscarded(t *testing.T) {
	undo := server.WithPanickingWrite("panicky")
	s := testkit.Start(t)
	undo()
	c := s.Raw(t)
	if _, err := c.Do("CONFIG", "RESETSTAT"); err != nil {
		t.Fatal(err)
	}
	got, err := c.Do("EVAL", "redis.call('SET', 'other', '1'); local r = redis.pcall('PANICKY', KEYS[1]); return r['err']", "1", "k")
	if err != nil {
		t.Fatal(err)
	}
	if got != "-ERR the script's writes were discarded: a command it called failed internally (logged)\r\n" {
		t.Fatalf("script whose command panicked: %q", got)
	}
	for _, key := range []string{"k", "other"} {
		if v, _ := c.Do("EXISTS", key); v != ":0\r\n" {
			t.Errorf("EXISTS %s after the script = %q: a script whose command panicked must not commit", key, v)
		}
	}
	info, err := c.Do("INFO", "commandstats")
	if err != nil {
		t.Fatal(err)
	}
	_, line, _ := strings.Cut(info, "cmdstat_panicky:")
	line, _, _ = strings.Cut(line, "\r\n")
	if !strings.HasPrefix(line, "calls=1,") || !strings.HasSuffix(line, ",failed_calls=1") {
		t.Errorf("commandstats of the panicking command: %q", line)
	}
	errs, err := c.Do("INFO", "errorstats")
	if err != nil {
		t.Fatal(err)
	}
	// Two errors: the command's, given to the script, and the script's,
	// given to the client (Redis 7.0 counts both).
	if !strings.Contains(errs, "errorstat_ERR:count=2") {
		t.Errorf("errorstats after the panic: %q", errs)
	}
}
