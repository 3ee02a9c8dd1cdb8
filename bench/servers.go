package main

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// server is one running server under test.
type server struct {
	name string // "moonstone" or "redis"
	mode string // durability mode
	addr string
	port int
	dir  string
	bin  string
	args []string
	cmd  *exec.Cmd
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// startMoonstone runs the built binary with appendfsync = mode.
func startMoonstone(bin, mode string, extra ...string) (*server, error) {
	dir, err := os.MkdirTemp("", "bench-moonstone-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := append([]string{"--port", strconv.Itoa(port), "--dir", dir, "--appendfsync", mode, "--loglevel", "warning"}, extra...)
	return launch("moonstone", mode, bin, args, port, dir)
}

// startRedis runs redis-server in the persistence setting that matches
// Moonstone's mode.
func startRedis(mode string) (*server, error) {
	dir, err := os.MkdirTemp("", "bench-redis-")
	if err != nil {
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := []string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--dir", dir, "--save", "", "--daemonize", "no", "--loglevel", "warning"}
	if mode == "no" {
		args = append(args, "--appendonly", "no")
	} else {
		args = append(args, "--appendonly", "yes", "--appendfsync", mode)
	}
	return launch("redis", mode, "redis-server", args, port, dir)
}

func launch(name, mode, bin string, args []string, port int, dir string) (*server, error) {
	s := &server{name: name, mode: mode, addr: fmt.Sprintf("127.0.0.1:%d", port), port: port, dir: dir, bin: bin, args: args}
	if _, err := s.start(30 * time.Second); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// start runs the server process with s.args and waits for its first PONG
// (a server still loading its data answers PING with an error, which does
// not count); it returns the time from process start to that PONG.
func (s *server) start(timeout time.Duration) (time.Duration, error) {
	cmd := exec.Command(s.bin, s.args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	log, _ := os.OpenFile(filepath.Join(s.dir, "server.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	cmd.Stdout, cmd.Stderr = log, log
	t0 := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	s.cmd = cmd
	for time.Since(t0) < timeout {
		if pong(s.addr) {
			return time.Since(t0), nil
		}
		time.Sleep(time.Millisecond)
	}
	s.halt()
	return 0, fmt.Errorf("%s did not answer PING within %s", s.name, timeout)
}

// pong reports whether a PING to addr gets +PONG.
func pong(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	buf := make([]byte, 64)
	n, _ := c.Read(buf)
	return string(buf[:n]) == "+PONG\r\n"
}

// halt stops the server process gracefully (SIGTERM, as a service manager
// does), keeping its data directory.
func (s *server) halt() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

// stop stops the server and removes its data.
func (s *server) stop() {
	s.halt()
	os.RemoveAll(s.dir)
}

// peakRSS is the most resident memory the server process has had, in bytes.
func (s *server) peakRSS() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if kb, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(kb), "kB")), 10, 64)
			return n << 10
		}
	}
	return 0
}

// rss is the server process's resident memory in bytes.
func (s *server) rss() int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/statm", s.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	var size, pages int64
	fmt.Sscanf(string(b), "%d %d", &size, &pages)
	return pages * int64(os.Getpagesize())
}
