package server

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The table is only worth something if it agrees with a real Redis, so most
// of these tests start a redis-server 7.0.x on a free loopback port and
// compare. They are skipped when redis-server is not installed.

// ---- a minimal RESP client -------------------------------------------------

type paramTestConn struct {
	c net.Conn
	r *bufio.Reader
}

// paramTestRespErr is a RESP error reply (as opposed to an I/O error).
type paramTestRespErr string

func (e paramTestRespErr) Error() string { return string(e) }

// do sends one command; every argument is a bulk string so values may hold
// spaces and NUL bytes.
func (p *paramTestConn) do(args ...string) (any, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	p.c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := p.c.Write([]byte(b.String())); err != nil {
		return nil, err
	}
	return p.read()
}

func (p *paramTestConn) read() (any, error) {
	line, err := p.r.ReadString('\n')
	if err != nil {
		return nil, err
	}
	line = strings.TrimSuffix(line, "\r\n")
	if line == "" {
		return nil, errors.New("empty RESP line")
	}
	switch line[0] {
	case '+':
		return line[1:], nil
	case '-':
		return nil, paramTestRespErr(line[1:])
	case ':':
		return strconv.ParseInt(line[1:], 10, 64)
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil || n < 0 {
			return nil, err
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(p.r, buf); err != nil {
			return nil, err
		}
		return string(buf[:n]), nil
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return nil, err
		}
		out := make([]any, 0, max(n, 0))
		for i := 0; i < n; i++ {
			v, err := p.read()
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	}
	return nil, fmt.Errorf("unexpected RESP line %q", line)
}

// configGet returns the CONFIG GET reply as a map.
func (p *paramTestConn) configGet(t *testing.T, pattern string) map[string]string {
	t.Helper()
	v, err := p.do("CONFIG", "GET", pattern)
	if err != nil {
		t.Fatalf("CONFIG GET %s: %v", pattern, err)
	}
	arr, ok := v.([]any)
	if !ok || len(arr)%2 != 0 {
		t.Fatalf("CONFIG GET %s: unexpected reply %#v", pattern, v)
	}
	m := make(map[string]string, len(arr)/2)
	for i := 0; i < len(arr); i += 2 {
		m[arr[i].(string)] = arr[i+1].(string)
	}
	return m
}

// configGet1 returns the value of a single, exactly named parameter (the
// reply's key is the name as typed, so it is not looked up by key).
func (p *paramTestConn) configGet1(t *testing.T, name string) string {
	t.Helper()
	m := p.configGet(t, name)
	if len(m) != 1 {
		t.Fatalf("CONFIG GET %s: %d keys", name, len(m))
	}
	for _, v := range m {
		return v
	}
	return ""
}

// ---- starting redis-server -------------------------------------------------

type paramTestServer struct {
	conn *paramTestConn
	port int
	dir  string
}

// paramTestStartRedis starts redis-server on a free 127.0.0.1 port, with no
// persistence, in a temporary directory, and kills it (by its PID) when the
// test ends.
func paramTestStartRedis(t *testing.T) *paramTestServer {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server not on PATH")
	}
	out, err := exec.Command(bin, "--version").Output()
	if err != nil || !strings.Contains(string(out), "v=7.0.") {
		t.Skipf("need redis-server 7.0.x, have %q", strings.TrimSpace(string(out)))
	}
	dir := t.TempDir()
	for attempt := 0; attempt < 5; attempt++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()

		cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
			"--save", "", "--appendonly", "no", "--daemonize", "no")
		cmd.Dir = dir
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		exited := make(chan struct{})
		go func() { cmd.Wait(); close(exited) }()
		stop := func() {
			cmd.Process.Kill() // SIGKILL to exactly this PID
			<-exited
		}

		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			select {
			case <-exited: // most likely lost the port race; try another
				deadline = time.Time{}
				continue
			default:
			}
			c, err := net.DialTimeout("tcp", "127.0.0.1:"+strconv.Itoa(port), time.Second)
			if err != nil {
				time.Sleep(20 * time.Millisecond)
				continue
			}
			pc := &paramTestConn{c: c, r: bufio.NewReader(c)}
			if v, err := pc.do("PING"); err != nil || v != "PONG" {
				c.Close()
				time.Sleep(20 * time.Millisecond)
				continue
			}
			// Some probes set maxmemory-clients to a few bytes; do not let
			// client eviction take our only connection.
			if _, err := pc.do("CLIENT", "NO-EVICT", "on"); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { c.Close(); stop() })
			return &paramTestServer{conn: pc, port: port, dir: dir}
		}
		stop()
	}
	t.Fatal("could not start redis-server")
	return nil
}

