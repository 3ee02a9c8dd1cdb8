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

// workload is one load run with redis-benchmark.
type workload struct {
	name  string
	tests []string // the redis-benchmark test names it reports
	args  []string
}

func workloads(n int) []workload {
	ns := strconv.Itoa(n)
	base := []string{"-c", "50", "-n", ns, "-r", "100000"}
	return []workload{
		{"P1", []string{"SET", "GET", "INCR"}, append([]string{"-t", "set,get,incr", "-P", "1"}, base...)},
		{"P16", []string{"SET", "GET", "INCR"}, append([]string{"-t", "set,get,incr", "-P", "16"}, base...)},
		{"P1", []string{"LPUSH", "LPOP", "HSET", "ZADD"}, append([]string{"-t", "lpush,lpop,hset,zadd", "-P", "1"}, base...)},
	}
}

// row is one line of the report: a test on both servers in one mode.
type row struct {
	mode, test, pipeline string
	ms, redis            []result
}

func main() {
	short := flag.Bool("short", false, "smoke test: tiny loads, one repeat")
	repeat := flag.Int("repeat", 3, "runs per workload; the report shows medians")
	n := flag.Int("n", 200000, "requests per redis-benchmark run")
	modes := flag.String("modes", "always,everysec,no", "durability modes to compare")
	out := flag.String("out", "bench/results", "where to write latest.md and latest.svg")
	flag.Parse()
	if *short {
		*repeat, *n = 1, 2000
	}
	if err := ensureTools(); err != nil {
		fatal(err)
	}
	bin, err := buildMoonstone()
	if err != nil {
		fatal(err)
	}
	var rows []*row
	for _, mode := range strings.Split(*modes, ",") {
		ms, err := startMoonstone(bin, mode)
		if err != nil {
			fatal(err)
		}
		rd, err := startRedis(mode)
		if err != nil {
			ms.stop()
			fatal(err)
		}
		ws := workloads(*n)
		sw, err := scriptWorkloads(ms, *n)
		if err == nil {
			_, err = scriptWorkloads(rd, *n)
		}
		if err != nil {
			fatal(err)
		}
		ws = append(ws, sw...)
		for _, w := range ws {
			byTest := map[string]*row{}
			for _, t := range w.tests {
				r := &row{mode: mode, test: t, pipeline: w.name}
				byTest[t] = r
				rows = append(rows, r)
			}
			for i := 0; i < *repeat; i++ {
				// Alternate the servers so drift on a noisy machine hits both.
				for _, s := range []*server{ms, rd} {
					res, err := redisBenchmark(s, w.args...)
					if err != nil {
						fatal(err)
					}
					for t, r := range byTest {
						got, ok := res[t]
						if !ok {
							got = res["*"]
						}
						if s.name == "moonstone" {
							r.ms = append(r.ms, got)
						} else {
							r.redis = append(r.redis, got)
						}
					}
				}
			}
			fmt.Fprintf(os.Stderr, "done: %s %s\n", mode, strings.Join(w.tests, ","))
		}
		fmt.Fprintf(os.Stderr, "moonstone (%s) resident memory after the run: %d MB\n", mode, ms.rss()>>20)
		ms.stop()
		rd.stop()
	}
	report := markdown(rows, *repeat, *n)
	fmt.Print(report)
	if !*short {
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
	fmt.Fprintf(&b, "Run %s on %s; redis-benchmark, 50 clients, %d requests, 100k random keys; median of %d runs.\n\n",
		time.Now().UTC().Format("2006-01-02"), machine(), n, repeat)
	b.WriteString("| mode (Moonstone vs Redis) | test | pipeline | Moonstone ops/s | Redis ops/s | ratio | Moonstone p50/p99 ms | Redis p50/p99 ms |\n")
	b.WriteString("| --- | --- | --- | ---: | ---: | ---: | --- | --- |\n")
	for _, r := range rows {
		m, rd := median(r.ms), median(r.redis)
		ratio := 0.0
		if rd.rps > 0 {
			ratio = m.rps / rd.rps
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %.0f | %.0f | %.2f | %.3f / %.3f | %.3f / %.3f |\n",
			modeLabel(r.mode), r.test, r.pipeline, m.rps, rd.rps, ratio, m.p50, m.p99, rd.p50, rd.p99)
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
