// Package slab cuts small slices out of larger blocks, so that many
// short-lived pieces (a command's arguments, the values a transaction
// copies out of the store) cost one allocation per block instead of one
// each.
//
// Nothing is ever handed out twice: a piece is its caller's for as long as
// the caller holds it, and the garbage collector keeps its block alive
// until no piece of it is held. That is what makes a slab safe where a
// reused buffer is not: a command may keep its arguments in a MULTI queue,
// a keyspace notification may keep a key until its transaction commits.
// The price is that one small piece kept for long keeps its whole block.
package slab

// Slab hands out pieces of up to Small elements, cut from blocks of Block
// elements; a larger piece is allocated on its own. The zero Slab is not
// usable: set both.
type Slab[T any] struct {
	Small, Block int
	free         []T // what is left of the current block
}

// Cut returns n zeroed elements. The piece is capped at its length, so an
// append to it never runs into the next piece.
func (s *Slab[T]) Cut(n int) []T {
	if n > s.Small {
		return make([]T, n)
	}
	if n > cap(s.free) {
		s.free = make([]T, s.Block)
	}
	piece := s.free[:n:n]
	s.free = s.free[n:]
	return piece
}

// Copy returns a piece holding a copy of src.
func (s *Slab[T]) Copy(src []T) []T {
	piece := s.Cut(len(src))
	copy(piece, src)
	return piece
}

// Owns reports whether piece could have come from a block: a piece longer
// than Small was allocated on its own.
func (s *Slab[T]) Owns(piece []T) bool { return cap(piece) <= s.Small }

// Drop forgets the current block, so that the slab no longer keeps it
// alive; the next Cut starts a new one.
func (s *Slab[T]) Drop() { s.free = nil }

// Empty reports whether the slab holds no block.
func (s *Slab[T]) Empty() bool { return s.free == nil }