// ---- table sanity (no server needed) ---------------------------------------

func TestParamDefsTable(t *testing.T) {
	if !slices.IsSortedFunc(ParamDefs, func(a, b ParamDef) int { return strings.Compare(a.Name, b.Name) }) {
		t.Error("ParamDefs is not sorted by name")
	}
	seen := map[string]bool{}
	for i := range ParamDefs {
		d := &ParamDefs[i]
		for _, n := range append([]string{d.Name}, d.Aliases...) {
			if seen[paramLowerASCII(n)] {
				t.Errorf("duplicate name %q", n)
			}
			seen[paramLowerASCII(n)] = true
			if ParamLookup(strings.ToUpper(n)) != d {
				t.Errorf("ParamLookup(%q) does not find %s", strings.ToUpper(n), d.Name)
			}
		}
		isEnum := d.Kind == paramEnum || d.Kind == paramMultiEnum
		if isEnum != (len(d.Enum) > 0) {
			t.Errorf("%s: kind %v with Enum %v", d.Name, d.Kind, d.Enum)
		}
		numeric := d.Kind == paramInt || d.Kind == paramMemory || d.Kind == paramPercent || d.Kind == paramOctal
		if numeric {
			ok := d.Min <= d.Max
			if d.Unsigned {
				ok = uint64(d.Min) <= uint64(d.Max)
			}
			if !ok {
				t.Errorf("%s: Min %d > Max %d", d.Name, d.Min, d.Max)
			}
		} else if d.Min != 0 || d.Max != 0 || d.Unsigned {
			t.Errorf("%s: bounds on a non-numeric kind", d.Name)
		}
		// A default must be a value Redis itself would accept and print
		// back unchanged.
		if d.ServerSet {
			continue
		}
		got, err := ParamNormalize(d, d.Default, d.Default)
		if d.Name == "replicaof" {
			got, err = ParamNormalize(d, "", "no one")
		}
		if err != nil || got != d.Default {
			t.Errorf("%s: default %q normalizes to %q, %v", d.Name, d.Default, got, err)
		}
	}
	if ParamLookup("no-such-option") != nil {
		t.Error("ParamLookup found an unknown name")
	}
}

// paramTestCase is one CONFIG SET: either the normalized value CONFIG GET
// prints afterwards (want) or the error text after " - " (err).
type paramTestCase struct {
	name, value string
	want, err   string
}

