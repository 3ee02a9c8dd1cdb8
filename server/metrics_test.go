package server_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"moonstone/internal/testkit"
)

// infoFields parses an INFO reply into field: value.
func infoFields(t *testing.T, c *redis.Client, section string) map[string]string {
	t.Helper()
	s, err := c.Info(context.Background(), section).Result()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, l := range strings.Split(s, "\r\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && !strings.HasPrefix(l, "#") {
			out[k] = v
		}
	}
	return out
}

func infoInt(t *testing.T, f map[string]string, name string) int64 {
	t.Helper()
	v, ok := f[name]
	if !ok {
		t.Fatalf("INFO has no %s", name)
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		t.Fatalf("%s: %q", name, v)
	}
	return n
}

// The figures an operator reads: under appendfsync always every write
// commits and waits for an fsync, concurrent writers share fsyncs (never
// more fsyncs than commits), the WAL grows with the data written, and the
// memory section reports the process's RSS and Pebble's memtables.
func TestInfoStoreFigures(t *testing.T) {
	s := testkit.Start(t)
	c := s.NewClient()
	defer c.Close()
	ctx := context.Background()
	before := infoFields(t, c, "persistence")
	const n = 200
	done := make(chan error, 4)
	for w := 0; w < 4; w++ {
		go func(w int) {
			for i := 0; i < n/4; i++ {
				if err := c.Set(ctx, fmt.Sprint("k", w, ":", i), strings.Repeat("v", 100), 0).Err(); err != nil {
					done <- err
					return
				}
			}
			done <- nil
		}(w)
	}
	for w := 0; w < 4; w++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	after := infoFields(t, c, "persistence")
	commits := infoInt(t, after, "wal_commits") - infoInt(t, before, "wal_commits")
	fsyncs := infoInt(t, after, "wal_fsyncs") - infoInt(t, before, "wal_fsyncs")
	if commits < n {
		t.Fatalf("%d writes, %d commits", n, commits)
	}
	if fsyncs < 1 || fsyncs > commits {
		t.Fatalf("%d commits, %d fsyncs", commits, fsyncs)
	}
	if w := infoInt(t, after, "wal_bytes_written") - infoInt(t, before, "wal_bytes_written"); w < n*100 {
		t.Fatalf("WAL grew by %d bytes for %d writes of 100 bytes", w, n)
	}
	t.Logf("%d commits, %d fsyncs", commits, fsyncs)

	mem := infoFields(t, c, "memory")
	if infoInt(t, mem, "used_memory_rss") <= 0 || infoInt(t, mem, "pebble_memtable_size") <= 0 {
		t.Fatalf("memory section: %v", mem)
	}
	ms := infoFields(t, c, "moonstone")
	for _, f := range []string{"pebble_disk_usage", "pebble_read_amp", "pebble_l0_files", "pebble_l0_sublevels",
		"pebble_block_cache_hits", "pebble_block_cache_misses", "pebble_compactions", "pebble_flushes",
		"pebble_write_stalls", "pebble_background_errors", "pebble_wal_fsyncs"} {
		infoInt(t, ms, f)
	}
	if infoInt(t, ms, "pebble_disk_usage") <= 0 {
		t.Fatalf("disk usage 0 after writes")
	}
}

func TestMoonstoneMetrics(t *testing.T) {
	s := testkit.Start(t)
	c := s.NewClient()
	defer c.Close()
	out, err := c.Do(context.Background(), "moonstone", "metrics").Text()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"level", "WAL:", "Compactions:", "MemTables:", "Block cache:"} {
		if !strings.Contains(out, want) {
			t.Fatalf("MOONSTONE METRICS lacks %q:\n%s", want, out)
		}
	}
	if err := c.Do(context.Background(), "moonstone", "metrics", "x").Err(); err == nil ||
		err.Error() != "ERR wrong number of arguments for 'moonstone|metrics' command" {
		t.Fatalf("extra argument: %v", err)
	}
	if err := c.Do(context.Background(), "moonstone", "nope").Err(); err == nil ||
		err.Error() != "ERR unknown subcommand 'nope'. Try MOONSTONE HELP." {
		t.Fatalf("unknown subcommand: %v", err)
	}
}

