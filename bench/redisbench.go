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
}

// redisBenchmark runs redis-benchmark against s and returns a result per
// test name (SET, GET, ...), parsed from its CSV output.
func redisBenchmark(s *server, args ...string) (map[string]result, error) {
	all := append([]string{"-h", "127.0.0.1", "-p", strconv.Itoa(s.port), "--csv"}, args...)
	out, err := exec.Command("redis-benchmark", all...).Output()
	if err != nil {
		return nil, fmt.Errorf("redis-benchmark %v: %v", args, err)
	}
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
	return res, nil
}