// paramTestCases were checked one by one against redis-server 7.0.15; the
// live test below re-checks them whenever a server is available.
var paramTestCases = []paramTestCase{
	// immutable / protected: Redis refuses before looking at the value
	{name: "daemonize", value: "yes", err: "can't set immutable config"},
	{name: "slaveof", value: "no one", err: "can't set immutable config"},
	{name: "databases", value: "abc", err: "can't set immutable config"},
	{name: "dir", value: "/tmp", err: "can't set protected config"},
	{name: "dbfilename", value: "x.rdb", err: "can't set protected config"},
	// bool
	{name: "rdbcompression", value: "NO", want: "no"},
	{name: "rdbcompression", value: "Yes", want: "yes"},
	{name: "rdbcompression", value: "1", err: "argument must be 'yes' or 'no'"},
	{name: "rdbcompression", value: "", err: "argument must be 'yes' or 'no'"},
	{name: "rdbcompression", value: "yes ", err: "argument must be 'yes' or 'no'"},
	{name: "activedefrag", value: "yes", err: "Active defragmentation cannot be enabled: it requires a Redis server compiled with a modified Jemalloc like the one shipped by default with the Redis source distribution"},
	// enum
	{name: "maxmemory-policy", value: "ALLKEYS-LRU", want: "allkeys-lru"},
	{name: "maxmemory-policy", value: "lru", err: "argument(s) must be one of the following: volatile-lru, volatile-lfu, volatile-random, volatile-ttl, allkeys-lru, allkeys-lfu, allkeys-random, noeviction"},
	{name: "loglevel", value: "notice warning", err: "argument(s) must be one of the following: debug, verbose, notice, warning"},
	{name: "appendfsync", value: "", err: "argument(s) must be one of the following: everysec, always, no"},
	{name: "shutdown-on-sigint", value: "NOW save", want: "save now"},
	{name: "shutdown-on-sigint", value: "default now force", want: "now force"},
	{name: "shutdown-on-sigint", value: "save nosave", err: "shutdown options SAVE and NOSAVE can't be used simultaneously"},
	{name: "shutdown-on-sigint", value: "", err: "argument(s) must be one of the following: default, save, nosave, now, force"},
	// int
	{name: "hz", value: "1000", want: "500"},
	{name: "hz", value: "0", want: "1"},
	{name: "hz", value: "-1", err: "argument must be between 0 and 2147483647 inclusive"},
	{name: "hz", value: "2147483648", err: "argument must be between 0 and 2147483647 inclusive"},
	{name: "hz", value: "10k", err: "argument couldn't be parsed into an integer"},
	{name: "hz", value: "+5", err: "argument couldn't be parsed into an integer"},
	{name: "hz", value: "05", err: "argument couldn't be parsed into an integer"},
	{name: "active-expire-effort", value: "11", err: "argument must be between 1 and 10 inclusive"},
	{name: "slowlog-log-slower-than", value: "-2", err: "argument must be between -1 and 9223372036854775807 inclusive"},
	{name: "maxclients", value: "0", err: "argument must be between 1 and 4294967295 inclusive"},
	{name: "hash-max-ziplist-entries", value: "-1", err: "argument must be between 0 and 9223372036854775807 inclusive"},
	{name: "lua-time-limit", value: "1234", want: "1234"},
	// memory
	{name: "maxmemory", value: "1gb", want: "1073741824"},
	{name: "maxmemory", value: "1G", want: "1000000000"},
	{name: "maxmemory", value: "2Kb", want: "2048"},
	{name: "maxmemory", value: "", want: "0"},
	{name: "maxmemory", value: "mb", want: "0"},
	{name: "maxmemory", value: "99999999999999999999", want: "18446744073709551615"},
	{name: "maxmemory", value: "1.5gb", err: "argument must be a memory value"},
	{name: "maxmemory", value: "1tb", err: "argument must be a memory value"},
	{name: "maxmemory", value: "-1", err: "argument must be a memory value"},
	{name: "maxmemory", value: " 1", err: "argument must be a memory value"},
	{name: "proto-max-bulk-len", value: "1000k", err: "argument must be between 1048576 and 9223372036854775807 inclusive"},
	{name: "proto-max-bulk-len", value: "9223372036854775808", err: "argument must be between 1048576 and 9223372036854775807 inclusive"},
	{name: "repl-backlog-size", value: "1", want: "16384"},
	// memory or percent
	{name: "maxmemory-clients", value: "10%", want: "10%"},
	{name: "maxmemory-clients", value: "0%", want: "0"},
	{name: "maxmemory-clients", value: "101%", err: "percentage argument must be less or equal to 100"},
	{name: "maxmemory-clients", value: "-5%", err: "argument must be a memory or percent value"},
	{name: "maxmemory-clients", value: "18446744073709551615", want: "1%"},
	// special
	{name: "save", value: "", want: ""},
	{name: "save", value: "3600 1 300 100", want: "3600 1 300 100"},
	{name: "save", value: "+10 +5", want: "10 5"},
	{name: "save", value: "10 ", want: "10 0"},
	{name: "save", value: "10 4294967297", want: "10 1"},
	{name: "save", value: "3600", err: "Invalid save parameters"},
	{name: "save", value: "0 1", err: "Invalid save parameters"},
	{name: "client-output-buffer-limit", value: "pubsub 64mb 16mb 120", want: "normal 0 0 0 slave 268435456 67108864 60 pubsub 67108864 16777216 120"},
	{name: "client-output-buffer-limit", value: "replica 1gb 0 0", want: "normal 0 0 0 slave 1073741824 0 0 pubsub 33554432 8388608 60"},
	{name: "client-output-buffer-limit", value: "master 0 0 0", err: "Invalid client class specified in buffer limit configuration."},
	{name: "client-output-buffer-limit", value: "normal 0 0", err: "Wrong number of arguments in buffer limit configuration."},
	{name: "client-output-buffer-limit", value: "normal 1x 0 0", err: "Error in hard, soft or soft_seconds setting in buffer limit configuration."},
	{name: "oom-score-adj-values", value: "0 100 +900", want: "0 100 900"},
	{name: "oom-score-adj-values", value: "0 200", err: "wrong number of arguments"},
	{name: "oom-score-adj-values", value: "0 200 2001", err: "Invalid oom-score-adj-values, elements must be between -2000 and 2000."},
	{name: "notify-keyspace-events", value: "KEA", want: "AKE"},
	{name: "notify-keyspace-events", value: "An", want: "A"},
	{name: "notify-keyspace-events", value: "mnKE$", want: "$nKEm"},
	{name: "notify-keyspace-events", value: "Q", err: "Invalid event class character. Use 'Ag$lshzxeKEtmdn'."},
	{name: "bind", value: "a b c d e f g h i j k l m n o p q", err: "Too many bind addresses specified."},
	{name: "latency-tracking-info-percentiles", value: "50.0 99.90 1e1", want: "50 99.9 10"},
	{name: "latency-tracking-info-percentiles", value: "", want: ""},
	{name: "latency-tracking-info-percentiles", value: "101", err: "latency-tracking-info-percentiles parameters should sit between [0.0,100.0]"},
	{name: "latency-tracking-info-percentiles", value: "50 x", err: "Invalid latency-tracking-info-percentiles parameters"},
	// strings with validators
	{name: "proc-title-template", value: "{title} {server-mode}", err: "template format is invalid or contains unknown variables"},
	{name: "proc-title-template", value: "{nope}", err: "template format is invalid or contains unknown variables"},
	{name: "proc-title-template", value: "redis {port}", want: "redis {port}"},
	{name: "cluster-announce-hostname", value: "a_b", err: "Hostnames may only contain alphanumeric characters, hyphens or dots"},
	{name: "cluster-announce-hostname", value: "host-1.example", want: "host-1.example"},
	{name: "ignore-warnings", value: "ab\x00cd", want: "ab"},
}

