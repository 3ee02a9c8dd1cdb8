package main

import (
	"bufio"
	"crypto/sha1"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"
)

// The Go load generator: what redis-benchmark cannot express, such as a
// transfer between two distinct random accounts, with latency percentiles
// past p99. Each client is a goroutine with its own connection speaking
// RESP directly (no client library: a request is one append into a reused
// buffer, a reply is parsed without allocating), sending one command and
// waiting for its reply, as redis-benchmark does with pipeline 1. Every
// latency is kept and sorted at the end, so the percentiles are exact.
//
// The generator measures its own CPU time per operation and, when it knows
// the server's process, the server's: the second is the figure to compare
// between builds on a busy machine, where throughput moves with the
// neighbours' load but CPU per operation much less.

// loadSpec is one load generator run.
type loadSpec struct {
	workload string // "transfer", "ratelimiter", "get" or "queue"
	clients  int
	ops      int           // total operations; 0 means run for duration
	duration time.Duration // used when ops is 0
	sha      string        // the script's SHA1 for the EVALSHA workloads
}

// loadResult is what one run measured.
type loadResult struct {
	ops            int
	errors         int // error replies (e.g. "Insufficient balance"); counted, not fatal
	elapsed        time.Duration
	p50, p99, p999 time.Duration
	genCPU         time.Duration // the generator's own CPU time
	serverCPU      time.Duration // the server's, when its pid is known
}

func (r loadResult) rps() float64 { return float64(r.ops) / r.elapsed.Seconds() }

func (r loadResult) result() result {
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	return result{rps: r.rps(), p50: ms(r.p50), p99: ms(r.p99), p999: ms(r.p999)}
}

func (r loadResult) String() string {
	s := fmt.Sprintf("%d ops in %.2fs: %.0f ops/s, p50 %.3f ms, p99 %.3f ms, p999 %.3f ms, %d error replies; generator CPU %.1f µs/op",
		r.ops, r.elapsed.Seconds(), r.rps(), float64(r.p50)/1e6, float64(r.p99)/1e6, float64(r.p999)/1e6, r.errors,
		float64(r.genCPU)/1e3/float64(r.ops))
	if r.serverCPU > 0 {
		s += fmt.Sprintf(", server CPU %.1f µs/op", float64(r.serverCPU)/1e3/float64(r.ops))
	}
	return s
}

// request builds one operation's command into buf.
type request func(buf []byte, rng *rand.Rand) []byte

func (spec loadSpec) request() (request, error) {
	switch spec.workload {
	case "transfer":
		// Two distinct accounts of the funded 10k, 1 unit each way.
		return func(buf []byte, rng *rand.Rand) []byte {
			a := rng.IntN(accounts)
			b := rng.IntN(accounts - 1)
			if b >= a {
				b++
			}
			buf = appendArrayHeader(buf, 6)
			buf = appendBulk(buf, "EVALSHA")
			buf = appendBulk(buf, spec.sha)
			buf = appendBulk(buf, "2")
			buf = appendAccount(buf, a)
			buf = appendAccount(buf, b)
			return appendBulk(buf, "1")
		}, nil
	case "ratelimiter":
		// The seed's usage: 10 requests per 60 s per user, over 100k users,
		// at the current time in seconds.
		return func(buf []byte, rng *rand.Rand) []byte {
			buf = appendArrayHeader(buf, 7)
			buf = appendBulk(buf, "EVALSHA")
			buf = appendBulk(buf, spec.sha)
			buf = appendBulk(buf, "1")
			buf = appendBulkBytes(buf, strconv.AppendInt([]byte("ratelimit:user:"), int64(rng.IntN(100000)), 10))
			buf = appendBulk(buf, "10")
			buf = appendBulk(buf, "60")
			return appendBulkBytes(buf, strconv.AppendInt(nil, time.Now().Unix(), 10))
		}, nil
	case "queue":
		// A job queue: producers LPUSH a job id, workers RPOP one, half
		// and half over 1000 queues, so each queue stays a few jobs long
		// (and one that drains is deleted and starts over).
		return func(buf []byte, rng *rand.Rand) []byte {
			q := rng.IntN(1000)
			if rng.IntN(2) == 0 {
				buf = appendArrayHeader(buf, 3)
				buf = appendBulk(buf, "LPUSH")
				buf = appendBulkBytes(buf, strconv.AppendInt([]byte("queue:"), int64(q), 10))
				return appendBulkBytes(buf, strconv.AppendUint([]byte("job:"), rng.Uint64()>>24, 10))
			}
			buf = appendArrayHeader(buf, 2)
			buf = appendBulk(buf, "RPOP")
			return appendBulkBytes(buf, strconv.AppendInt([]byte("queue:"), int64(q), 10))
		}, nil
	case "get":
		// GET of the funded accounts: a read baseline for the generator.
		return func(buf []byte, rng *rand.Rand) []byte {
			buf = appendArrayHeader(buf, 2)
			buf = appendBulk(buf, "GET")
			return appendAccount(buf, rng.IntN(accounts))
		}, nil
	}
	return nil, fmt.Errorf("unknown workload %q (transfer, ratelimiter, get, queue)", spec.workload)
}

