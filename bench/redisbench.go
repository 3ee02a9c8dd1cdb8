package main

import (
	"encoding/csv"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
)

// result is one workload's figures on one server.
type result struct {
	rps float64
	p50 float64 // ms
	p99 float64 // ms
	// p999 is reported by the Go load generator only (0 otherwise).
	p999 float64 // ms
	// cpu is the server's CPU time per operation in µs over the run (its
	// whole process, so it includes background work such as compactions).
	cpu float64
}

// redisBenchmark runs redis-benchmark against s and returns a result per
// test name (SET, GET, ...), parsed from its CSV output.
func redisBenchmark(s *server, args ...string) (map[string]result, error) {
	all := append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(s.port), "--csv"}, args...)
	cpu0 := procCPU(s.cmd.Process.Pid)
	out, err := exec.Command("redis-benchmark", all...).Output()
	if err != nil {
		return nil, fmt.Errorf("redis-benchmark %v: %v", args, err)
	}
	cpu := procCPU(s.cmd.Process.Pid) - cpu0
	rows, err := csv.NewReader(strings.NewReader(string(out))).ReadAll()
	if err != nil {
		return nil, err
	}
	res := map[string]result{}
	for _, row := range rows {
		if len(row) < 7 || row[0] == "test" {
			continue
		}
		rps, _ := strconv.ParseFloat(row[1], 64)
		p50, _ := strconv.ParseFloat(row[4], 64)
		p99, _ := strconv.ParseFloat(row[6], 64)
		name := strings.Fields(row[0])[0]
		if strings.EqualFold(name, "evalsha") {
			// A custom command reports its own text; the caller asked for
			// one test, so key it by the workload instead.
			name = "*"
		}
		res[name] = result{rps: rps, p50: p50, p99: p99}
	}
	if len(rows) > 0 && len(res) == 1 {
		for _, r := range res {
			res["*"] = r // a custom command's row, whatever its text
		}
	}
	// With one test per run (as the harness runs them), the server's CPU
	// time divides among that test's requests.
	if len(res) <= 2 {
		for name, r := range res {
			if reqs := requests(args); reqs > 0 {
				r.cpu = float64(cpu.Microseconds()) / float64(reqs)
			}
			res[name] = r
		}
	}
	return res, nil
}

// requests is the -n argument of a redis-benchmark command line.
func requests(args []string) int {
	for i := 0; i+1 < len(args); i++ {
		if args[i] == "-n" {
			n, _ := strconv.Atoi(args[i+1])
			return n
		}
	}
	return 0
}