func TestParamValidateOffline(t *testing.T) {
	for _, tc := range paramTestCases {
		def := ParamLookup(tc.name)
		if def == nil {
			t.Fatalf("unknown %q", tc.name)
		}
		got, err := ParamValidate(def, tc.value)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%s %q: got (%q, %v), want error %q", tc.name, tc.value, got, err, tc.err)
			}
		} else if err != nil || got != tc.want {
			t.Errorf("%s %q: got (%q, %v), want %q", tc.name, tc.value, got, err, tc.want)
		}
	}
	// ParamArgName: value errors name the registered spelling.
	if n := ParamArgName(ParamLookup("HASH-MAX-ZIPLIST-ENTRIES"), "HASH-MAX-ZIPLIST-ENTRIES"); n != "hash-max-ziplist-entries" {
		t.Errorf("ParamArgName = %q", n)
	}
	if n := ParamArgName(ParamLookup("Hz"), "Hz"); n != "hz" {
		t.Errorf("ParamArgName = %q", n)
	}
}

// ---- live comparison -------------------------------------------------------

func TestParamDefaultsMatchRedis(t *testing.T) {
	srv := paramTestStartRedis(t)
	live := srv.conn.configGet(t, "*")

	realDir, err := filepath.EvalSymlinks(srv.dir)
	if err != nil {
		t.Fatal(err)
	}
	// What we changed on the command line (or what the environment sets).
	override := map[string]string{
		"port": strconv.Itoa(srv.port),
		"bind": "127.0.0.1",
		"save": "",
		"dir":  realDir,
	}
	want := map[string]string{}
	for i := range ParamDefs {
		d := &ParamDefs[i]
		if d.Hidden {
			continue
		}
		v := d.Default
		if o, ok := override[d.Name]; ok {
			v = o
		}
		want[d.Name] = v
		for _, a := range d.Aliases {
			want[a] = v
		}
	}
	for k, v := range live {
		w, ok := want[k]
		if !ok {
			t.Errorf("redis has %q (= %q), the table does not", k, v)
		} else if w != v {
			t.Errorf("%s: redis prints %q, table says %q", k, v, w)
		}
	}
	for k := range want {
		if _, ok := live[k]; !ok {
			t.Errorf("table has %q, CONFIG GET * does not", k)
		}
	}
	// Hidden parameters only answer to their exact name.
	for i := range ParamDefs {
		d := &ParamDefs[i]
		if !d.Hidden {
			continue
		}
		if _, ok := live[d.Name]; ok {
			t.Errorf("hidden %s is listed by CONFIG GET *", d.Name)
		}
		got := srv.conn.configGet(t, d.Name)
		if v, ok := got[d.Name]; !ok || v != d.Default {
			t.Errorf("%s: redis prints %q (present %v), table says %q", d.Name, v, ok, d.Default)
		}
	}
}

