package server_test

import (
	"context"
	"reflect"
	"sort"
	"testing"

	"moonstone/internal/testkit"
)

// COMMAND GETKEYS and GETKEYSANDFLAGS check as Redis does (the command,
// whether it has keys at all, its arity, then the keys of the call, where
// none is an error unless the command is flagged no_mandatory_keys) and
// report each key's flags from Redis's key specs, with the commands whose
// flags depend on their arguments (SET with GET, BITFIELD reads) decided
// as Redis decides them.
func TestCommandGetKeysMatchesRedis(t *testing.T) {
	testkit.Diff(t, `
COMMAND GETKEYS eval "return 1" 0
COMMAND GETKEYS eval "return 1" 2 a b c
COMMAND GETKEYS eval "return 1" 5 a
COMMAND GETKEYS eval "return 1" x a
COMMAND GETKEYS fcall f 0
COMMAND GETKEYS ssubscribe ch
COMMAND GETKEYS spublish ch m
COMMAND GETKEYS config get x
COMMAND GETKEYS config
COMMAND GETKEYS client list
COMMAND GETKEYS client nosuch
COMMAND GETKEYS get a b
COMMAND GETKEYS zunionstore d 2 a b
COMMAND GETKEYS zunionstore d 0 a b
COMMAND GETKEYS zunionstore d 5 a b
COMMAND GETKEYS zunion 0 a
COMMAND GETKEYS zinter 3 a b
COMMAND GETKEYS lmpop 0 a left
COMMAND GETKEYS sintercard 2 a b
COMMAND GETKEYS migrate h p k 0 5000
COMMAND GETKEYS migrate h p "" 0 5000 keys a b
COMMAND GETKEYS migrate h p k 0 5000 keys a b
COMMAND GETKEYS migrate h p "" 0 5000 AUTH2 keys keys KEYS x
COMMAND GETKEYS xread streams a b 1 2
COMMAND GETKEYS xread streams a b 1
COMMAND GETKEYS sort k by x get y store d
COMMAND GETKEYS memory usage k
COMMAND GETKEYS object encoding k
COMMAND GETKEYS cluster info
COMMAND GETKEYS monitor
COMMAND GETKEYSANDFLAGS set k v
COMMAND GETKEYSANDFLAGS set k v get
COMMAND GETKEYSANDFLAGS set k v ex 1 GET
COMMAND GETKEYSANDFLAGS set k v getx
COMMAND GETKEYSANDFLAGS mset a 1 b 2
COMMAND GETKEYSANDFLAGS msetnx a 1 b 2
COMMAND GETKEYSANDFLAGS lmove a b left right
COMMAND GETKEYSANDFLAGS blmove a b left right 0
COMMAND GETKEYSANDFLAGS sort a store b
COMMAND GETKEYSANDFLAGS sort a
COMMAND GETKEYSANDFLAGS sort_ro a
COMMAND GETKEYSANDFLAGS bitfield k get u8 0
COMMAND GETKEYSANDFLAGS bitfield k get u8 0 set u8 0 1
COMMAND GETKEYSANDFLAGS bitfield k overflow sat get i8 0
COMMAND GETKEYSANDFLAGS bitfield k incrby u8 0 1
COMMAND GETKEYSANDFLAGS bitfield k bogus
COMMAND GETKEYSANDFLAGS bitfield k
COMMAND GETKEYSANDFLAGS bitfield_ro k get u8 0
COMMAND GETKEYSANDFLAGS zunionstore d 2 a b
COMMAND GETKEYSANDFLAGS zdiffstore d 2 a b
COMMAND GETKEYSANDFLAGS zrangestore d s 0 1
COMMAND GETKEYSANDFLAGS bitop and d a b c
COMMAND GETKEYSANDFLAGS rename a b
COMMAND GETKEYSANDFLAGS renamenx a b
COMMAND GETKEYSANDFLAGS copy a b
COMMAND GETKEYSANDFLAGS smove a b m
COMMAND GETKEYSANDFLAGS rpoplpush a b
COMMAND GETKEYSANDFLAGS georadius k 0 0 1 km store d
COMMAND GETKEYSANDFLAGS georadius k 0 0 1 km storedist d
COMMAND GETKEYSANDFLAGS georadiusbymember k m 1 km store d
COMMAND GETKEYSANDFLAGS geosearchstore d s frommember m byradius 1 km
COMMAND GETKEYSANDFLAGS migrate h p k 0 5000
COMMAND GETKEYSANDFLAGS migrate h p "" 0 5000 keys a b
COMMAND GETKEYSANDFLAGS eval "return 1" 2 a b
COMMAND GETKEYSANDFLAGS eval_ro "return 1" 2 a b
COMMAND GETKEYSANDFLAGS fcall f 1 a
COMMAND GETKEYSANDFLAGS xread streams a b 1 2
COMMAND GETKEYSANDFLAGS xreadgroup group g c streams a b 1 2
COMMAND GETKEYSANDFLAGS xgroup create k g $
COMMAND GETKEYSANDFLAGS xinfo stream k
COMMAND GETKEYSANDFLAGS del a b
COMMAND GETKEYSANDFLAGS unlink a b
COMMAND GETKEYSANDFLAGS getdel a
COMMAND GETKEYSANDFLAGS getex a
COMMAND GETKEYSANDFLAGS blpop a b 0
COMMAND GETKEYSANDFLAGS lmpop 2 a b left
COMMAND GETKEYSANDFLAGS lcs a b
COMMAND GETKEYSANDFLAGS object freq a
COMMAND GETKEYSANDFLAGS memory usage a
COMMAND GETKEYSANDFLAGS watch a b
COMMAND GETKEYSANDFLAGS incr a
COMMAND GETKEYSANDFLAGS append a b
COMMAND GETKEYSANDFLAGS setrange a 0 b
COMMAND GETKEYSANDFLAGS restore k 0 x
COMMAND GETKEYSANDFLAGS dump k
COMMAND GETKEYSANDFLAGS zinterstore d 2 a b
COMMAND GETKEYSANDFLAGS sunionstore d a b
COMMAND GETKEYSANDFLAGS sinterstore d a b
COMMAND GETKEYSANDFLAGS sdiffstore d a b
COMMAND GETKEYSANDFLAGS expire a 1
COMMAND GETKEYSANDFLAGS persist a
COMMAND GETKEYSANDFLAGS touch a b
COMMAND GETKEYSANDFLAGS hset h f v
COMMAND GETKEYSANDFLAGS hdel h f
COMMAND GETKEYSANDFLAGS lpop l
COMMAND GETKEYSANDFLAGS zadd z 1 m
COMMAND GETKEYSANDFLAGS zpopmin z
COMMAND GETKEYSANDFLAGS xadd s * f v
COMMAND GETKEYSANDFLAGS xdel s 1-1
COMMAND GETKEYSANDFLAGS xtrim s maxlen 1
COMMAND GETKEYSANDFLAGS xack s g 1-1
COMMAND GETKEYSANDFLAGS xclaim s g c 0 1-1
COMMAND GETKEYSANDFLAGS spop s
COMMAND GETKEYSANDFLAGS srandmember s
COMMAND GETKEYSANDFLAGS pexpireat a 1
COMMAND GETKEYSANDFLAGS move a 1
COMMAND GETKEYSANDFLAGS psetex a 1 v
COMMAND GETKEYSANDFLAGS setnx a v
COMMAND GETKEYSANDFLAGS getset a v
COMMAND GETKEYSANDFLAGS incrbyfloat a 1
COMMAND GETKEYSANDFLAGS linsert l before a b
COMMAND GETKEYSANDFLAGS lset l 0 v
COMMAND GETKEYSANDFLAGS ltrim l 0 1
COMMAND GETKEYSANDFLAGS lrem l 0 v
COMMAND GETKEYSANDFLAGS zincrby z 1 m
COMMAND GETKEYSANDFLAGS zremrangebyscore z 0 1
COMMAND GETKEYSANDFLAGS hincrby h f 1
COMMAND GETKEYSANDFLAGS setbit k 0 1
COMMAND GETKEYSANDFLAGS xsetid s 1-1
COMMAND GETKEYSANDFLAGS xautoclaim s g c 0 0
COMMAND GETKEYSANDFLAGS xgroup setid s g $
COMMAND GETKEYSANDFLAGS xgroup destroy s g
COMMAND GETKEYSANDFLAGS xgroup createconsumer s g c
COMMAND GETKEYSANDFLAGS xgroup delconsumer s g c
COMMAND GETKEYSANDFLAGS bzmpop 0 2 a b min
COMMAND GETKEYSANDFLAGS zmpop 2 a b min
`)
}