// The row cache's counters tell an operator whether row-cache-size fits the
// working set: the first read of a key misses, the reads after it hit, and
// what it holds stays within the budget.
func TestInfoRowCache(t *testing.T) {
	s := testkit.Start(t)
	c := s.NewClient()
	defer c.Close()
	ctx := context.Background()
	if err := c.Set(ctx, "balance", "100", 0).Err(); err != nil {
		t.Fatal(err)
	}
	before := infoFields(t, c, "moonstone")
	for i := 0; i < 5; i++ {
		if err := c.IncrBy(ctx, "balance", 1).Err(); err != nil {
			t.Fatal(err)
		}
		if v, err := c.Get(ctx, "balance").Result(); err != nil || v != fmt.Sprint(101+i) {
			t.Fatalf("GET = %q, %v; want %d", v, err, 101+i)
		}
	}
	after := infoFields(t, c, "moonstone")
	hits := infoInt(t, after, "row_cache_hits") - infoInt(t, before, "row_cache_hits")
	misses := infoInt(t, after, "row_cache_misses") - infoInt(t, before, "row_cache_misses")
	// Ten reads of one key: at most the first misses (SET may have
	// cached it already; commits keep it current after that).
	if misses > 1 || hits+misses != 10 {
		t.Fatalf("10 reads of one key: %d hits, %d misses", hits, misses)
	}
	if n, max := infoInt(t, after, "row_cache_size"), infoInt(t, after, "row_cache_max"); n <= 0 || n > max {
		t.Fatalf("row_cache_size %d, row_cache_max %d", n, max)
	}
	if infoInt(t, after, "row_cache_entries") < 1 {
		t.Fatalf("row cache holds nothing after reads")
	}
}

// Hash fields, set members and sorted-set scores have a cache of their
// own: reading one again hits it (INFO member_cache_*), every write keeps
// it current, and a big collection deleted and built again under the same
// name never shows its old members.
func TestMemberCacheServesMembers(t *testing.T) {
	s := testkit.Start(t)
	c := s.NewClient()
	defer c.Close()
	ctx := context.Background()
	fields := make([]any, 0, 400)
	for f := 0; f < 200; f++ {
		fields = append(fields, fmt.Sprint("f", f), "old")
	}
	if err := c.HSet(ctx, "h", fields...).Err(); err != nil {
		t.Fatal(err)
	}
	c.SAdd(ctx, "s", "m")
	// Big enough to keep its members in records of their own, not inside
	// its metadata record.
	zs := []redis.Z{{Score: 1, Member: "m"}}
	for i := 0; i < 200; i++ {
		zs = append(zs, redis.Z{Score: float64(i), Member: fmt.Sprint("other", i)})
	}
	c.ZAdd(ctx, "z", zs...)
	before := infoFields(t, c, "moonstone")
	for i := 0; i < 5; i++ {
		if v, err := c.HGet(ctx, "h", "f7").Result(); err != nil || v != fmt.Sprint("old", i) && i > 0 || i == 0 && v != "old" {
			t.Fatalf("HGET round %d = %q, %v", i, v, err)
		}
		if err := c.HSet(ctx, "h", "f7", fmt.Sprint("old", i+1)).Err(); err != nil {
			t.Fatal(err)
		}
		if ok, err := c.SIsMember(ctx, "s", "m").Result(); err != nil || !ok {
			t.Fatalf("SISMEMBER = %v, %v", ok, err)
		}
		if sc, err := c.ZScore(ctx, "z", "m").Result(); err != nil || sc != float64(1+i) {
			t.Fatalf("ZSCORE round %d = %v, %v", i, sc, err)
		}
		if err := c.ZIncrBy(ctx, "z", 1, "m").Err(); err != nil {
			t.Fatal(err)
		}
	}
	after := infoFields(t, c, "moonstone")
	// All but the first read of each member hit, the writes' reads too.
	if hits := infoInt(t, after, "member_cache_hits") - infoInt(t, before, "member_cache_hits"); hits < 20 {
		t.Fatalf("25 reads and writes of three members: %d member cache hits", hits)
	}
	if n, max := infoInt(t, after, "member_cache_size"), infoInt(t, after, "member_cache_max"); n <= 0 || n > max {
		t.Fatalf("member_cache_size %d, member_cache_max %d", n, max)
	}
	// Deleted whole (one range deletion) and built again: only the new
	// members exist.
	if err := c.Del(ctx, "h").Err(); err != nil {
		t.Fatal(err)
	}
	if err := c.HGet(ctx, "h", "f7").Err(); err != redis.Nil {
		t.Fatalf("HGET of a deleted hash: %v", err)
	}
	if err := c.HSet(ctx, "h", "f8", "new").Err(); err != nil {
		t.Fatal(err)
	}
	if vs, err := c.HMGet(ctx, "h", "f7", "f8").Result(); err != nil || vs[0] != nil || vs[1] != "new" {
		t.Fatalf("HMGET after the hash was built again = %v, %v", vs, err)
	}
	if n, err := c.HLen(ctx, "h").Result(); err != nil || n != 1 {
		t.Fatalf("HLEN = %d, %v", n, err)
	}
}

