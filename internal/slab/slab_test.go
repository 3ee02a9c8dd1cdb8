package slab

import (
	"bytes"
	"testing"
)

// Pieces are never handed out twice: filling every piece with its own byte
// and appending to each must leave every other piece as it was.
func TestPiecesStayTheirOwners(t *testing.T) {
	s := Slab[byte]{Small: 16, Block: 64}
	var pieces [][]byte
	for i := 0; i < 500; i++ {
		n := i % 24 // some past Small
		p := s.Cut(n)
		if len(p) != n || cap(p) != n {
			t.Fatalf("piece %d: len %d cap %d, want %d", i, len(p), cap(p), n)
		}
		for j := range p {
			if p[j] != 0 {
				t.Fatalf("piece %d is not zeroed", i)
			}
			p[j] = byte(i)
		}
		pieces = append(pieces, p)
		if n > 0 {
			_ = append(pieces[i/2], 0xFF) // must reallocate, not overrun
		}
	}
	for i, p := range pieces {
		if !bytes.Equal(p, bytes.Repeat([]byte{byte(i)}, len(p))) {
			t.Fatalf("piece %d changed: %v", i, p)
		}
	}
}

func TestCopyAndOwns(t *testing.T) {
	s := Slab[byte]{Small: 8, Block: 32}
	src := []byte("abc")
	c := s.Copy(src)
	src[0] = 'x'
	if string(c) != "abc" || !s.Owns(c) {
		t.Fatalf("copy %q owns %v", c, s.Owns(c))
	}
	if big := s.Copy(make([]byte, 9)); s.Owns(big) {
		t.Fatal("a piece past Small is its own allocation")
	}
	if s.Empty() {
		t.Fatal("a slab that cut a piece holds a block")
	}
	s.Drop()
	if !s.Empty() {
		t.Fatal("Drop leaves the slab empty")
	}
}

// A run of small cuts costs one allocation per block.
func TestCutsShareBlocks(t *testing.T) {
	s := Slab[[]byte]{Small: 8, Block: 64}
	allocs := testing.AllocsPerRun(100, func() {
		for i := 0; i < 16; i++ {
			s.Cut(4)
		}
	})
	if allocs != 1 {
		t.Fatalf("16 cuts of 4 from blocks of 64: %v allocations, want 1", allocs)
	}
}
