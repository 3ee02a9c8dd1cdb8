package main

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
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
	// Every operation should cost O(log n) or less on both: ZREVRANK goes
	// through Moonstone's rank index, ZRANGEBYSCORE seeks the score index.
	ops := []struct {
		name, cmd string
		requests  int
	}{
		{"ZCARD", "zcard bigz", 20000},
		{"ZSCORE", "zscore bigz MEMBER", 20000},
		{"ZADD (new member)", "zadd bigz __rand_int__ new:__rand_int__", 20000},
		{"ZRANGEBYSCORE LIMIT 0 100", "zrangebyscore bigz 500000000 +inf LIMIT 0 100", 20000},
		{"ZREVRANK (middle member)", "zrevrank bigz MEMBER", 20000},
	}
	type cell struct {
		r   result
		err error
	}
	res := map[string]map[string]cell{}
	var b strings.Builder
	fmt.Fprintf(&b, "\nSorted set of %d members (random scores, loaded with pipelined ZADDs of 100 members), persistence off on both; redis-benchmark, 10 clients, 20000 requests per operation.\n\n", n)
	for _, s := range []*server{ms, rd} {
		start := time.Now()
		// ZADDs of 100 members each, pipelined: members m0..m(n-1), random
		// scores in [0, 1e9).
		rng := rand.New(rand.NewPCG(1, 2))
		if err := bulkLoad(s.addr, (n+99)/100, 1, func(buf []byte, i int) []byte {
			lo, hi := i*100, min(n, i*100+100)
			buf = appendArrayHeader(buf, 2+2*(hi-lo))
			buf = appendBulk(buf, "ZADD")
			buf = appendBulk(buf, "bigz")
			for m := lo; m < hi; m++ {
				buf = appendBulkBytes(buf, strconv.AppendInt(nil, rng.Int64N(1e9), 10))
				buf = appendBulkBytes(buf, strconv.AppendInt([]byte("m"), int64(m), 10))
			}
			return buf
		}); err != nil {
			fatal(err)
		}
		load := time.Since(start)
		card, _ := cli(s, "zcard", "bigz")
		mid, _ := cli(s, "zrangebyscore", "bigz", "500000000", "+inf", "LIMIT", "0", "1")
		fmt.Fprintf(&b, "- %s: loaded %s members in %.1f s; resident memory %d MB\n", s.name, card, load.Seconds(), s.rss()>>20)
		res[s.name] = map[string]cell{}
		for _, op := range ops {
			args := append([]string{"-n", strconv.Itoa(op.requests), "-c", "10", "-r", "1000000000"}, strings.Fields(strings.ReplaceAll(op.cmd, "MEMBER", mid))...)
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
		// Two redis-cli start-ups differ by more than a fast DEL takes.
		took := fmt.Sprintf("%.1f ms", float64(del-base)/1e6)
		if del-base < 100*time.Microsecond {
			took = "under 0.1 ms"
		}
		fmt.Fprintf(&b, "- %s: DEL of the whole set took %s (redis-cli round trip minus a PING's)\n", s.name, took)
	}
	b.WriteString("\n| operation | Moonstone ops/s | Redis ops/s | Moonstone p50 ms | Redis p50 ms |\n| --- | ---: | ---: | ---: | ---: |\n")
	for _, op := range ops {
		m, r := res["moonstone"][op.name], res["redis"][op.name]
		fmt.Fprintf(&b, "| %s | %.0f | %.0f | %.3f | %.3f |\n", op.name, m.r.rps, r.r.rps, m.r.p50, r.r.p50)
	}
	fmt.Fprintln(os.Stderr, "done: zset scale")
	return b.String()
}

