package main_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"moonstone/codec"
	"moonstone/internal/testkit"
	"moonstone/storage"
)

// run runs the moonstone binary and returns its combined output and exit
// code.
func run(t *testing.T, args ...string) (string, int) {
	t.Helper()
	out, err := exec.Command(testkit.BuildBinary(t), args...).CombinedOutput()
	if err != nil {
		if ee, ok := err.(*exec.ExitError); ok {
			return string(out), ee.ExitCode()
		}
		t.Fatal(err)
	}
	return string(out), 0
}

func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, code := run(t, args...)
	if code != 0 {
		t.Fatalf("moonstone %v exited %d:\n%s", args, code, out)
	}
	return out
}

func TestBackupCheckRestoreWithARunningServer(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	p := testkit.StartProcess(t, data)
	c := p.Client()
	defer c.Close()
	for i := 0; i < 50; i++ {
		c.Set(ctx, fmt.Sprintf("k%d", i), i, 0)
	}
	c.HSet(ctx, "h", "f", "v")
	c.ZAdd(ctx, "z")
	c.RPush(ctx, "l", "a", "b")

	backup := filepath.Join(t.TempDir(), "backup")
	port := p.Addr[strings.LastIndex(p.Addr, ":")+1:]
	mustRun(t, "backup", "--to", backup, "--port", port)
	c.Set(ctx, "after", 1, 0)

	// Backing up into an existing directory is refused.
	if out, code := run(t, "backup", "--to", backup, "--port", port); code == 0 || !strings.Contains(out, "already exists") {
		t.Fatalf("backup into an existing dir: exit %d, %s", code, out)
	}

	out := mustRun(t, "check", "--dir", backup)
	if !strings.Contains(out, "52 keys") || !strings.Contains(out, "0 problems") {
		t.Fatalf("check output: %s", out)
	}

	// restore refuses the directory the running server holds...
	out, code := run(t, "restore", "--from", backup, "--dir", data, "--force")
	if code == 0 || !strings.Contains(out, "in use by a running server") {
		t.Fatalf("restore into a locked dir: exit %d, %s", code, out)
	}
	// ...and a non-empty target without --force.
	p.Terminate()
	out, code = run(t, "restore", "--from", backup, "--dir", data)
	if code == 0 || !strings.Contains(out, "not empty") {
		t.Fatalf("restore into a non-empty dir: exit %d, %s", code, out)
	}
	mustRun(t, "restore", "--from", backup, "--dir", data, "--force")

	p2 := testkit.StartProcess(t, data)
	c2 := p2.Client()
	defer c2.Close()
	if n := c2.DBSize(ctx).Val(); n != 52 {
		t.Fatalf("restored DBSIZE = %d, want 52", n)
	}
	if c2.Exists(ctx, "after").Val() != 0 {
		t.Fatal("a write after the backup was restored")
	}
	if v := c2.HGet(ctx, "h", "f").Val(); v != "v" {
		t.Fatalf("restored h.f = %q", v)
	}
}

func TestOfflineBackupAndFailingCheck(t *testing.T) {
	data := t.TempDir()
	db, err := storage.Open(storage.Options{Dir: data})
	if err != nil {
		t.Fatal(err)
	}
	tx := db.BeginWrite()
	if _, err := tx.SAdd(0, []byte("s"), [][]byte{[]byte("a"), []byte("b")}); err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	db.Close()

	backup := filepath.Join(t.TempDir(), "b")
	mustRun(t, "backup", "--to", backup, "--dir", data)
	if out := mustRun(t, "check", "--dir", backup); !strings.Contains(out, "1 keys") {
		t.Fatalf("check of the offline backup: %s", out)
	}

	// Corrupt the backup: drop one set member behind the count's back.
	db, err = storage.Open(storage.Options{Dir: backup})
	if err != nil {
		t.Fatal(err)
	}
	v, closer, err := db.Pebble().Get(codec.MetaKey(0, []byte("s")))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := codec.DecodeMeta(append([]byte(nil), v...))
	closer.Close()
	db.Pebble().Delete(codec.MemberKey(codec.TagSet, m.Version, []byte("a")), pebble.Sync)
	db.Close()

	out, code := run(t, "check", "--dir", backup)
	if code != 1 || !strings.Contains(out, `db 0 set "s": stored count 2, 1 member records`) {
		t.Fatalf("check of a corrupt store: exit %d, %s", code, out)
	}
	// A missing directory is an error, not an empty store.
	if out, code := run(t, "check", "--dir", filepath.Join(t.TempDir(), "nope")); code != 1 {
		t.Fatalf("check of a missing dir: exit %d, %s", code, out)
	}
}

