package lualib

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	lua "github.com/yuin/gopher-lua"
)

// The comparison tests run every snippet twice: in gopher-lua with Open,
// and through EVAL on a real redis-server started for the test run. Both
// results are rendered the way Redis turns a script's return value into a
// RESP2 reply, and must match exactly (error replies included).

// caseT is one snippet. The snippet sees two helpers: D(v) renders a value
// (strings escaped, numbers as %.17g, tables with sorted entries) and
// A(...) renders every value of a multiple return.
type caseT struct {
	name   string
	script string
}

// helpers is prepended on the snippet's first line so that line numbers in
// error messages stay those of the snippet. N differs per engine: Redis
// formats with its C printf, gopher-lua gets a Go function with the same
// output (gopher-lua's own string.format is not C's).
const helpers = `local H = '0123456789abcdef'; ` +
	`local function S(s) local o = {} for i = 1, #s do local b = string.byte(s, i) ` +
	`if b >= 32 and b < 127 and b ~= 92 then o[i] = string.char(b) else ` +
	`o[i] = '\\' .. string.sub(H, math.floor(b / 16) + 1, math.floor(b / 16) + 1) .. string.sub(H, b % 16 + 1, b % 16 + 1) end end ` +
	`return table.concat(o) end; ` +
	`local function D(v) local t = type(v) ` +
	`if t == 'string' then return '"' .. S(v) .. '"' ` +
	`elseif t == 'number' then return N(v) ` +
	`elseif t == 'table' then local e = {} for k, x in pairs(v) do e[#e + 1] = D(k) .. '=' .. D(x) end table.sort(e) return '{' .. table.concat(e, ',') .. '}' ` +
	`elseif t == 'userdata' then if v == cjson.null then return 'null' end return 'userdata' ` +
	`elseif t == 'boolean' or t == 'nil' then return tostring(v) ` +
	`else return t end end; ` +
	`local function A(...) local o = {} for i = 1, select('#', ...) do o[i] = D((select(i, ...))) end return table.concat(o, ' ') end; `

const redisPrefix = `local N = function(n) return string.format('%.17g', n) end; ` + helpers
const gluaPrefix = `local N = __N; ` + helpers

func newTestState() *lua.LState {
	L := lua.NewState(lua.Options{RegistrySize: 1024 * 20, RegistryMaxSize: 1024 * 1024})
	Open(L)
	L.SetGlobal("__N", L.NewFunction(func(L *lua.LState) int {
		L.Push(lua.LString(formatG(float64(L.CheckNumber(1)), 17)))
		return 1
	}))
	return L
}

// runGopher runs a snippet and renders its result like Redis would.
func runGopher(script string) string {
	L := newTestState()
	defer L.Close()
	fn, err := L.Load(strings.NewReader(gluaPrefix+script), "user_script")
	if err != nil {
		return "LOAD ERROR: " + err.Error()
	}
	L.Push(fn)
	if err := L.PCall(0, 1, nil); err != nil {
		var apiErr *lua.ApiError
		if errors.As(err, &apiErr) && apiErr.Object != nil {
			return "-" + apiErr.Object.String()
		}
		return "-" + err.Error()
	}
	return renderLua(L.Get(-1))
}

// renderLua converts a Lua value to the RESP2 reply Redis 7.0 would send
// and renders that reply.
func renderLua(v lua.LValue) string {
	switch x := v.(type) {
	case lua.LString:
		return strconv.Quote(string(x))
	case lua.LNumber:
		return ":" + strconv.FormatInt(d2i64(float64(x)), 10)
	case lua.LBool:
		if x {
			return ":1"
		}
		return "nil"
	case *lua.LTable:
		if e, ok := x.RawGetString("err").(lua.LString); ok {
			return "-" + string(e)
		}
		if s, ok := x.RawGetString("ok").(lua.LString); ok {
			return "+" + string(s)
		}
		var parts []string
		for i := 1; ; i++ {
			e := x.RawGetInt(i)
			if e == lua.LNil {
				break
			}
			parts = append(parts, renderLua(e))
		}
		return "[" + strings.Join(parts, ",") + "]"
	}
	return "nil"
}