// bulkLoad sends n commands, command i built by build, over conns
// connections in pipelines of up to 1000 commands, and fails on the first
// error reply: the fast way to fill a server, as redis-cli --pipe.
func bulkLoad(addr string, n, conns int, build func(buf []byte, i int) []byte) error {
	const depth = 1000
	var next atomic.Int64
	errc := make(chan error, conns)
	for range conns {
		go func() {
			nc, err := net.Dial("tcp", addr)
			if err != nil {
				errc <- err
				return
			}
			defer nc.Close()
			c := &respConn{nc: nc, r: bufio.NewReaderSize(nc, 64<<10)}
			w := bufio.NewWriterSize(nc, 256<<10)
			var buf []byte
			for {
				lo := int(next.Add(depth)) - depth
				if lo >= n {
					errc <- nil
					return
				}
				hi := min(n, lo+depth)
				for i := lo; i < hi; i++ {
					buf = build(buf[:0], i)
					w.Write(buf)
				}
				if err := w.Flush(); err != nil {
					errc <- err
					return
				}
				for i := lo; i < hi; i++ {
					isErr, err := c.skipReply()
					if err == nil && isErr {
						err = fmt.Errorf("error reply to bulk command %d", i)
					}
					if err != nil {
						errc <- err
						return
					}
				}
			}
		}()
	}
	var first error
	for range conns {
		if err := <-errc; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// loadStrings fills s with n string keys key:%012d of valueSize bytes, by
// pipelined SETs over 4 connections. The values are slices of a random
// pool at key-dependent offsets: Pebble compresses its blocks, and values
// of one repeated byte would shrink a data set meant to be larger than the
// cache to a fraction of it.
func loadStrings(s *server, n, valueSize int) (time.Duration, error) {
	pool := make([]byte, 1<<20)
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < len(pool); i += 8 {
		binary.LittleEndian.PutUint64(pool[i:], rng.Uint64())
	}
	t := time.Now()
	err := bulkLoad(s.addr, n, 4, func(buf []byte, i int) []byte {
		off := (i * 4099) % (len(pool) - valueSize)
		buf = appendArrayHeader(buf, 3)
		buf = appendBulk(buf, "SET")
		buf = appendKey(buf, "key:", i)
		return appendBulkBytes(buf, pool[off:off+valueSize])
	})
	return time.Since(t), err
}

// appendKey appends prefix followed by i in 12 digits, zero-padded, as
// redis-benchmark's __rand_int__ writes it.
func appendKey(buf []byte, prefix string, i int) []byte {
	var digits [20]byte
	d := strconv.AppendInt(digits[:0], int64(i), 10)
	buf = append(buf, '$')
	buf = strconv.AppendInt(buf, int64(len(prefix)+12), 10)
	buf = append(buf, '\r', '\n')
	buf = append(buf, prefix...)
	for range 12 - len(d) {
		buf = append(buf, '0')
	}
	buf = append(buf, d...)
	return append(buf, '\r', '\n')
}

// restartScale measures, for each key count, the restart time (process
// start to first PONG) and resident memory of Moonstone against Redis
// reloading the same keys from its AOF and from an RDB file.
func restartScale(bin string, counts []int) string {
	var b strings.Builder
	b.WriteString("\nRestart with N string keys (32-byte random values), loaded by pipelined SETs; servers stopped with SIGTERM, then started again. " +
		"Restart = process start to the first PONG (Redis answers -LOADING until its data is in memory). " +
		"Moonstone runs with its default cache (256 MB); Redis AOF is appendonly yes (multi-part AOF, the SETs as written), RDB is the dump SAVE wrote.\n\n")
	b.WriteString("| keys | server | load s | restart ms | RSS after load MB | RSS after restart MB | on disk MB |\n| ---: | --- | ---: | ---: | ---: | ---: | ---: |\n")
	// Each row also goes to stderr at once: a 50M-key round takes an hour.
	addRow := func(format string, args ...any) {
		row := fmt.Sprintf(format, args...)
		b.WriteString(row)
		fmt.Fprint(os.Stderr, row)
	}
	for _, n := range counts {
		// Moonstone, everysec: the load is not the point, the restart is.
		ms, err := startMoonstone(bin, "everysec")
		if err != nil {
			fatal(err)
		}
		load, err := loadStrings(ms, n, 32)
		if err != nil {
			fatal(err)
		}
		rss := ms.rss()
		ms.halt()
		disk := du(ms.dir)
		up, err := ms.start(10 * time.Minute)
		if err != nil {
			fatal(err)
		}
		addRow("| %d | Moonstone | %.1f | %.0f | %d | %d | %d |\n", n, load.Seconds(), float64(up)/1e6, rss>>20, ms.rss()>>20, disk>>20)
		ms.stop()
		fmt.Fprintf(os.Stderr, "done: restart moonstone %d keys\n", n)

		rd, err := startRedis("everysec")
		if err != nil {
			fatal(err)
		}
		load, err = loadStrings(rd, n, 32)
		if err != nil {
			fatal(err)
		}
		rss = rd.rss()
		if _, err := cli(rd, "SAVE"); err != nil {
			fatal(err)
		}
		rd.halt()
		disk = du(rd.dir)
		up, err = rd.start(30 * time.Minute) // appendonly yes: loads the AOF
		if err != nil {
			fatal(err)
		}
		addRow("| %d | Redis from AOF | %.1f | %.0f | %d | %d | %d (AOF + RDB) |\n", n, load.Seconds(), float64(up)/1e6, rss>>20, rd.rss()>>20, disk>>20)
		rd.halt()
		rd.args = replaceArg(rd.args, "--appendonly", "no")
		up, err = rd.start(30 * time.Minute) // appendonly no: loads dump.rdb
		if err != nil {
			fatal(err)
		}
		keys, _ := cli(rd, "DBSIZE")
		if keys != strconv.Itoa(n) {
			fatal(fmt.Errorf("redis loaded %s keys from its RDB, want %d", keys, n))
		}
		addRow("| %d | Redis from RDB | | %.0f | | %d | |\n", n, float64(up)/1e6, rd.rss()>>20)
		rd.stop()
		fmt.Fprintf(os.Stderr, "done: restart redis %d keys\n", n)
	}
	return b.String()
}

func replaceArg(args []string, name, value string) []string {
	out := append([]string(nil), args...)
	for i := 0; i+1 < len(out); i++ {
		if out[i] == name {
			out[i+1] = value
		}
	}
	return out
}

// du is the size of the files under dir.
func du(dir string) int64 {
	var total int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				total += info.Size()
			}
		}
		return nil
	})
	return total
}

