package server_test

import (
	"context"
	"errors"
	"reflect"
	"sort"
	"testing"

	"github.com/redis/go-redis/v9"

	"moonstone/internal/testkit"
)

// go-redis v9 in its default protocol (RESP3) reads typed results from
// Moonstone exactly as from redis-server.
func TestGoRedisResp3TypedResultsMatchRedis(t *testing.T) {
	ctx := context.Background()
	ms := testkit.Start(t)
	rd := testkit.StartRedis(t)
	clients := []*redis.Client{
		redis.NewClient(&redis.Options{Addr: ms.Addr}),
		redis.NewClient(&redis.Options{Addr: rd.Addr}),
	}
	for _, c := range clients {
		defer c.Close()
		c.HSet(ctx, "h", "a", "1", "b", "2")
		c.SAdd(ctx, "s", "x", "y", "z")
		c.ZAdd(ctx, "z", redis.Z{Score: 1.5, Member: "a"}, redis.Z{Score: 2, Member: "b"}, redis.Z{Score: 0.1, Member: "c"})
		c.ZAdd(ctx, "one", redis.Z{Score: 3.25, Member: "m"})
		c.HSet(ctx, "h1", "f", "v")
		c.RPush(ctx, "l", "p", "q")
	}
	sorted := func(ss []string) []string { sort.Strings(ss); return ss }
	checks := []struct {
		name string
		run  func(c *redis.Client) (any, error)
	}{
		{"HGETALL", func(c *redis.Client) (any, error) { return c.HGetAll(ctx, "h").Result() }},
		{"HGETALL missing", func(c *redis.Client) (any, error) { return c.HGetAll(ctx, "nope").Result() }},
		{"HGETALL via Do", func(c *redis.Client) (any, error) { return c.Do(ctx, "HGETALL", "h1").Result() }},
		{"SMEMBERS", func(c *redis.Client) (any, error) {
			m, err := c.SMembers(ctx, "s").Result()
			return sorted(m), err
		}},
		{"SMEMBERSMAP", func(c *redis.Client) (any, error) { return c.SMembersMap(ctx, "s").Result() }},
		{"SINTER", func(c *redis.Client) (any, error) {
			m, err := c.SInter(ctx, "s", "s").Result()
			return sorted(m), err
		}},
		{"ZSCORE", func(c *redis.Client) (any, error) { return c.ZScore(ctx, "z", "a").Result() }},
		{"ZSCORE missing", func(c *redis.Client) (any, error) { return c.ZScore(ctx, "z", "nope").Result() }},
		{"ZMSCORE", func(c *redis.Client) (any, error) { return c.ZMScore(ctx, "z", "a", "nope", "c").Result() }},
		{"ZINCRBY", func(c *redis.Client) (any, error) { return c.ZIncrBy(ctx, "z", 0.5, "b").Result() }},
		{"ZADD INCR", func(c *redis.Client) (any, error) {
			return c.ZAddArgsIncr(ctx, "z", redis.ZAddArgs{Members: []redis.Z{{Score: 1, Member: "c"}}}).Result()
		}},
		{"ZRANGE WITHSCORES", func(c *redis.Client) (any, error) { return c.ZRangeWithScores(ctx, "z", 0, -1).Result() }},
		{"ZRANGEBYSCORE WITHSCORES", func(c *redis.Client) (any, error) {
			return c.ZRangeByScoreWithScores(ctx, "z", &redis.ZRangeBy{Min: "-inf", Max: "+inf"}).Result()
		}},
		{"ZREVRANGE WITHSCORES", func(c *redis.Client) (any, error) { return c.ZRevRangeWithScores(ctx, "z", 0, 1).Result() }},
		{"ZUNION WITHSCORES", func(c *redis.Client) (any, error) {
			return c.ZUnionWithScores(ctx, redis.ZStore{Keys: []string{"z", "one"}}).Result()
		}},
		{"ZRANDMEMBER WITHSCORES", func(c *redis.Client) (any, error) { return c.ZRandMemberWithScores(ctx, "one", 1).Result() }},
		{"HRANDFIELD WITHVALUES", func(c *redis.Client) (any, error) { return c.HRandFieldWithValues(ctx, "h1", 1).Result() }},
		{"ZPOPMIN", func(c *redis.Client) (any, error) { return c.ZPopMin(ctx, "z").Result() }},
		{"ZPOPMAX 2", func(c *redis.Client) (any, error) { return c.ZPopMax(ctx, "z", 2).Result() }},
		{"ZMPOP", func(c *redis.Client) (any, error) {
			k, zs, err := c.ZMPop(ctx, "min", 5, "nope", "one").Result()
			return []any{k, zs}, err
		}},
		{"GET missing", func(c *redis.Client) (any, error) { return c.Get(ctx, "nope").Result() }},
		{"LPOP count missing", func(c *redis.Client) (any, error) { return c.LPopCount(ctx, "nope", 2).Result() }},
		{"LPOS missing", func(c *redis.Client) (any, error) { return c.LPos(ctx, "l", "zz", redis.LPosArgs{}).Result() }},
		{"CONFIG GET", func(c *redis.Client) (any, error) { return c.ConfigGet(ctx, "maxmemory").Result() }},
		{"INCRBYFLOAT", func(c *redis.Client) (any, error) { return c.IncrByFloat(ctx, "f", 1.25).Result() }},
		{"EVAL map", func(c *redis.Client) (any, error) {
			return c.Eval(ctx, "redis.setresp(3); return redis.call('hgetall', KEYS[1])", []string{"h1"}).Result()
		}},
		{"EVAL double", func(c *redis.Client) (any, error) { return c.Eval(ctx, "return {double=2.5}", nil).Result() }},
		{"EVAL bool", func(c *redis.Client) (any, error) {
			return c.Eval(ctx, "redis.setresp(3); return {true, false}", nil).Result()
		}},
		{"EVAL big number", func(c *redis.Client) (any, error) {
			return c.Eval(ctx, "return {big_number='123456789012345678901234567890'}", nil).Result()
		}},
		{"MULTI/EXEC", func(c *redis.Client) (any, error) {
			var hg *redis.MapStringStringCmd
			var zs *redis.FloatCmd
			_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
				hg = p.HGetAll(ctx, "h")
				zs = p.ZScore(ctx, "one", "m")
				return nil
			})
			return []any{hg.Val(), zs.Val()}, err
		}},
	}
	for _, ch := range checks {
		mv, merr := ch.run(clients[0])
		rv, rerr := ch.run(clients[1])
		if !reflect.DeepEqual(mv, rv) || !sameErr(merr, rerr) {
			t.Errorf("%s:\n  moonstone: %#v %v\n  redis:     %#v %v", ch.name, mv, merr, rv, rerr)
		}
	}
	// CLIENT INFO and INFO arrive as verbatim strings that go-redis parses.
	if ci, err := clients[0].ClientInfo(ctx).Result(); err != nil || ci.ID == 0 {
		t.Errorf("CLIENT INFO: %+v %v", ci, err)
	}
	if info, err := clients[0].InfoMap(ctx, "server").Result(); err != nil || info["Server"]["redis_version"] == "" {
		t.Errorf("INFO: %v %v", info, err)
	}
}

func sameErr(a, b error) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Error() == b.Error() || (errors.Is(a, redis.Nil) && errors.Is(b, redis.Nil))
}
