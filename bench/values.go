package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// valuesScale is the opt-in -values section: SET and then GET of values of
// each size, 50 clients, pipeline 1, over 10k keys, on a fresh Moonstone
// under appendfsync always and a fresh Redis with AOF always. Each size
// moves about 1 GB (at least 1000 and at most requests SETs), and the
// table gives the peak resident memory as well, which is where a server
// that holds on to large values shows it.
func valuesScale(bin string, sizes []int, requests int) string {
	var b strings.Builder
	b.WriteString("\nLarge values: redis-benchmark SET then GET of values of each size, 50 clients, pipeline 1, " +
		"10k random keys, Moonstone `always` against Redis AOF `always`; server CPU per request; peak resident memory.\n\n")
	b.WriteString("| value | server | SET ops/s | SET p50 ms | SET CPU µs | GET ops/s | GET p50 ms | GET CPU µs | peak RSS MB | SET / GET ratio |\n" +
		"| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n")
	for _, size := range sizes {
		n := min(max((1<<30)/size, 1000), requests)
		var set, get [2]result
		for i, start := range []func() (*server, error){
			func() (*server, error) { return startMoonstone(bin, "always") },
			func() (*server, error) { return startRedis("always") },
		} {
			s, err := start()
			if err != nil {
				fatal(err)
			}
			args := []string{"-c", "50", "-n", strconv.Itoa(n), "-r", "10000", "-d", strconv.Itoa(size), "-t"}
			for _, t := range []struct {
				name string
				into *result
			}{{"set", &set[i]}, {"get", &get[i]}} {
				res, err := redisBenchmark(s, append(args, t.name)...)
				if err != nil {
					s.stop()
					fatal(err)
				}
				*t.into = res[strings.ToUpper(t.name)]
			}
			name, ratio := "Moonstone", ""
			if s.name == "redis" {
				name = "Redis"
				ratio = fmt.Sprintf("%.2f× / %.2f×", set[0].rps/set[1].rps, get[0].rps/get[1].rps)
			}
			fmt.Fprintf(&b, "| %s | %s | %.0f | %.3f | %.0f | %.0f | %.3f | %.0f | %d | %s |\n", sizeName(size), name,
				set[i].rps, set[i].p50, set[i].cpu, get[i].rps, get[i].p50, get[i].cpu, s.peakRSS()>>20, ratio)
			s.stop()
		}
		fmt.Fprintf(os.Stderr, "done: values of %s\n", sizeName(size))
	}
	return b.String()
}

// sizeName is a value size as the table shows it: 4 KB, 64 KB, 1 MB.
func sizeName(size int) string {
	switch {
	case size >= 1<<20 && size%(1<<20) == 0:
		return fmt.Sprintf("%d MB", size>>20)
	case size >= 1<<10 && size%(1<<10) == 0:
		return fmt.Sprintf("%d KB", size>>10)
	}
	return fmt.Sprintf("%d B", size)
}