// bigDataScale writes mb megabytes of 1 KB values into a Moonstone whose
// cache is cacheMB, and into Redis, then measures GET throughput on
// uniformly random keys: the data-larger-than-cache case.
func bigDataScale(bin string, mb, cacheMB, requests int) string {
	n := mb << 10 // 1 KB values
	var b strings.Builder
	fmt.Fprintf(&b, "\nData set larger than the cache: %d keys of 1 KB of random bytes (%d MB of values), Moonstone with cache-size %d MB (appendfsync no), Redis with persistence off. "+
		"GET of uniformly random keys: redis-benchmark, 50 clients, %d requests, pipeline 1 and 16.\n\n", n, mb, cacheMB, requests)
	b.WriteString("| server | load s | RSS after load MB | GET P1 ops/s | GET P1 p50/p99 ms | GET P16 ops/s | RSS after GETs MB | on disk MB |\n| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |\n")
	ms, err := startMoonstone(bin, "no", "--cache-size", strconv.Itoa(cacheMB<<20))
	if err != nil {
		fatal(err)
	}
	defer ms.stop()
	rd, err := startRedis("no")
	if err != nil {
		fatal(err)
	}
	defer rd.stop()
	for _, s := range []*server{ms, rd} {
		load, err := loadStrings(s, n, 1024)
		if err != nil {
			fatal(err)
		}
		rss := s.rss()
		args := []string{"-c", "50", "-n", strconv.Itoa(requests), "-r", strconv.Itoa(n)}
		p1, err := redisBenchmark(s, append(args, "-P", "1", "get", "key:__rand_int__")...)
		if err != nil {
			fatal(err)
		}
		p16, err := redisBenchmark(s, append(args, "-P", "16", "get", "key:__rand_int__")...)
		if err != nil {
			fatal(err)
		}
		name := "Moonstone"
		if s.name == "redis" {
			name = "Redis"
		}
		fmt.Fprintf(&b, "| %s | %.1f | %d | %.0f | %.3f / %.3f | %.0f | %d | %d |\n", name, load.Seconds(), rss>>20,
			p1["*"].rps, p1["*"].p50, p1["*"].p99, p16["*"].rps, s.rss()>>20, du(s.dir)>>20)
	}
	fmt.Fprintln(os.Stderr, "done: larger than cache")
	return b.String()
}