// CLUSTER answers as a Redis server without cluster support; MIGRATE and
// MONITOR are in the command table as Redis has them; CLIENT HELP and
// CLUSTER HELP are there for COMMAND LIST.
func TestIntrospectionCommandsMatchRedis(t *testing.T) {
	testkit.Diff(t, `
CLUSTER INFO
CLUSTER HELP
CLUSTER SLOTS
CLUSTER KEYSLOT k
CLUSTER ADDSLOTS 1 2
CLUSTER NOSUCH
CLUSTER INFO extra
CLUSTER
COMMAND LIST FILTERBY PATTERN migrate
COMMAND LIST FILTERBY PATTERN monitor
COMMAND LIST FILTERBY PATTERN cluster|help
COMMAND LIST FILTERBY PATTERN client|help
~COMMAND LIST FILTERBY PATTERN cl*help
~COMMAND LIST FILTERBY PATTERN cluster*
COMMAND INFO monitor
COMMAND INFO cluster|addslots
COMMAND INFO client|help
MONITOR extra
CLIENT HELP extra
`)
	// Name, arity, flags, key positions and ACL categories (Redis adds
	// @dangerous to MIGRATE's, which Moonstone derives from the flags).
	commandInfoMatchesRedis(t, 7, "cluster", "cluster|info", "cluster|slots", "cluster|reset", "cluster|help")
	commandInfoMatchesRedis(t, 6, "migrate")
}

