package server_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"moonstone/internal/testkit"
	"moonstone/server"
)

// openDir starts a second in-process server on dir and returns a client;
// the server stops when the test ends.
func openDir(t *testing.T, dir string) *redis.Client {
	t.Helper()
	cfg, err := server.ParseArgs([]string{"--dir", dir, "--port", "0", "--loglevel", "warning"})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatalf("open %s: %v", dir, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	c := redis.NewClient(&redis.Options{Addr: ln.Addr().String(), Protocol: 2})
	t.Cleanup(func() {
		c.Close()
		srv.Shutdown()
		<-done
	})
	return c
}

func TestCheckpointIsAPointInTimeDataDirectory(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := s.Client
	for i := 0; i < 100; i++ {
		c.Set(ctx, fmt.Sprintf("k%d", i), i, 0)
	}
	c.HSet(ctx, "h", "a", 1, "b", 2)
	c.RPush(ctx, "l", "x", "y", "z")
	c.ZAdd(ctx, "z", redis.Z{Score: 1, Member: "m"})
	c.SAdd(ctx, "s", "p", "q")
	sha := c.ScriptLoad(ctx, "return 7").Val()

	dir := filepath.Join(t.TempDir(), "nested", "cp")
	if got, err := c.Do(ctx, "CHECKPOINT", dir).Result(); err != nil || got != "OK" {
		t.Fatalf("CHECKPOINT = %v, %v", got, err)
	}
	// Later writes must not reach the copy.
	c.Set(ctx, "after", 1, 0)
	c.Del(ctx, "k0")
	c.HSet(ctx, "h", "c", 3)

	cp := openDir(t, dir)
	if n := cp.DBSize(ctx).Val(); n != 104 {
		t.Fatalf("checkpoint DBSIZE = %d, want 104", n)
	}
	if v := cp.Get(ctx, "k0").Val(); v != "0" {
		t.Fatalf("k0 in checkpoint = %q", v)
	}
	if cp.Exists(ctx, "after").Val() != 0 {
		t.Fatal("a write made after CHECKPOINT is in the copy")
	}
	if m := cp.HGetAll(ctx, "h").Val(); len(m) != 2 || m["a"] != "1" || m["b"] != "2" {
		t.Fatalf("h in checkpoint = %v", m)
	}
	if l := cp.LRange(ctx, "l", 0, -1).Val(); strings.Join(l, ",") != "x,y,z" {
		t.Fatalf("l in checkpoint = %v", l)
	}
	if v, err := cp.EvalSha(ctx, sha, nil).Result(); err != nil || v != int64(7) {
		t.Fatalf("script in checkpoint: %v, %v", v, err)
	}
	// The copy is independent: writing to it leaves the source alone.
	cp.Set(ctx, "only-in-copy", 1, 0)
	if c.Exists(ctx, "only-in-copy").Val() != 0 {
		t.Fatal("copy shares state with the source")
	}
}

func TestCheckpointErrors(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	existing := t.TempDir()
	err := s.Client.Do(ctx, "CHECKPOINT", existing).Err()
	if err == nil || err.Error() != "ERR checkpoint target "+existing+" already exists" {
		t.Fatalf("CHECKPOINT into an existing dir: %v", err)
	}
	// A path under a regular file cannot be created.
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, []byte("x"), 0o644)
	err = s.Client.Do(ctx, "CHECKPOINT", filepath.Join(file, "cp")).Err()
	if err == nil || !strings.HasPrefix(err.Error(), "ERR checkpoint into "+filepath.Join(file, "cp")+" failed: ") {
		t.Fatalf("CHECKPOINT under a file: %v", err)
	}
	if err := s.Client.Do(ctx, "CHECKPOINT").Err(); err == nil ||
		err.Error() != "ERR wrong number of arguments for 'checkpoint' command" {
		t.Fatalf("CHECKPOINT arity: %v", err)
	}
	if err := s.Client.Do(ctx, "BGSAVE", "NOW").Err(); err == nil || err.Error() != "ERR syntax error" {
		t.Fatalf("BGSAVE NOW: %v", err)
	}
}

func TestCheckpointUnderConcurrentWrites(t *testing.T) {
	s := testkit.Start(t, "appendfsync", "no")
	ctx := context.Background()
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			c := s.NewClient()
			defer c.Close()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				// Each transfer keeps the sum of the two counters at zero.
				err := c.Eval(ctx, "redis.call('INCRBY', KEYS[1], 1) redis.call('INCRBY', KEYS[2], -1)",
					[]string{fmt.Sprintf("a%d", w), fmt.Sprintf("b%d", w)}).Err()
				if err != nil && err != redis.Nil {
					t.Errorf("transfer: %v", err)
					return
				}
			}
		}(w)
	}
	dirs := []string{}
	for i := 0; i < 3; i++ {
		d := filepath.Join(t.TempDir(), "cp")
		if err := s.Client.Do(ctx, "CHECKPOINT", d).Err(); err != nil {
			t.Fatal(err)
		}
		dirs = append(dirs, d)
	}
	close(stop)
	wg.Wait()
	if n, _ := s.Client.Get(ctx, "a0").Int64(); n == 0 {
		t.Fatal("no transfer ran")
	}
	for _, d := range dirs {
		cp := openDir(t, d)
		for w := 0; w < 4; w++ {
			a, _ := cp.Get(ctx, fmt.Sprintf("a%d", w)).Int64()
			b, _ := cp.Get(ctx, fmt.Sprintf("b%d", w)).Int64()
			if a+b != 0 {
				t.Fatalf("%s: a%d+b%d = %d, a script was half copied (a script is one batch)", d, w, w, a+b)
			}
		}
	}
}

