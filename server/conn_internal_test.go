package server

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// panickingSource is a reader bug: it panics on the first read.
type panickingSource struct{}

func (panickingSource) readTo(*Reader, []byte) (int, error) { panic("reader bug") }

func (panickingSource) release() {}

// A bug in the request reader ends that one connection, with the panic in
// the log, instead of the whole server: it once took a bulk header that was
// an empty line to crash every client's server.
func TestReaderPanicEndsOnlyItsConnection(t *testing.T) {
	cfg, err := ParseArgs(nil)
	if err != nil {
		t.Fatal(err)
	}
	logPath := filepath.Join(t.TempDir(), "log")
	logW, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logW.Close()
	cn := &Conn{srv: &Server{cfg: cfg, logW: logW}, addr: "127.0.0.1:1"}
	cn.rd = newConnReader(panickingSource{}, DefaultLimits, nil, nil)
	if args, err := cn.readCommand(); !errors.Is(err, errReadPanic) || args != nil {
		t.Fatalf("readCommand after a reader panic: %q, %v", args, err)
	}
	log, _ := os.ReadFile(logPath)
	if !strings.Contains(string(log), "panic reading a request from 127.0.0.1:1: reader bug") {
		t.Fatalf("the panic is not in the log: %q", log)
	}
}