// ===== redis-server and a minimal RESP2 client =====

type redisServer struct {
	cmd  *exec.Cmd
	conn net.Conn
	r    *bufio.Reader
	mu   sync.Mutex
}

var (
	serverOnce sync.Once
	server     *redisServer
	serverErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if server != nil {
		server.conn.Close()
		// Only the process this test binary started, by its PID.
		_ = server.cmd.Process.Kill()
		_ = server.cmd.Wait()
	}
	os.Exit(code)
}

func freeLoopbackPort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func startRedis() (*redisServer, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, err
	}
	port, err := freeLoopbackPort()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", "")
	cmd.Stdout = io.Discard
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			s := &redisServer{cmd: cmd, conn: conn, r: bufio.NewReader(conn)}
			if reply, err := s.do("PING"); err == nil && reply == "+PONG" {
				return s, nil
			}
			conn.Close()
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
			return nil, fmt.Errorf("redis-server on port %d did not come up", port)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func getRedis(t *testing.T) *redisServer {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server not on PATH")
	}
	serverOnce.Do(func() { server, serverErr = startRedis() })
	if serverErr != nil {
		t.Fatalf("starting redis-server: %v", serverErr)
	}
	return server
}

func (s *redisServer) do(args ...string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if err := s.conn.SetDeadline(time.Now().Add(30 * time.Second)); err != nil {
		return "", err
	}
	if _, err := io.WriteString(s.conn, b.String()); err != nil {
		return "", err
	}
	return s.readReply()
}

func (s *redisServer) readLine() (string, error) {
	line, err := s.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(line, "\r\n"), nil
}

// readReply renders a RESP2 reply in the same notation as renderLua.
func (s *redisServer) readReply() (string, error) {
	line, err := s.readLine()
	if err != nil {
		return "", err
	}
	if line == "" {
		return "", errors.New("empty reply line")
	}
	switch line[0] {
	case '+', '-':
		return line, nil
	case ':':
		return line, nil
	case '$':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return "", err
		}
		if n < 0 {
			return "nil", nil
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(s.r, buf); err != nil {
			return "", err
		}
		return strconv.Quote(string(buf[:n])), nil
	case '*':
		n, err := strconv.Atoi(line[1:])
		if err != nil {
			return "", err
		}
		if n < 0 {
			return "nil", nil
		}
		parts := make([]string, n)
		for i := range parts {
			if parts[i], err = s.readReply(); err != nil {
				return "", err
			}
		}
		return "[" + strings.Join(parts, ",") + "]", nil
	}
	return "", fmt.Errorf("unexpected reply %q", line)
}

var scriptSuffix = regexp.MustCompile(` script: [0-9a-f]{40}, on @user_script:\d+\.$`)

// runRedis runs a snippet through EVAL on a fresh Lua interpreter (SCRIPT
// FLUSH resets it, so configuration calls such as cjson.encode_max_depth
// cannot leak between cases) and strips what Redis adds around error
// messages.
func runRedis(t *testing.T, s *redisServer, script string) string {
	t.Helper()
	if _, err := s.do("SCRIPT", "FLUSH"); err != nil {
		t.Fatalf("SCRIPT FLUSH: %v", err)
	}
	reply, err := s.do("EVAL", redisPrefix+script, "0")
	if err != nil {
		t.Fatalf("EVAL: %v", err)
	}
	if strings.HasPrefix(reply, "-") {
		reply = "-" + strings.TrimPrefix(reply[1:], "ERR ")
		reply = scriptSuffix.ReplaceAllString(reply, "")
	}
	return reply
}

func runCompare(t *testing.T, cases []caseT) {
	t.Helper()
	s := getRedis(t)
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c.name] {
			t.Fatalf("duplicate case name %q", c.name)
		}
		seen[c.name] = true
		t.Run(c.name, func(t *testing.T) {
			want := runRedis(t, s, c.script)
			got := runGopher(c.script)
			if got != want {
				t.Errorf("script: %s\nredis:   %s\ngopher:  %s", c.script, want, got)
			}
		})
	}
}
