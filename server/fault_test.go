package server_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/redis/go-redis/v9"

	"moonstone/server"
	"moonstone/storage"
)

// A WAL fsync that fails in a running server: the write that met it gets
// no reply, the server logs the cause and exits with status 1 (the storage
// fatal handler, not Pebble's os.Exit), and the data directory reopens with
// every acknowledged write. The server runs in a child process (this test
// binary again), since it exits.
func TestWALSyncFailureExitsTheServer(t *testing.T) {
	if dir := os.Getenv("MOONSTONE_FAULT_CHILD"); dir != "" {
		faultChild(t, dir)
		return
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestWALSyncFailureExitsTheServer$", "-test.v")
	cmd.Env = append(os.Environ(), "MOONSTONE_FAULT_CHILD="+dir)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	t.Logf("child:\n%s", out)
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("child: %v\n%s", err, out)
	}
	for _, want := range []string{"acknowledged a", "FATAL: storage: fatal error: WAL sync failed: injected I/O error",
		"exiting with status 1: no write that was not synced has been acknowledged"} {
		if !strings.Contains(string(out), want) {
			t.Fatalf("child output lacks %q:\n%s", want, out)
		}
	}
	for _, bad := range []string{"acknowledged b", "still running"} {
		if strings.Contains(string(out), bad) {
			t.Fatalf("child output has %q:\n%s", bad, out)
		}
	}
	db, err := storage.Open(storage.Options{Dir: dir, Logger: silentLogger{}})
	if err != nil {
		t.Fatalf("the data directory does not reopen: %v", err)
	}
	defer db.Close()
	tx := db.BeginRead()
	defer tx.Close()
	if v, ok, err := tx.Get(0, []byte("a")); err != nil || !ok || string(v) != "1" {
		t.Fatalf("acknowledged write lost: %q %v %v", v, ok, err)
	}
}

func faultChild(t *testing.T, dir string) {
	var on atomic.Bool
	fs := errorfs.Wrap(vfs.Default, errorfs.InjectorFunc(func(op errorfs.Op) error {
		if on.Load() && (op.Kind == errorfs.OpFileSync || op.Kind == errorfs.OpFileSyncData) && strings.HasSuffix(op.Path, ".log") {
			return errors.New("injected I/O error")
		}
		return nil
	}))
	cfg, err := server.ParseArgs([]string{"--dir", dir})
	if err != nil {
		t.Fatal(err)
	}
	server.SetFS(cfg, fs)
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	c := redis.NewClient(&redis.Options{Addr: ln.Addr().String(), MaxRetries: -1})
	ctx := context.Background()
	if err := c.Set(ctx, "a", "1", 0).Err(); err != nil {
		t.Fatal(err)
	}
	fmt.Println("acknowledged a")
	on.Store(true)
	if err := c.Set(ctx, "b", "2", 0).Err(); err == nil {
		fmt.Println("acknowledged b")
	}
	time.Sleep(5 * time.Second)
	fmt.Println("still running")
}

type silentLogger struct{}

func (silentLogger) Infof(string, ...any)  {}
func (silentLogger) Errorf(string, ...any) {}
func (silentLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}
