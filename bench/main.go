package main

import (
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"time"
)

// workload is one load run: redis-benchmark with args, or (when gen is
// set) the Go load generator.
type workload struct {
	name string // the pipeline column: P1, P16
	test string // the test column
	args []string
	gen  string // a load generator workload: "transfer", "ratelimiter"
}

// workloads are the redis-benchmark runs, one test each, so that the
// server's CPU time over a run is that test's.
func workloads(n int) []workload {
	base := []string{"-c", "50", "-n", strconv.Itoa(n), "-r", "100000"}
	var ws []workload
	for _, p := range []string{"1", "16"} {
		for _, t := range []string{"SET", "GET", "INCR"} {
			ws = append(ws, workload{"P" + p, t, append([]string{"-t", strings.ToLower(t), "-P", p}, base...), ""})
		}
	}
	for _, t := range []string{"LPUSH", "LPOP", "HSET", "ZADD"} {
		ws = append(ws, workload{"P1", t, append([]string{"-t", strings.ToLower(t), "-P", "1"}, base...), ""})
	}
	return append(ws,
		workload{name: "P1", test: "EVALSHA rate limiter (Go)", gen: "ratelimiter"},
		workload{name: "P1", test: "EVALSHA transfer (Go)", gen: "transfer"})
}

// row is one line of the report: a test on both servers in one mode.
type row struct {
	mode, test, pipeline string
	ms, redis            []result
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "loadgen" {
		loadgenMain(os.Args[2:])
		return
	}
	short := flag.Bool("short", false, "smoke test: tiny loads, one repeat")
	repeat := flag.Int("repeat", 3, "runs per workload; the report shows medians")
	n := flag.Int("n", 200000, "requests per redis-benchmark run")
	modes := flag.String("modes", "always,everysec,no", "durability modes to compare")
	out := flag.String("out", "bench/results", "where to write latest.md and latest.svg")
	zsetN := flag.Int("zset", 100000, "also measure a sorted set of this many members (e.g. 10000000); 0 skips it; -short skips it")
	restart := flag.String("restart", "", "opt-in: restart time and memory with these key counts, comma-separated (e.g. 1000000,10000000)")
	bigMB := flag.Int("bigdata", 0, "opt-in: write this many MB of 1 KB values (e.g. 320) into a Moonstone with a -cache MB cache and measure random GETs")
	cacheMB := flag.Int("cache", 64, "Moonstone's cache-size in MB for -bigdata")
	values := flag.String("values", "", "opt-in: SET and GET of values of these sizes in bytes, comma-separated (e.g. 4096,65536,1048576)")
	only := flag.Bool("only-scale", false, "run only the opt-in scale modes asked for (-restart, -bigdata, -values, -zset), not the throughput table")
	flag.Parse()
	if *short {
		*repeat, *n, *zsetN = 1, 2000, 0
	}
	if err := ensureTools(); err != nil {
		fatal(err)
	}
	bin, err := buildMoonstone()
	if err != nil {
		fatal(err)
	}
	var rows []*row
	if *only {
		*modes = ""
		// The sorted set's default size is for the full run; here it runs
		// only when asked for.
		zsetSet := false
		flag.Visit(func(f *flag.Flag) { zsetSet = zsetSet || f.Name == "zset" })
		if !zsetSet {
			*zsetN = 0
		}
	}
	for _, mode := range strings.Split(*modes, ",") {
		if mode == "" {
			continue
		}
		ms, err := startMoonstone(bin, mode)
		if err != nil {
			fatal(err)
		}
		rd, err := startRedis(mode)
		if err != nil {
			ms.stop()
			fatal(err)
		}
		shas := map[*server]map[string]string{}
		for _, s := range []*server{ms, rd} {
			if shas[s], err = loadScripts(s); err != nil {
				fatal(err)
			}
		}
		for _, w := range workloads(*n) {
			r := &row{mode: mode, test: w.test, pipeline: w.name}
			rows = append(rows, r)
			for i := 0; i < *repeat; i++ {
				// Alternate the servers so drift on a noisy machine hits both.
				for _, s := range []*server{ms, rd} {
					var got result
					if w.gen != "" {
						lr, err := runLoad(s.addr, s.cmd.Process.Pid, loadSpec{workload: w.gen, clients: 50, ops: *n, sha: shas[s][w.gen]})
						if err != nil {
							fatal(fmt.Errorf("%s on %s: %w", w.test, s.name, err))
						}
						got = lr.result()
						got.cpu = float64(lr.serverCPU.Microseconds()) / float64(lr.ops)
						fmt.Fprintf(os.Stderr, "  %s %s: %s\n", s.name, w.gen, lr)
					} else {
						res, err := redisBenchmark(s, w.args...)
						if err != nil {
							fatal(err)
						}
						got = res[w.test]
					}
					if s.name == "moonstone" {
						r.ms = append(r.ms, got)
					} else {
						r.redis = append(r.redis, got)
					}
				}
			}
			fmt.Fprintf(os.Stderr, "done: %s %s %s\n", mode, w.test, w.name)
		}
		fmt.Fprintf(os.Stderr, "moonstone (%s) resident memory after the run: %d MB\n", mode, ms.rss()>>20)
		ms.stop()
		rd.stop()
	}
	report := ""
	if len(rows) > 0 {
		report = markdown(rows, *repeat, *n)
	}
	// Scale sections take minutes to hours each: print and save every one as
	// it finishes, so an interrupted run still leaves what it measured.
	addScale := func(section string) {
		report += section
		fmt.Print(section)
		if *only {
			if err := os.MkdirAll(*out, 0o755); err != nil {
				fatal(err)
			}
			os.WriteFile(filepath.Join(*out, "scale.md"), []byte(report), 0o644)
		}
	}
	if *restart != "" {
		addScale(restartScale(bin, intList("restart", *restart)))
	}
	if *bigMB > 0 {
		addScale(bigDataScale(bin, *bigMB, *cacheMB, *n))
	}
	if *values != "" {
		addScale(valuesScale(bin, intList("values", *values), *n))
	}
	if *zsetN > 0 {
		addScale(zsetScale(bin, *zsetN))
	}
	if len(rows) > 0 {
		fmt.Print(markdown(rows, *repeat, *n))
	}
	if !*only && !*short {
		if err := os.MkdirAll(*out, 0o755); err != nil {
			fatal(err)
		}
		os.WriteFile(filepath.Join(*out, "latest.md"), []byte(report), 0o644)
		os.WriteFile(filepath.Join(*out, "latest.svg"), []byte(chart(rows)), 0o644)
	}
	for _, r := range rows {
		if median(r.ms).rps == 0 {
			fatal(fmt.Errorf("%s %s %s: no result from moonstone", r.mode, r.test, r.pipeline))
		}
	}
}

