// Command bench puts Moonstone and a real redis-server through the same
// load in the same run and reports medians and Moonstone/Redis ratios.
//
//	go run ./bench              # full run (several minutes)
//	go run ./bench -short       # smoke test: checks the harness works
//	go run ./bench loadgen -port 6379 -workload transfer -duration 10s
//	                            # the Go load generator alone, against a running server
//
// It builds Moonstone, installs redis-server and redis-tools with apt when
// they are missing, starts each server on a free loopback port with a fresh
// data directory, and compares like with like: Moonstone "always" against
// Redis with appendonly yes and appendfsync always, "everysec" against
// everysec, and Moonstone "no" against Redis with persistence off. Results
// go to stdout and, as Markdown and an SVG chart, to bench/results/.
//
// Plain commands run under redis-benchmark, one test per run; the ledger
// transfer (two distinct random accounts per call) and the rate limiter run
// under the Go load generator (loadgen.go). Every run also records each
// server's CPU time per request, read from /proc: on a shared machine it
// moves far less than throughput, so it is the figure to compare builds by.
//
// Scale figures are opt-in (scale.go), and with -only-scale they are
// written to bench/results/scale.md instead of the throughput table, each
// section as soon as it is measured (a 50M-key round takes many minutes):
//
//	-restart 1000000,10000000   restart time (start to first PONG) and RSS,
//	                            Moonstone against Redis loading its AOF and its RDB
//	-bigdata 320 -cache 64      320 MB of random 1 KB values, Moonstone's cache 64 MB, random GETs
//	-values 4096,65536,1048576  SET then GET of values of each size under always (values.go),
//	                            with peak RSS (bench/results/values.md is such a run)
//	-zset 10000000              a 10M-member sorted set (100k in a normal run)
package main
