package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/sys/unix"

	"moonstone/storage"
)

// The operator tools share the server's binary:
//
//	moonstone backup --to DIR [--host H] [--port P] [--password PW] [--keep N]
//	moonstone backup --to DIR --dir DATA [--keep N]
//	moonstone restore --from BACKUP --dir DATA [--force]
//	moonstone check --dir DATA [--progress]
//
// Each exits 0 on success, 1 on failure (for check: on any inconsistency)
// and 2 on a usage error.

var tools = map[string]func(args []string, stdout, stderr io.Writer) int{
	"backup":  toolBackup,
	"restore": toolRestore,
	"check":   toolCheck,
}

func toolFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("moonstone "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

func fail(stderr io.Writer, tool, format string, args ...any) int {
	fmt.Fprintf(stderr, "moonstone %s: %s\n", tool, fmt.Sprintf(format, args...))
	return 1
}

func toolBackup(args []string, stdout, stderr io.Writer) int {
	fs := toolFlags("backup", stderr)
	to := fs.String("to", "", "directory to create with the backup (must not exist)")
	host := fs.String("host", "127.0.0.1", "host of the running server")
	port := fs.Int("port", 6379, "port of the running server")
	password := fs.String("password", "", "password of the running server")
	data := fs.String("dir", "", "back up this stopped data directory instead of asking a server")
	keep := fs.Int("keep", 0, "after the backup, keep only the N newest backups in DIR's parent directory (0: keep all)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *to == "" || fs.NArg() != 0 || *keep < 0 {
		fmt.Fprintln(stderr, "usage: moonstone backup --to DIR [--host H --port P] [--keep N] | --to DIR --dir DATA [--keep N]")
		return 2
	}
	abs, err := filepath.Abs(*to)
	if err != nil {
		return fail(stderr, "backup", "%v", err)
	}
	start := time.Now()
	if *data != "" {
		if err := requireDir(*data); err != nil {
			return fail(stderr, "backup", "%v", err)
		}
		// The tools only read the store: no key filter to build.
		db, err := storage.Open(storage.Options{Dir: *data, Sync: storage.SyncAlways, KeyFilterSize: -1, Logger: toolLogger{stderr}})
		if err != nil {
			return fail(stderr, "backup", "%v", err)
		}
		err = db.Checkpoint(abs)
		if cerr := db.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return fail(stderr, "backup", "%v", err)
		}
	} else {
		c := redis.NewClient(&redis.Options{Addr: *host + ":" + strconv.Itoa(*port), Password: *password, Protocol: 2, MaxRetries: -1})
		defer c.Close()
		// The server writes the checkpoint itself, so the path is
		// absolute and must be on the server's host.
		if err := c.Do(context.Background(), "CHECKPOINT", abs).Err(); err != nil {
			return fail(stderr, "backup", "%s:%d: %v", *host, *port, err)
		}
	}
	fmt.Fprintf(stdout, "backup written to %s in %s\n", abs, time.Since(start).Round(time.Millisecond))
	if *keep > 0 {
		removed, err := pruneBackups(filepath.Dir(abs), abs, *keep)
		for _, dir := range removed {
			fmt.Fprintf(stdout, "removed old backup %s\n", dir)
		}
		if err != nil {
			return fail(stderr, "backup", "pruning old backups: %v", err)
		}
	}
	return 0
}

// pruneBackups keeps the keep newest backups in parent and removes the
// others. A backup is a directory holding a Pebble MANIFEST and OPTIONS
// file whose LOCK no running server holds; anything else in parent is left
// alone. Age is the MANIFEST's modification time (a checkpoint writes a
// fresh one). The backup just written, latest, is always kept.
func pruneBackups(parent, latest string, keep int) (removed []string, err error) {
	entries, err := os.ReadDir(parent)
	if err != nil {
		return nil, err
	}
	type backup struct {
		dir  string
		made time.Time
	}
	var backups []backup
	for _, e := range entries {
		dir := filepath.Join(parent, e.Name())
		if !e.IsDir() || dir == latest || storage.LockHeld(dir) {
			continue
		}
		manifests, _ := filepath.Glob(filepath.Join(dir, "MANIFEST-*"))
		options, _ := filepath.Glob(filepath.Join(dir, "OPTIONS-*"))
		if len(manifests) == 0 || len(options) == 0 {
			continue
		}
		st, err := os.Stat(manifests[len(manifests)-1])
		if err != nil {
			continue
		}
		backups = append(backups, backup{dir, st.ModTime()})
	}
	sort.Slice(backups, func(i, j int) bool { return backups[i].made.After(backups[j].made) })
	for i, b := range backups {
		if i < keep-1 { // the latest counts as one
			continue
		}
		if err := os.RemoveAll(b.dir); err != nil {
			return removed, err
		}
		removed = append(removed, b.dir)
	}
	return removed, nil
}

func requireDir(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%s is not a directory", dir)
	}
	return nil
}

