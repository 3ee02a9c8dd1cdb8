// Command bench puts Moonstone and a real redis-server through the same
// load in the same run and reports medians and Moonstone/Redis ratios.
//
//	go run ./bench              # full run (several minutes)
//	go run ./bench -short       # smoke test: checks the harness works
//
// It builds Moonstone, installs redis-server and redis-tools with apt when
// they are missing, starts each server on a free loopback port with a fresh
// data directory, and compares like with like: Moonstone "always" against
// Redis with appendonly yes and appendfsync always, "everysec" against
// everysec, and Moonstone "no" against Redis with persistence off. Results
// go to stdout and, as Markdown and an SVG chart, to bench/results/.
package main