func TestSecondProcessOnTheSameDirectoryIsRefused(t *testing.T) {
	data := t.TempDir()
	testkit.StartProcess(t, data)
	cmd := exec.Command(testkit.BuildBinary(t), "--dir", data, "--port", fmt.Sprint(testkit.FreePort(t)))
	out, err := cmd.CombinedOutput()
	if err == nil {
		t.Fatal("a second server started on a directory in use")
	}
	if !strings.Contains(string(out), data) || !strings.Contains(string(out), "locked by another Moonstone process") {
		t.Fatalf("message does not name the directory and the lock: %s", out)
	}
}

func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{{"backup"}, {"restore", "--from", "x"}, {"check"}, {"check", "--bogus"}} {
		if out, code := run(t, args...); code != 2 {
			t.Errorf("%v: exit %d, %s", args, code, out)
		}
	}
	if out, code := run(t, "restore", "--from", filepath.Join(t.TempDir(), "none"), "--dir", t.TempDir()); code != 1 || !strings.Contains(out, "backup:") {
		t.Errorf("restore from a missing backup: exit %d, %s", code, out)
	}
}

// check shows progress on stderr when asked (by default when stderr is a
// terminal: never in these tests, whose stderr is a pipe) and always ends
// with its summary.
func TestCheckProgressAndSummary(t *testing.T) {
	data := t.TempDir()
	db, err := storage.Open(storage.Options{Dir: data})
	if err != nil {
		t.Fatal(err)
	}
	tx := db.BeginWrite()
	for i := 0; i < 3000; i++ {
		if _, err := tx.SAdd(0, []byte(fmt.Sprint("s", i)), [][]byte{[]byte("a"), []byte("b")}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	db.Close()

	out := mustRun(t, "check", "--dir", data)
	if strings.Contains(out, "\r") {
		t.Fatalf("progress without a terminal: %q", out)
	}
	if !strings.Contains(out, "3000 keys, 3000 collections, 6000 member and index records") || !strings.Contains(out, "0 problems") {
		t.Fatalf("summary: %q", out)
	}
	out = mustRun(t, "check", "--dir", data, "--progress")
	if !strings.Contains(out, "\rchecking "+data+": keys and members;") {
		t.Fatalf("no progress line: %q", out)
	}
	if !strings.Contains(out, "3000 keys") {
		t.Fatalf("no summary after the progress: %q", out)
	}
}

// backup --keep N keeps the N newest backups in the target's parent
// directory and leaves everything that is not a backup alone.
func TestBackupKeepsTheNewest(t *testing.T) {
	data := t.TempDir()
	db, err := storage.Open(storage.Options{Dir: data})
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
	parent := t.TempDir()
	os.Mkdir(filepath.Join(parent, "notes"), 0o755)
	os.WriteFile(filepath.Join(parent, "README"), []byte("x"), 0o644)
	for _, name := range []string{"b1", "b2", "b3", "b4"} {
		out := mustRun(t, "backup", "--to", filepath.Join(parent, name), "--dir", data, "--keep", "2")
		if name == "b3" && !strings.Contains(out, "removed old backup "+filepath.Join(parent, "b1")) {
			t.Fatalf("b3: %s", out)
		}
		time.Sleep(20 * time.Millisecond) // distinct MANIFEST times
	}
	entries, _ := os.ReadDir(parent)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if fmt.Sprint(names) != "[README b3 b4 notes]" {
		t.Fatalf("after four backups with --keep 2: %v", names)
	}
}