// Deleting a big collection (its members go with one range deletion) or
// trimming a long list leaves the row cache as it was: the reads of other
// keys keep hitting it. FLUSHDB, which deletes the cached records, must
// not leave any behind.
func TestRowCacheOutlivesDeletedCollections(t *testing.T) {
	s := testkit.Start(t)
	c := s.NewClient()
	defer c.Close()
	ctx := context.Background()
	const keys = 50
	for i := 0; i < keys; i++ {
		if err := c.Set(ctx, fmt.Sprint("k", i), i, 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	readAll := func(want func(i int) string) (hits, misses int64) {
		t.Helper()
		before := infoFields(t, c, "moonstone")
		for i := 0; i < keys; i++ {
			v, err := c.Get(ctx, fmt.Sprint("k", i)).Result()
			if err == redis.Nil {
				v, err = "(nil)", nil
			}
			if err != nil || v != want(i) {
				t.Fatalf("GET k%d = %q, %v; want %q", i, v, err, want(i))
			}
		}
		after := infoFields(t, c, "moonstone")
		return infoInt(t, after, "row_cache_hits") - infoInt(t, before, "row_cache_hits"),
			infoInt(t, after, "row_cache_misses") - infoInt(t, before, "row_cache_misses")
	}
	value := func(i int) string { return fmt.Sprint(i) }
	readAll(value) // the cache holds every key from here on
	for round := 0; round < 3; round++ {
		fields := make([]any, 0, 400)
		for f := 0; f < 200; f++ {
			fields = append(fields, fmt.Sprint("f", f), "v")
		}
		if err := c.HSet(ctx, "big", fields...).Err(); err != nil {
			t.Fatal(err)
		}
		members := make([]any, 200)
		for m := range members {
			members[m] = m
		}
		if err := c.SAdd(ctx, "bigset", members...).Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.RPush(ctx, "queue", members...).Err(); err != nil {
			t.Fatal(err)
		}
		if err := c.LTrim(ctx, "queue", 150, -1).Err(); err != nil {
			t.Fatal(err)
		}
		if n, err := c.Del(ctx, "big", "bigset").Result(); err != nil || n != 2 {
			t.Fatalf("DEL of the big hash and set = %d, %v", n, err)
		}
		if n, err := c.Exists(ctx, "big", "bigset").Result(); err != nil || n != 0 {
			t.Fatalf("EXISTS after DEL = %d, %v", n, err)
		}
		if hits, misses := readAll(value); misses != 0 || hits != keys {
			t.Fatalf("round %d: after deleting big collections, %d reads: %d hits, %d misses", round, keys, hits, misses)
		}
	}
	if n, err := c.LLen(ctx, "queue").Result(); err != nil || n != 150 {
		t.Fatalf("LLEN after three pushes of 200 and trims = %d, %v; want 150", n, err)
	}
	if err := c.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	readAll(func(int) string { return "(nil)" })
}

// The key filter answers lookups of new keys, and after a restart it is
// built again from the keys on disk: an operator sees both in INFO, and a
// key written before the restart is still found by the commands that
// replace it (SET over a hash, INCR of a counter).
func TestInfoKeyFilter(t *testing.T) {
	s := testkit.Start(t)
	c := s.NewClient()
	ctx := context.Background()
	waitFilter := func(c *redis.Client) map[string]string {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			f := infoFields(t, c, "moonstone")
			if infoInt(t, f, "key_filter_size") > 0 && infoInt(t, f, "member_filter_size") > 0 {
				return f
			}
			if time.Now().After(deadline) {
				t.Fatalf("no key filter in use after 10 s: key_filter_builds %s", f["key_filter_builds"])
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	before := waitFilter(c)
	for i := 0; i < 100; i++ {
		if err := c.Set(ctx, fmt.Sprint("new:", i), "v", 0).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.HSet(ctx, "h", "f", "v").Err(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 100; i++ { // a set's members are records of their own
		if err := c.SAdd(ctx, "s", fmt.Sprint("m", i)).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Set(ctx, "counter", "41", 0).Err(); err != nil {
		t.Fatal(err)
	}
	after := infoFields(t, c, "moonstone")
	if n := infoInt(t, after, "key_filter_absent") - infoInt(t, before, "key_filter_absent"); n < 90 {
		t.Fatalf("the filter answered %d of 103 lookups of new keys", n)
	}
	if n := infoInt(t, after, "member_filter_absent") - infoInt(t, before, "member_filter_absent"); n < 90 {
		t.Fatalf("the members' filter answered %d of 100 lookups of new members", n)
	}
	c.Close()

	s.Restart(t)
	c = s.NewClient()
	defer c.Close()
	if f := waitFilter(c); infoInt(t, f, "key_filter_builds") < 1 || infoInt(t, f, "key_filter_bits_set") == 0 {
		t.Fatalf("after a restart: key_filter_builds %s, key_filter_bits_set %s", f["key_filter_builds"], f["key_filter_bits_set"])
	}
	if v, err := c.Incr(ctx, "counter").Result(); err != nil || v != 42 {
		t.Fatalf("INCR counter after the restart = %d, %v; want 42", v, err)
	}
	if err := c.Set(ctx, "h", "now a string", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if typ, err := c.Type(ctx, "h").Result(); err != nil || typ != "string" {
		t.Fatalf("TYPE h = %q, %v", typ, err)
	}
	if n, err := c.DBSize(ctx).Result(); err != nil || n != 103 {
		t.Fatalf("DBSIZE = %d, %v; want 103", n, err)
	}
	if n, err := c.SAdd(ctx, "s", "m7", "new").Result(); err != nil || n != 1 {
		t.Fatalf("SADD of m7 and new after the restart = %d, %v; want 1", n, err)
	}
}
