package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// zsetScale loads a sorted set of n members into both servers (persistence
// off on both, to load fast) and measures point and range operations on
// it, then DEL of the whole set: the costs should not grow with n.
func zsetScale(bin string, n int) string {
	ms, err := startMoonstone(bin, "no")
	if err != nil {
		fatal(err)
	}
	defer ms.stop()
	rd, err := startRedis("no")
	if err != nil {
		fatal(err)
	}
	defer rd.stop()
	ops := []struct{ name, cmd string }{
		{"ZCARD", "zcard bigz"},
		{"ZSCORE", "zscore bigz MEMBER"},
		{"ZADD (new member)", "zadd bigz __rand_int__ new:__rand_int__"},
		{"ZRANGEBYSCORE LIMIT 0 100", "zrangebyscore bigz 500000000 +inf LIMIT 0 100"},
		{"ZREVRANK (middle member)", "zrevrank bigz MEMBER"},
	}
	type cell struct {
		r   result
		err error
	}
	res := map[string]map[string]cell{}
	var b strings.Builder
	fmt.Fprintf(&b, "\nSorted set of about %d members (random scores), persistence off on both; redis-benchmark, 10 clients.\n\n", n)
	for _, s := range []*server{ms, rd} {
		start := time.Now()
		if _, err := redisBenchmark(s, "-n", strconv.Itoa(n), "-r", "1000000000", "-P", "64", "-c", "8",
			"zadd", "bigz", "__rand_int__", "m__rand_int__"); err != nil {
			fatal(err)
		}
		load := time.Since(start)
		card, _ := cli(s, "zcard", "bigz")
		mid, _ := cli(s, "zrangebyscore", "bigz", "500000000", "+inf", "LIMIT", "0", "1")
		fmt.Fprintf(&b, "- %s: loaded %s members in %.0f s; resident memory %d MB\n", s.name, card, load.Seconds(), s.rss()>>20)
		res[s.name] = map[string]cell{}
		for _, op := range ops {
			args := append([]string{"-n", "20000", "-c", "10", "-r", "1000000000"}, strings.Fields(strings.ReplaceAll(op.cmd, "MEMBER", mid))...)
			r, err := redisBenchmark(s, args...)
			res[s.name][op.name] = cell{r["*"], err}
			if err == nil {
				for _, v := range r {
					res[s.name][op.name] = cell{v, nil}
				}
			}
		}
		t := time.Now()
		if _, err := cli(s, "del", "bigz"); err != nil {
			fatal(err)
		}
		del := time.Since(t)
		t = time.Now()
		cli(s, "ping")
		base := time.Since(t)
		fmt.Fprintf(&b, "- %s: DEL of the whole set took %.1f ms (redis-cli round trip minus a PING's)\n", s.name, float64(del-base)/1e6)
	}
	b.WriteString("\n| operation | Moonstone ops/s | Redis ops/s | Moonstone p50 ms | Redis p50 ms |\n| --- | ---: | ---: | ---: | ---: |\n")
	for _, op := range ops {
		m, r := res["moonstone"][op.name], res["redis"][op.name]
		fmt.Fprintf(&b, "| %s | %.0f | %.0f | %.3f | %.3f |\n", op.name, m.r.rps, r.r.rps, m.r.p50, r.r.p50)
	}
	fmt.Fprintln(os.Stderr, "done: zset scale")
	return b.String()
}