// paramTestNoSideEffects lists parameters whose *accepted* values are not
// sent to the live server because applying them does something beyond
// storing a value (rebinding sockets, TLS setup, rlimits, AOF rewrite,
// /proc writes, idle-client kills, authentication). Values our validator
// rejects are still sent, so their error texts are still compared.
var paramTestNoSideEffects = map[string]bool{
	"port": true, "tls-port": true, "bind": true, "tls-replication": true,
	"tls-cluster": true, "maxclients": true, "appendonly": true,
	"watchdog-period": true, "timeout": true, "oom-score-adj": true,
	"requirepass": true, "masterauth": true, "masteruser": true,
	"tls-cert-file": true, "tls-key-file": true, "tls-key-file-pass": true,
	"tls-client-cert-file": true, "tls-client-key-file": true,
	"tls-client-key-file-pass": true, "tls-dh-params-file": true,
	"tls-ca-cert-file": true, "tls-ca-cert-dir": true, "tls-protocols": true,
	"tls-ciphers": true, "tls-ciphersuites": true,
}

// paramTestProbes generates values worth trying for def.
func paramTestProbes(def *ParamDef) []string {
	var p []string
	switch def.Kind {
	case paramBool:
		p = []string{"yes", "no", "YES", "No", "maybe", "", "1", "yes ", " no", "yes\x00junk"}
	case paramEnum, paramMultiEnum:
		for _, e := range def.Enum {
			p = append(p, e, strings.ToUpper(e), e+" ")
		}
		p = append(p, "bogus", "", def.Enum[0]+" "+def.Enum[1], def.Enum[1]+"  "+def.Enum[0])
		if def.Kind == paramMultiEnum {
			p = append(p, "save now", "SAVE NOSAVE", "force now default", "now force", "nosave force now")
		}
	case paramInt, paramOctal:
		p = []string{"0", "1", "-1", "abc", "1k", "01", "+1", " 1", "1 ", "1.5", "0x10", "",
			"9223372036854775807", "9223372036854775808", "-9223372036854775808",
			"-9223372036854775809", "99999999999999999999", "777", "778", "0777"}
	case paramMemory, paramPercent:
		p = []string{"0", "1", "1b", "1k", "1kb", "1K", "1KB", "1m", "1mb", "1g", "1gb", "1GB",
			"mb", "", "-1", "1.5mb", "1tb", "10 mb", " 10", "+10", "99999999999999999999",
			"18446744073709551615", "9223372036854775808", "9223372036854775807",
			"17179869184gb", "1048575", "1048576", "16383", "16384", "1%", "1\x00zz"}
		if def.Kind == paramPercent {
			p = append(p, "10%", "0%", "100%", "101%", "-5%", "%", "50%x", "1mb%", "010%",
				"9223372036854775807%", "18446744073709551515", "18446744073709551516")
		}
	case paramString:
		switch def.Name {
		case "proc-title-template":
			p = []string{"{title}", "{server-mode}", "{title} {server-mode}", "  {title}  ",
				"{port}", "x", "{unknown}", "{", "{{", "{{title}", "}", "{title", "",
				"{listen-addr}", "{unixsocket}", "{config-file}", "{tls-port}", "a{title}b",
				"{Title}", "{title}{server-mode} x", "{title} {listen-addr} {server-mode}"}
		case "cluster-announce-hostname":
			p = []string{"", "a.b-c", "a_b", "a b", strings.Repeat("x", 255),
				strings.Repeat("x", 256), "ho\x00st!", "HOST"}
		case "ignore-warnings", "bind-source-addr", "replica-announce-ip", "cluster-announce-ip":
			p = []string{"", "x y", "ab\x00cd", "1.2.3.4"}
		}
	}
	// Bounds and their neighbours.
	if def.Kind == paramInt || def.Kind == paramMemory || def.Kind == paramPercent {
		lo, hi := big.NewInt(def.Min), big.NewInt(def.Max)
		if def.Unsigned {
			lo = new(big.Int).SetUint64(uint64(def.Min))
			hi = new(big.Int).SetUint64(uint64(def.Max))
		}
		one := big.NewInt(1)
		for _, v := range []*big.Int{lo, hi, new(big.Int).Sub(lo, one), new(big.Int).Add(hi, one)} {
			p = append(p, v.String())
		}
	}
	return p
}