func toolRestore(args []string, stdout, stderr io.Writer) int {
	fs := toolFlags("restore", stderr)
	from := fs.String("from", "", "backup directory (made by backup, CHECKPOINT, SAVE or BGSAVE)")
	data := fs.String("dir", "", "data directory of the stopped server to restore into")
	force := fs.Bool("force", false, "replace a non-empty data directory")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *from == "" || *data == "" || fs.NArg() != 0 {
		fmt.Fprintln(stderr, "usage: moonstone restore --from BACKUP --dir DATA [--force]")
		return 2
	}
	if err := requireDir(*from); err != nil {
		return fail(stderr, "restore", "backup: %v", err)
	}
	if storage.LockHeld(*data) {
		return fail(stderr, "restore", "data directory %s is in use by a running server (its LOCK file is held); stop the server first", *data)
	}
	entries, err := os.ReadDir(*data)
	switch {
	case errors.Is(err, os.ErrNotExist):
	case err != nil:
		return fail(stderr, "restore", "%v", err)
	case len(entries) > 0 && !*force:
		return fail(stderr, "restore", "data directory %s is not empty; pass --force to replace its contents", *data)
	}
	// Copy beside the target, then swap, so a failed copy leaves the old
	// directory as it was.
	tmp := filepath.Clean(*data) + ".restore-tmp"
	os.RemoveAll(tmp)
	if err := copyTree(*from, tmp); err != nil {
		os.RemoveAll(tmp)
		return fail(stderr, "restore", "copying %s: %v", *from, err)
	}
	if err := os.RemoveAll(*data); err != nil {
		os.RemoveAll(tmp)
		return fail(stderr, "restore", "%v", err)
	}
	if err := os.Rename(tmp, *data); err != nil {
		return fail(stderr, "restore", "%v", err)
	}
	syncDir(filepath.Dir(filepath.Clean(*data)))
	fmt.Fprintf(stdout, "restored %s into %s\n", *from, *data)
	return 0
}

// copyTree copies the regular files and directories under src to dst
// (which must not exist), fsyncing each file.
func copyTree(src, dst string) error {
	err := filepath.WalkDir(src, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if rel == "LOCK" {
			return nil
		}
		if !d.Type().IsRegular() {
			return fmt.Errorf("%s is not a regular file", path)
		}
		return copyFile(path, target)
	})
	if err != nil {
		return err
	}
	syncDir(dst)
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

func toolCheck(args []string, stdout, stderr io.Writer) int {
	fs := toolFlags("check", stderr)
	data := fs.String("dir", "", "data directory of a stopped server")
	progress := fs.Bool("progress", isTerminal(stderr), "show progress on stderr (default: when stderr is a terminal)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *data == "" || fs.NArg() != 0 {
		fmt.Fprintln(stderr, "usage: moonstone check --dir DATA [--progress]")
		return 2
	}
	if err := requireDir(*data); err != nil {
		return fail(stderr, "check", "%v", err)
	}
	db, err := storage.Open(storage.Options{Dir: *data, Sync: storage.SyncAlways, KeyFilterSize: -1, Logger: toolLogger{stderr}})
	if err != nil {
		return fail(stderr, "check", "%v", err)
	}
	defer db.Close()
	start := time.Now()
	var show func(string, *storage.CheckReport)
	width := 0
	if *progress {
		// One line, rewritten in place with a carriage return.
		show = func(phase string, r *storage.CheckReport) {
			line := fmt.Sprintf("checking %s: %s; %d keys, %d collections, %d member records, %s",
				*data, phase, r.Keys, r.Collections, r.Members, time.Since(start).Round(time.Second))
			width = max(width, len(line))
			fmt.Fprintf(stderr, "\r%-*s", width, line)
		}
	}
	r, err := db.CheckWithProgress(show)
	if width > 0 {
		fmt.Fprintf(stderr, "\r%*s\r", width, "")
	}
	if err != nil {
		return fail(stderr, "check", "%v", err)
	}
	for _, p := range r.Problems {
		fmt.Fprintln(stdout, "PROBLEM:", p)
	}
	if int64(len(r.Problems)) < r.ProblemCount {
		fmt.Fprintf(stdout, "... and %d more problems\n", r.ProblemCount-int64(len(r.Problems)))
	}
	fmt.Fprintf(stdout, "checked %s in %s: %d keys, %d collections, %d member and index records, %d expiries, %d scripts; %d problems\n",
		*data, time.Since(start).Round(time.Millisecond), r.Keys, r.Collections, r.Members, r.Expiries, r.Scripts, r.ProblemCount)
	if !r.OK() {
		return 1
	}
	return 0
}

// isTerminal reports whether w is a terminal (not a file, a pipe or
// /dev/null).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// toolLogger keeps Pebble's informational chatter (WAL replay, ...) out of
// the tools' output and passes its errors on.
type toolLogger struct{ w io.Writer }

func (l toolLogger) Infof(format string, args ...any) {}

func (l toolLogger) Errorf(format string, args ...any) {
	fmt.Fprintf(l.w, "pebble: "+format+"\n", args...)
}

func (l toolLogger) Fatalf(format string, args ...any) {
	fmt.Fprintf(l.w, "pebble: FATAL: "+format+"\n", args...)
	os.Exit(1)
}
