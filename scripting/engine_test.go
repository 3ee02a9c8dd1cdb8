package scripting_test

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"moonstone/scripting"
)

// memStore is an in-memory scripting.Store.
type memStore struct {
	mu      sync.Mutex
	bodies  map[string][]byte
	loadedM map[string]bool
}

func newMemStore() *memStore {
	return &memStore{bodies: map[string][]byte{}, loadedM: map[string]bool{}}
}

func (m *memStore) PutScript(sha string, body []byte, loaded bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.bodies[sha] = append([]byte(nil), body...)
	m.loadedM[sha] = loaded
	return nil
}

func (m *memStore) GetScript(sha string) ([]byte, bool, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	b, ok := m.bodies[sha]
	return b, m.loadedM[sha], ok, nil
}

func (m *memStore) DeleteScripts(shas []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, s := range shas {
		delete(m.bodies, s)
		delete(m.loadedM, s)
	}
	return nil
}

func (m *memStore) FlushScripts() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.bodies = map[string][]byte{}
	m.loadedM = map[string]bool{}
	return nil
}

func (m *memStore) ListScripts(fn func(string, bool, int) error) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for sha, body := range m.bodies {
		if err := fn(sha, m.loadedM[sha], len(body)); err != nil {
			return err
		}
	}
	return nil
}

// echoHost answers every command with its last argument as a bulk string.
type echoHost struct{ finished int }

func (h *echoHost) Call(args [][]byte, out scripting.Reply) { out.Bulk(args[len(args)-1]) }
func (h *echoHost) ACLCheckCmd(args [][]byte) (bool, bool)  { return true, true }
func (h *echoHost) Log(int, string)                         {}
func (h *echoHost) Finish(bool) error                       { h.finished++; return nil }

// discard is a Reply that keeps the last scalar written.
type discard struct{ last any }

func (d *discard) Status(s string)       { d.last = s }
func (d *discard) Error(msg string)      { d.last = msg }
func (d *discard) Int(n int64)           { d.last = n }
func (d *discard) Bulk(b []byte)         { d.last = string(b) }
func (d *discard) BulkString(s string)   { d.last = s }
func (d *discard) Null()                 { d.last = nil }
func (d *discard) NullArray()            { d.last = nil }
func (d *discard) Array(int)             {}
func (d *discard) Map(int)               {}
func (d *discard) Set(int)               {}
func (d *discard) Double(f float64)      { d.last = f }
func (d *discard) HumanDouble(f float64) { d.last = f }
func (d *discard) Bool(b bool)           { d.last = b }
func (d *discard) BigNumber(s string)    { d.last = s }
func (d *discard) Verbatim(_, s string)  { d.last = s }
func (d *discard) Push(int)              {}
func (d *discard) Resp() int             { return 2 }

// The cost of one run of a small cached script: what EVALSHA pays on top
// of the command it calls.
func BenchmarkRunSmallScript(b *testing.B) {
	e := scripting.NewEngine(newMemStore(), scripting.Options{})
	s, err := e.Load([]byte("return redis.call('get', KEYS[1])"))
	if err != nil {
		b.Fatal(err)
	}
	keys := [][]byte{[]byte("k")}
	h := &echoHost{}
	out := &discard{}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		e.Run(s, h, keys, nil, true, out)
	}
	if out.last != "k" {
		b.Fatalf("reply %v", out.last)
	}
}

func BenchmarkBySHA(b *testing.B) {
	e := scripting.NewEngine(newMemStore(), scripting.Options{})
	s, _ := e.Load([]byte("return 1"))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := e.BySHA(s.SHA); err != nil {
			b.Fatal(err)
		}
	}
}

// The concatenation operator is bounded by the memory budget before it
// builds its result (the guard hooks gopher-lua's VM; this test fails if a
// gopher-lua upgrade breaks the hook).
func TestConcatIsBounded(t *testing.T) {
	e := scripting.NewEngine(newMemStore(), scripting.Options{MemoryLimit: 16 << 20})
	for _, src := range []string{
		"local s = string.rep('x', 1e6) while true do s = s .. s end",
		"local s = string.rep('x', 1e6) while true do s = s .. s .. s .. s .. s .. s .. s .. s end",
		"local s = string.rep('x', 1e6) local co = coroutine.wrap(function() while true do s = s .. s end end) co()",
	} {
		s, err := e.ForEval([]byte(src))
		if err != nil {
			t.Fatal(err)
		}
		out := &discard{}
		h := &echoHost{}
		e.Run(s, h, nil, nil, true, out)
		msg, _ := out.last.(string)
		if !strings.Contains(msg, "string concatenation: the result") {
			t.Fatalf("%q: reply %v", src, out.last)
		}
	}
	s, _ := e.ForEval([]byte("local s = 'ab' for i = 1, 10 do s = s .. s end return #(s .. 'x' .. 1)"))
	out := &discard{}
	e.Run(s, &echoHost{}, nil, nil, true, out)
	if out.last != int64(2050) {
		t.Fatalf("small concatenations: %v", out.last)
	}
}

// The scripts kept from EVAL are bounded in number and in bytes; the least
// recently used go first, from the store too; SCRIPT LOAD'ed ones stay.
func TestEvalCacheBound(t *testing.T) {
	store := newMemStore()
	e := scripting.NewEngine(store, scripting.Options{EvalCacheSize: 5, EvalCacheBytes: 1000})
	body := func(i, size int) []byte {
		b := fmt.Sprintf("return %d --", i)
		return []byte(b + strings.Repeat("x", size-len(b)))
	}
	loaded, _ := e.Load([]byte("return 'loaded'"))
	for i := 0; i < 8; i++ {
		if _, err := e.ForEval(body(i, 100)); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.CachedScripts(); n != 6 {
		t.Fatalf("%d scripts cached, want 5 from EVAL and the loaded one", n)
	}
	for i := 0; i < 8; i++ {
		want := i >= 3
		if got := e.Exists(scripting.SHA1Hex(body(i, 100))); got != want {
			t.Fatalf("script %d exists: %v", i, got)
		}
	}
	// Three bodies of 300 bytes fit in 1000 bytes, a fourth evicts.
	for i := 10; i < 14; i++ {
		e.ForEval(body(i, 300))
	}
	if e.Exists(scripting.SHA1Hex(body(10, 300))) || !e.Exists(scripting.SHA1Hex(body(13, 300))) {
		t.Fatal("the byte bound did not evict the oldest")
	}
	// A body beyond the byte bound runs but is not kept.
	big := body(20, 2000)
	if _, err := e.ForEval(big); err != nil {
		t.Fatal(err)
	}
	if e.Exists(scripting.SHA1Hex(big)) {
		t.Fatal("a body beyond the bound was kept")
	}
	if !e.Exists(loaded.SHA) {
		t.Fatal("the loaded script was evicted")
	}
	store.mu.Lock()
	n := len(store.bodies)
	store.mu.Unlock()
	if n != 4 {
		t.Fatalf("%d bodies in the store, want 3 from EVAL and the loaded one", n)
	}
}