// Every command and subcommand Redis 7.0.15 has is in Moonstone's table
// (Moonstone has a few of its own besides: CHECKPOINT, MOONSTONE, and
// CLIENT NO-TOUCH and SETINFO from Redis 7.2).
func TestEveryRedisCommandExists(t *testing.T) {
	p := testkit.StartPair(t)
	ms := p.Moonstone.NewClient()
	defer ms.Close()
	ctx := context.Background()
	mine, err := ms.Do(ctx, "COMMAND", "LIST").StringSlice()
	if err != nil {
		t.Fatal(err)
	}
	theirs, err := p.Redis.Client.Do(ctx, "COMMAND", "LIST").StringSlice()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, n := range mine {
		have[n] = true
	}
	var missing []string
	for _, n := range theirs {
		if !have[n] {
			missing = append(missing, n)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("commands redis-server 7.0.15 has and Moonstone does not: %v", missing)
	}
}

// A bare COMMAND lists every command, as COMMAND INFO without names does
// (go-redis's Client.Command sends it); other containers still need a
// subcommand, and scripts may call COMMAND too.
func TestBareCommandMatchesRedis(t *testing.T) {
	testkit.Diff(t, `
COMMAND NOSUCH
CONFIG
CLIENT
EVAL "return #redis.call('command') > 200" 0
`)
	p := testkit.StartPair(t)
	ms := p.Moonstone.NewClient()
	defer ms.Close()
	ctx := context.Background()
	mine, err := ms.Command(ctx).Result()
	if err != nil {
		t.Fatalf("moonstone: COMMAND: %v", err)
	}
	theirs, err := p.Redis.Client.Command(ctx).Result()
	if err != nil {
		t.Fatalf("redis: COMMAND: %v", err)
	}
	for _, name := range []string{"mget", "ping", "touch", "flushall", "eval", "command"} {
		m, r := mine[name], theirs[name]
		if m == nil || r == nil || !reflect.DeepEqual(*m, *r) {
			t.Errorf("COMMAND's %s\n  moonstone: %+v\n  redis:     %+v", name, m, r)
		}
	}
}