// runLoad runs spec against addr. serverPid, when non-zero, is the
// server's process, whose CPU time over the run is reported.
func runLoad(addr string, serverPid int, spec loadSpec) (loadResult, error) {
	req, err := spec.request()
	if err != nil {
		return loadResult{}, err
	}
	conns := make([]*respConn, spec.clients)
	for i := range conns {
		if conns[i], err = dialRESP(addr); err != nil {
			return loadResult{}, err
		}
		defer conns[i].nc.Close()
	}
	// Operations are handed out from a shared budget in small slices, so
	// fast clients do more of them and the run ends for all at once.
	var (
		mu     sync.Mutex
		left   = spec.ops
		stopAt time.Time
	)
	take := func() int {
		mu.Lock()
		defer mu.Unlock()
		if spec.ops == 0 {
			if time.Now().After(stopAt) {
				return 0
			}
			return 16
		}
		n := min(left, 16)
		left -= n
		return n
	}
	lat := make([][]time.Duration, spec.clients)
	errs := make([]int, spec.clients)
	fails := make([]error, spec.clients)
	cpu0, scpu0 := selfCPU(), procCPU(serverPid)
	start := time.Now()
	stopAt = start.Add(spec.duration)
	var wg sync.WaitGroup
	for i, c := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i)+1, uint64(start.UnixNano())))
			samples := make([]time.Duration, 0, 4096)
			var buf []byte
			for n := take(); n > 0; n = take() {
				for range n {
					buf = req(buf[:0], rng)
					t := time.Now()
					isErr, err := c.do(buf)
					samples = append(samples, time.Since(t))
					if err != nil {
						fails[i] = err
						return
					}
					if isErr {
						errs[i]++
					}
				}
			}
			lat[i] = samples
		}()
	}
	wg.Wait()
	res := loadResult{elapsed: time.Since(start), genCPU: selfCPU() - cpu0}
	if serverPid != 0 {
		res.serverCPU = procCPU(serverPid) - scpu0
	}
	if err := errors.Join(fails...); err != nil {
		return res, err
	}
	var all []time.Duration
	for i := range lat {
		all = append(all, lat[i]...)
		res.errors += errs[i]
	}
	if len(all) == 0 {
		return res, errors.New("load generator: no operation completed")
	}
	sort.Slice(all, func(i, j int) bool { return all[i] < all[j] })
	res.ops = len(all)
	pct := func(p float64) time.Duration { return all[min(len(all)-1, int(p*float64(len(all))))] }
	res.p50, res.p99, res.p999 = pct(0.50), pct(0.99), pct(0.999)
	return res, nil
}

