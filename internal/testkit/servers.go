package testkit

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"moonstone/server"
)

// Server is a Moonstone server running in the test process.
type Server struct {
	Srv    *server.Server
	Addr   string
	Dir    string
	Client *redis.Client
	opts   []string
	done   chan error
}

// Start starts Moonstone on a random loopback port with a fresh data
// directory. opts are config pairs: "appendfsync", "no", ...
func Start(t testing.TB, opts ...string) *Server {
	t.Helper()
	s := &Server{Dir: t.TempDir(), opts: opts}
	s.start(t)
	t.Cleanup(s.Stop)
	return s
}

func (s *Server) start(t testing.TB) {
	t.Helper()
	args := append([]string{"--dir", s.Dir, "--port", "0", "--loglevel", "warning"}, prefixOpts(s.opts)...)
	cfg, err := server.ParseArgs(args)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatalf("start moonstone: %v", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.Srv = srv
	s.Addr = ln.Addr().String()
	s.done = make(chan error, 1)
	go func() { s.done <- srv.Serve(ln) }()
	s.Client = s.NewClient()
}

func prefixOpts(opts []string) []string {
	out := make([]string, len(opts))
	for i, o := range opts {
		if i%2 == 0 {
			o = "--" + o
		}
		out[i] = o
	}
	return out
}

// NewClient opens another go-redis client to the server (RESP2).
func (s *Server) NewClient() *redis.Client {
	return redis.NewClient(clientOptions(s.Addr))
}

// clientOptions are the test clients' settings. The read timeout is long
// because a race-detector build on a loaded 2-core machine can take
// seconds over a script that hits its memory limit; no test relies on it.
func clientOptions(addr string) *redis.Options {
	return &redis.Options{Addr: addr, Protocol: 2, MaxRetries: -1, PoolSize: 64, ReadTimeout: 30 * time.Second}
}

// Raw opens a raw RESP connection.
func (s *Server) Raw(t testing.TB) *RawConn {
	t.Helper()
	return Dial(t, s.Addr)
}

// Dial opens a raw RESP connection to addr, closed when the test ends.
func Dial(t testing.TB, addr string) *RawConn {
	t.Helper()
	rc, err := DialRaw(addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { rc.Close() })
	return rc
}

// Stop shuts the server down cleanly. Stopping twice is harmless.
func (s *Server) Stop() {
	if s.Srv == nil {
		return
	}
	s.Client.Close()
	s.Srv.Shutdown()
	<-s.done
	s.Srv = nil
}

// Restart stops the server and starts it again on the same data directory
// (on a new port).
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Stop()
	s.start(t)
}

// Redis is a real redis-server child process.
type Redis struct {
	Addr   string
	Client *redis.Client
	cmd    *exec.Cmd
}

// RedisPath returns the redis-server binary, skipping the test when it is
// missing (and failing it under CI, which must have installed it).
func RedisPath(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("redis-server")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("redis-server is not installed: the README's test command installs it")
		}
		t.Skip("redis-server not installed")
	}
	return p
}

// StartRedis starts redis-server on a random loopback port with
// persistence off (plus any extra "--name value" args).
func StartRedis(t testing.TB, args ...string) *Redis {
	t.Helper()
	bin := RedisPath(t)
	for attempt := 0; ; attempt++ {
		port := FreePort(t)
		dir := t.TempDir()
		all := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "",
			"--appendonly", "no", "--dir", dir, "--daemonize", "no", "--loglevel", "warning"}, args...)
		cmd := exec.Command(bin, all...)
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		addr := fmt.Sprintf("127.0.0.1:%d", port)
		if waitPing(addr, 5*time.Second) {
			r := &Redis{Addr: addr, cmd: cmd}
			r.Client = redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, MaxRetries: -1})
			t.Cleanup(func() {
				r.Client.Close()
				cmd.Process.Kill()
				cmd.Wait()
			})
			return r
		}
		cmd.Process.Kill()
		cmd.Wait()
		if attempt == 3 {
			t.Fatal("redis-server did not start")
		}
	}
}

// FreePort returns a loopback port that was free a moment ago.
func FreePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func waitPing(addr string, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if rc, err := DialRaw(addr); err == nil {
			reply, err := rc.Do("PING")
			rc.Close()
			if err == nil && (reply == "+PONG\r\n" || strings.HasPrefix(reply, "-NOAUTH")) {
				return true
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	return false
}

var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

// BuildBinary builds cmd/moonstone once per test process and returns its
// path.
func BuildBinary(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "moonstone-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "moonstone")
		root, err := moduleRoot()
		if err != nil {
			buildErr = err
			return
		}
		cmd := exec.Command("go", "build", "-o", buildPath, "./cmd/moonstone")
		cmd.Dir = root
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", err
	}
	return filepath.Dir(strings.TrimSpace(string(out))), nil
}

// Process is the moonstone binary running as a child process.
type Process struct {
	Addr string
	Dir  string
	cmd  *exec.Cmd
	Log  *strings.Builder
}

// StartProcess starts the moonstone binary on dir with extra config pairs
// and waits until it answers PING.
func StartProcess(t testing.TB, dir string, opts ...string) *Process {
	t.Helper()
	bin := BuildBinary(t)
	port := FreePort(t)
	args := append([]string{"--port", strconv.Itoa(port), "--dir", dir}, prefixOpts(opts)...)
	cmd := exec.Command(bin, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	p := &Process{Addr: fmt.Sprintf("127.0.0.1:%d", port), Dir: dir, cmd: cmd, Log: &strings.Builder{}}
	cmd.Stderr = &lockedWriter{b: p.Log}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if !waitPing(p.Addr, 20*time.Second) {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("moonstone did not start; log:\n%s", p.Log.String())
	}
	t.Cleanup(func() { p.Kill() })
	return p
}

// Kill sends SIGKILL (kill -9) and waits for the process to exit.
func (p *Process) Kill() {
	if p.cmd.ProcessState != nil {
		return
	}
	p.cmd.Process.Signal(syscall.SIGKILL)
	p.cmd.Wait()
}

// Terminate sends SIGTERM and waits for a clean exit.
func (p *Process) Terminate() error {
	if p.cmd.ProcessState != nil {
		return nil
	}
	p.cmd.Process.Signal(syscall.SIGTERM)
	return p.cmd.Wait()
}

// Wait waits for the process to end by itself (a crash, SHUTDOWN) and
// returns how it ended, as exec.Cmd.Wait does.
func (p *Process) Wait() error {
	if p.cmd.ProcessState != nil {
		return nil
	}
	return p.cmd.Wait()
}

// Client opens a go-redis client to the process.
func (p *Process) Client() *redis.Client {
	return redis.NewClient(clientOptions(p.Addr))
}

type lockedWriter struct {
	mu sync.Mutex
	b  *strings.Builder
}

func (w *lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

var _ = context.Background