// paramTestSet runs CONFIG SET name value on the live server and checks
// that our validator predicted the outcome; accepted values are read back
// with CONFIG GET and the previous value is restored.
func paramTestSet(t *testing.T, c *paramTestConn, name, value string) {
	t.Helper()
	def := ParamLookup(name)
	if def == nil {
		t.Fatalf("unknown %q", name)
	}
	cur := c.configGet1(t, name)
	if def.Name == "dir" {
		cur = "" // our validator would resolve relative paths against it
	}

	var want string
	var wantErr error
	argName := ParamArgName(def, name)
	if wantErr = ParamCheckSettable(def); wantErr != nil {
		argName = name // Redis echoes the name as typed for these
	} else {
		want, wantErr = ParamNormalize(def, cur, value)
	}
	if wantErr == nil && paramTestNoSideEffects[def.Name] {
		return
	}

	_, err := c.do("CONFIG", "SET", name, value)
	var re paramTestRespErr
	if err != nil && !errors.As(err, &re) {
		t.Fatalf("CONFIG SET %s %q: %v", name, value, err)
	}
	switch {
	case err != nil && wantErr == nil:
		t.Errorf("CONFIG SET %s %q: redis: %v; we accept it as %q", name, value, err, want)
	case err != nil:
		w := fmt.Sprintf("ERR CONFIG SET failed (possibly related to argument '%s') - %s", argName, wantErr)
		if err.Error() != w {
			t.Errorf("CONFIG SET %s %q:\n redis: %s\n   we: %s", name, value, err, w)
		}
	default:
		got := c.configGet1(t, name)
		if wantErr != nil {
			t.Errorf("CONFIG SET %s %q: redis accepts it (GET %q); we say %v", name, value, got, wantErr)
		} else if got != want {
			t.Errorf("CONFIG SET %s %q: redis GET prints %q, we predict %q", name, value, got, want)
		}
		if _, err := c.do("CONFIG", "SET", name, cur); err != nil {
			t.Fatalf("restoring %s to %q: %v", name, cur, err)
		}
	}
}