func TestSaveBGSaveLastSave(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	c := s.Client
	backups := filepath.Join(t.TempDir(), "backups")
	c.ConfigSet(ctx, "backup-dir", backups)
	c.Set(ctx, "k", "v", 0)
	before := c.LastSave(ctx).Val()
	if before <= 0 {
		t.Fatalf("LASTSAVE before any save = %d", before)
	}
	if got, err := c.Save(ctx).Result(); err != nil || got != "OK" {
		t.Fatalf("SAVE = %v, %v", got, err)
	}
	entries, _ := os.ReadDir(backups)
	if len(entries) != 1 {
		t.Fatalf("backup-dir holds %d entries after SAVE", len(entries))
	}
	info := c.Info(ctx, "persistence").Val()
	want := "moonstone_last_checkpoint_path:" + filepath.Join(backups, entries[0].Name())
	if !strings.Contains(info, want) {
		t.Fatalf("INFO persistence lacks %q:\n%s", want, info)
	}
	if got := c.LastSave(ctx).Val(); got < before {
		t.Fatalf("LASTSAVE went back: %d < %d", got, before)
	}
	cp := openDir(t, filepath.Join(backups, entries[0].Name()))
	if v := cp.Get(ctx, "k").Val(); v != "v" {
		t.Fatalf("SAVE copy: k = %q", v)
	}

	if got, err := c.BgSave(ctx).Result(); err != nil || got != "Background saving started" {
		t.Fatalf("BGSAVE = %v, %v", got, err)
	}
	// A second BGSAVE either finds the first running (Redis's error) or
	// starts its own; both are what Redis does.
	if err := c.BgSave(ctx).Err(); err != nil && err.Error() != "ERR Background save already in progress" {
		t.Fatalf("second BGSAVE: %v", err)
	}
	for {
		info = c.Info(ctx, "persistence").Val()
		if strings.Contains(info, "rdb_bgsave_in_progress:0") {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if !strings.Contains(info, "rdb_last_bgsave_status:ok") {
		t.Fatalf("INFO after BGSAVE:\n%s", info)
	}
	entries, _ = os.ReadDir(backups)
	if len(entries) < 2 {
		t.Fatalf("backup-dir holds %d entries after BGSAVE", len(entries))
	}
}

func TestBGSaveFailureIsReported(t *testing.T) {
	s := testkit.Start(t)
	ctx := context.Background()
	file := filepath.Join(t.TempDir(), "file")
	os.WriteFile(file, []byte("x"), 0o644)
	s.Client.ConfigSet(ctx, "backup-dir", file)
	if err := s.Client.Save(ctx).Err(); err == nil || !strings.HasPrefix(err.Error(), "ERR checkpoint into ") {
		t.Fatalf("SAVE under a file: %v", err)
	}
	s.Client.BgSave(ctx)
	for {
		info := s.Client.Info(ctx, "persistence").Val()
		if strings.Contains(info, "rdb_bgsave_in_progress:0") {
			if !strings.Contains(info, "rdb_last_bgsave_status:err") {
				t.Fatalf("failed BGSAVE not reported:\n%s", info)
			}
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSecondServerOnALockedDirectoryIsRefused(t *testing.T) {
	s := testkit.Start(t)
	s.Client.Ping(context.Background())
	cfg, err := server.ParseArgs([]string{"--dir", s.Dir, "--port", "0"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = server.New(cfg)
	if err == nil {
		t.Fatal("a second server opened a directory in use")
	}
	if !strings.Contains(err.Error(), s.Dir) || !strings.Contains(err.Error(), "locked by another") {
		t.Fatalf("error does not name the directory and the lock: %v", err)
	}
}

func TestPersistenceArgumentErrorsMatchRedis(t *testing.T) {
	testkit.Diff(t, `
SAVE extra
LASTSAVE extra
BGSAVE a b
BGSAVE NOW
BGREWRITEAOF
BGREWRITEAOF now
COMMAND INFO bgrewriteaof
`)
}

// rdb_changes_since_last_save counts committed writes since the last
// checkpoint; a write that changes nothing (SETBIT to the same value) does
// not count, and a SAVE resets it.
func TestChangesSinceLastSave(t *testing.T) {
	s := testkit.Start(t, "backup-dir", t.TempDir())
	ctx := context.Background()
	changes := func() string {
		info, _ := s.Client.Info(ctx, "persistence").Result()
		for _, l := range strings.Split(info, "\r\n") {
			if strings.HasPrefix(l, "rdb_changes_since_last_save:") {
				return strings.TrimPrefix(l, "rdb_changes_since_last_save:")
			}
		}
		return "missing"
	}
	s.Client.Set(ctx, "k", "\x00", 0)
	before := changes()
	s.Client.SetBit(ctx, "k", 0, 0)
	if got := changes(); got != before {
		t.Fatalf("a no-op SETBIT counted: %s -> %s", before, got)
	}
	s.Client.SetBit(ctx, "k", 0, 1)
	if got := changes(); got == before {
		t.Fatalf("a changing SETBIT did not count (%s)", got)
	}
	if err := s.Client.Save(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if got := changes(); got != "0" {
		t.Fatalf("after SAVE: %s", got)
	}
}