// selfCPU is this process's user+system CPU time.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// procCPU is process pid's user+system CPU time from /proc (0 when unknown).
func procCPU(pid int) time.Duration {
	if pid == 0 {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// Fields 14 and 15 (utime, stime) in clock ticks, after the command
	// name, which is in parentheses and may hold spaces.
	i := len(b) - 1
	for i > 0 && b[i] != ')' {
		i--
	}
	var f [13]string
	var utime, stime int64
	fmt.Sscan(string(b[i+2:]), &f[0], &f[1], &f[2], &f[3], &f[4], &f[5], &f[6], &f[7], &f[8], &f[9], &f[10], &utime, &stime)
	const ticks = 100 // USER_HZ on Linux
	return time.Duration(utime+stime) * time.Second / ticks
}

// respConn is a minimal RESP2 client connection: one request out, one
// reply read and checked, nothing kept.
type respConn struct {
	nc net.Conn
	r  *bufio.Reader
}

func dialRESP(addr string) (*respConn, error) {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &respConn{nc: nc, r: bufio.NewReaderSize(nc, 16<<10)}, nil
}

// do sends one encoded request and reads its reply; isErr reports an error
// reply (a protocol or network failure is err).
func (c *respConn) do(req []byte) (isErr bool, err error) {
	if _, err := c.nc.Write(req); err != nil {
		return false, err
	}
	return c.skipReply()
}

// skipReply reads one whole reply, nested arrays included.
func (c *respConn) skipReply() (bool, error) {
	line, err := c.r.ReadSlice('\n')
	if err != nil {
		return false, err
	}
	if len(line) < 3 {
		return false, fmt.Errorf("bad reply line %q", line)
	}
	switch line[0] {
	case '+', ':':
		return false, nil
	case '-':
		return true, nil
	case '$':
		n := parseLen(line[1 : len(line)-2])
		if n < 0 {
			return false, nil
		}
		_, err := c.r.Discard(n + 2)
		return false, err
	case '*':
		n := parseLen(line[1 : len(line)-2])
		for range max(n, 0) {
			if _, err := c.skipReply(); err != nil {
				return false, err
			}
		}
		return false, nil
	}
	return false, fmt.Errorf("bad reply line %q", line)
}

func parseLen(b []byte) int {
	if len(b) > 0 && b[0] == '-' {
		return -1
	}
	n := 0
	for _, ch := range b {
		n = n*10 + int(ch-'0')
	}
	return n
}

func appendArrayHeader(buf []byte, n int) []byte {
	buf = append(buf, '*')
	buf = strconv.AppendInt(buf, int64(n), 10)
	return append(buf, '\r', '\n')
}

func appendBulk(buf []byte, s string) []byte {
	buf = append(buf, '$')
	buf = strconv.AppendInt(buf, int64(len(s)), 10)
	buf = append(buf, '\r', '\n')
	buf = append(buf, s...)
	return append(buf, '\r', '\n')
}

func appendBulkBytes(buf []byte, s []byte) []byte {
	buf = append(buf, '$')
	buf = strconv.AppendInt(buf, int64(len(s)), 10)
	buf = append(buf, '\r', '\n')
	buf = append(buf, s...)
	return append(buf, '\r', '\n')
}

// appendAccount appends the ledger key of account i as the funding script
// names it: account:%012d.
func appendAccount(buf []byte, i int) []byte {
	var digits [20]byte
	d := strconv.AppendInt(digits[:0], int64(i), 10)
	buf = append(buf, "$20\r\naccount:"...)
	for range 12 - len(d) {
		buf = append(buf, '0')
	}
	buf = append(buf, d...)
	return append(buf, '\r', '\n')
}

// loadgenMain is "go run ./bench loadgen ...": the load generator alone,
// against a server already running, e.g. one being profiled.
func loadgenMain(args []string) {
	fs := flag.NewFlagSet("loadgen", flag.ExitOnError)
	port := fs.Int("port", 6379, "the server's port on 127.0.0.1")
	workload := fs.String("workload", "transfer", "transfer, ratelimiter, get or queue")
	clients := fs.Int("clients", 50, "concurrent clients, one connection each")
	ops := fs.Int("ops", 0, "total operations (0: run for -duration)")
	duration := fs.Duration("duration", 10*time.Second, "how long to run when -ops is 0")
	pid := fs.Int("pid", 0, "the server's process id, to report its CPU time per operation")
	setup := fs.Bool("setup", true, "load the scripts and fund the accounts first")
	fs.Parse(args)
	s := &server{name: "target", port: *port, addr: fmt.Sprintf("127.0.0.1:%d", *port)}
	spec := loadSpec{workload: *workload, clients: *clients, ops: *ops, duration: *duration}
	if *setup {
		shas, err := loadScripts(s)
		if err != nil {
			fatal(err)
		}
		spec.sha = shas[*workload]
	} else if *workload != "get" && *workload != "queue" {
		spec.sha = scriptSHA(*workload)
	}
	res, err := runLoad(s.addr, *pid, spec)
	if err != nil {
		fatal(err)
	}
	fmt.Printf("%s, %d clients: %s\n", *workload, *clients, res)
}

// scriptSHA is the SHA1 a workload's script loads under.
func scriptSHA(workload string) string {
	body := transferScript
	if workload == "ratelimiter" {
		body = rateLimiterScript
	}
	return fmt.Sprintf("%x", sha1.Sum([]byte(body)))
}