func TestParamValidateMatchesRedis(t *testing.T) {
	srv := paramTestStartRedis(t)
	c := srv.conn

	// The hand-checked cases, through their own names (aliases included).
	for _, tc := range paramTestCases {
		paramTestSet(t, c, tc.name, tc.value)
	}
	// Every parameter with generated values, through the name and through
	// each alias (errors name the alias) and in upper case (immutable
	// errors echo the typed name).
	for i := range ParamDefs {
		d := &ParamDefs[i]
		probes := paramTestProbes(d)
		if d.Immutable || d.Protected {
			probes = append(probes, d.Default)
		}
		for _, v := range probes {
			paramTestSet(t, c, d.Name, v)
		}
		for _, a := range d.Aliases {
			for _, v := range probes {
				paramTestSet(t, c, a, v)
			}
		}
		if len(probes) > 0 {
			paramTestSet(t, c, strings.ToUpper(d.Name), probes[len(probes)-1])
		}
	}

	special := map[string][]string{
		"save": {"", "3600 1", "3600 1 300 100", "3600", "0 1", "1 -1", "1 0", "+5 +6",
			"3600  1", "3600 1 ", "a b", "1 4294967297", "1 2147483648", "99999999999999999999 1",
			" 1 2", "1\t 2", "1 2\x00 3", "-0 1", "1 -0"},
		"client-output-buffer-limit": {"normal 0 0 0", "pubsub 1mb 2mb 10",
			"slave 1 2 3 pubsub 4 5 6", "replica 1gb 512mb 60", "master 0 0 0", "normal 0 0", "",
			"pubsub 1x 0 0", "pubsub 0 0 -1", "pubsub 0 0 4294967296", "pubsub 0 0 2147483648",
			"PUBSUB 0 0 +5", "pubsub 0 0 ", "foo 0 0 0 pubsub x 0 0", "pubsub x 0 0 foo 0 0 0",
			"normal 1 1 1 normal 0 0 0", "pubsub 0 0 1x", "pubsub 99999999999999999999 0 0",
			"pubsub 0 0  ", "pubsub  0 0 0"},
		"oom-score-adj-values": {"0 200 800", "0 100 900", "0 200", "0 200 2001", "-2000 0 2000",
			"-2001 0 0", "0 0 ", "+1 -1 0", "a 0 0", "0 0 0 0", "", " 0 0"},
		"notify-keyspace-events": {"", "KEA", "An", "g$lshzxetd", "nmKE", "Q", "AKE", "x", "Ex",
			"KEA\x00Q", "AAA", "mn", "A n", "g$lshzxet", "Kx"},
		"bind": {"1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17", strings.Repeat(" ", 16)},
		"latency-tracking-info-percentiles": {"", "50", "50 99 99.9", "100", "100.0000001", "-1",
			"-0", "abc", "50 abc", "1e2", "1e-7", "0x10", "0x1p-2", "inf", "-inf", "nan", "1e400",
			"1e-400", "50  99", " 50", "50 ", "5e", ".5", "5.", "99.99999999", "0.0000005",
			"1e-310", "+5", "0X1.8P1", "1_0", "infinity", "5e+1", "0x"},
		"replicaof": {"no one", "127.0.0.1 6379"},
		"slaveof":   {"no one"},
		"dir":       {"/tmp", "."},
	}
	for name, values := range special {
		for _, v := range values {
			paramTestSet(t, c, name, v)
		}
	}
}

// TestParamDirNormalize checks the dir parser against the file system (dir
// is protected, so the live server cannot be asked).
func TestParamDirNormalize(t *testing.T) {
	def := ParamLookup("dir")
	base := t.TempDir()
	real, err := filepath.EvalSymlinks(base)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(filepath.Join(real, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(real, "file"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []paramTestCase{
		{value: real, want: real},
		{value: "sub", want: filepath.Join(real, "sub")},
		{value: "sub/..", want: real},
		{value: "missing", err: "No such file or directory"},
		{value: "file", err: "Not a directory"},
		{value: "", err: "No such file or directory"},
	} {
		got, err := ParamNormalize(def, real, tc.value)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("dir %q: got (%q, %v), want error %q", tc.value, got, err, tc.err)
			}
		} else if err != nil || got != tc.want {
			t.Errorf("dir %q: got (%q, %v), want %q", tc.value, got, err, tc.want)
		}
	}
	if _, err := ParamValidate(def, real); err == nil || err.Error() != paramErrProtected {
		t.Errorf("ParamValidate(dir) = %v, want protected error", err)
	}
}