// intList parses flag name's comma-separated list of positive integers.
func intList(name, list string) []int {
	var ns []int
	for _, f := range strings.Split(list, ",") {
		n, err := strconv.Atoi(f)
		if err != nil || n <= 0 {
			fatal(fmt.Errorf("-%s: %q is not a positive integer", name, f))
		}
		ns = append(ns, n)
	}
	return ns
}

func ensureTools() error {
	if _, err := exec.LookPath("redis-benchmark"); err == nil {
		if _, err := exec.LookPath("redis-server"); err == nil {
			return nil
		}
	}
	fmt.Fprintln(os.Stderr, "installing redis-server and redis-tools...")
	for _, args := range [][]string{{"update", "-qq"}, {"install", "-y", "-qq", "redis-server", "redis-tools"}} {
		cmd := exec.Command("apt-get", args...)
		cmd.Env = append(os.Environ(), "DEBIAN_FRONTEND=noninteractive")
		cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
		if err := cmd.Run(); err != nil {
			return fmt.Errorf("apt-get %v: %w", args, err)
		}
	}
	return nil
}

func buildMoonstone() (string, error) {
	dir, err := os.MkdirTemp("", "bench-bin-")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "moonstone")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/moonstone")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	return bin, cmd.Run()
}

func (r result) latencies() string {
	s := fmt.Sprintf("%.3f / %.3f", r.p50, r.p99)
	if r.p999 > 0 {
		s += fmt.Sprintf(" / %.3f", r.p999)
	}
	return s
}

// median returns the run with the median throughput.
func median(rs []result) result {
	if len(rs) == 0 {
		return result{}
	}
	s := append([]result(nil), rs...)
	sort.Slice(s, func(i, j int) bool { return s[i].rps < s[j].rps })
	return s[len(s)/2]
}

func markdown(rows []*row, repeat, n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Run %s on %s; 50 clients, %d requests per run, median of %d runs. SET/GET/INCR/LPUSH/LPOP/HSET/ZADD: redis-benchmark, 100k random keys. "+
		"EVALSHA (Go): the Go load generator (bench/loadgen.go), transfers between two distinct random accounts of 10k, the rate limiter over 100k users; "+
		"it also gives p999. CPU µs/op is the server process's CPU time over the run divided by its requests.\n\n",
		time.Now().UTC().Format("2006-01-02"), machine(), n, repeat)
	b.WriteString("| mode (Moonstone vs Redis) | test | pipeline | Moonstone ops/s | Redis ops/s | ratio | Moonstone p50/p99(/p999) ms | Redis p50/p99(/p999) ms | CPU µs/op Moonstone / Redis |\n")
	b.WriteString("| --- | --- | --- | ---: | ---: | ---: | --- | --- | --- |\n")
	for _, r := range rows {
		m, rd := median(r.ms), median(r.redis)
		ratio := 0.0
		if rd.rps > 0 {
			ratio = m.rps / rd.rps
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %.0f | %.0f | %.2f | %s | %s | %.1f / %.1f |\n",
			modeLabel(r.mode), r.test, r.pipeline, m.rps, rd.rps, ratio, m.latencies(), rd.latencies(), m.cpu, rd.cpu)
	}
	return b.String()
}

func modeLabel(mode string) string {
	switch mode {
	case "always":
		return "always vs AOF always"
	case "everysec":
		return "everysec vs AOF everysec"
	}
	return "no vs no persistence"
}

func machine() string {
	cpus := "?"
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		cpus = strconv.Itoa(strings.Count(string(b), "processor\t:"))
	}
	return cpus + " cores"
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "bench:", err)
	os.Exit(1)
}
