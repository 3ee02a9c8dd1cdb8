package storage

import (
	"errors"
	"math"

	"moonstone/codec"
)

// LCS: the longest common subsequence of two strings, by Redis's dynamic
// programming over a (len(a)+1)*(len(b)+1) table of uint32. The table is
// bounded by proto-max-bulk-len, as in Redis 7.0, before it is allocated.

var (
	ErrLCSNotStrings = errors.New("ERR The specified keys must contain string values")
	ErrLCSTooLong    = errors.New("ERR String too long for LCS")
	ErrLCSTableLimit = errors.New("ERR Insufficient memory, transient memory for LCS exceeds proto-max-bulk-len")
	ErrLCSNoMemory   = errors.New("ERR Insufficient memory, failed allocating transient memory for LCS")
)

// LCSMatch is one run of the LCS found contiguous in both strings: byte
// ranges [AStart, AEnd] of the first and [BStart, BEnd] of the second.
type LCSMatch struct {
	AStart, AEnd, BStart, BEnd int64
	Len                        int64
}

// LCSResult is the common subsequence, its length, and its runs from last
// to first (Redis's order), only those at least MinMatchLen long.
type LCSResult struct {
	Len     int64
	Str     []byte
	Matches []LCSMatch
}

// LCSOptions are LCS's modifiers as storage needs them.
type LCSOptions struct {
	MinMatchLen int64
	// Err is an argument error, which Redis reports only after checking
	// both keys hold strings.
	Err error
}

// LCS computes the longest common subsequence of the strings at keys a and
// b; a missing key is the empty string.
func (tx *Tx) LCS(db int, a, b []byte, o LCSOptions) (LCSResult, error) {
	var res LCSResult
	sa, err := tx.lcsOperand(db, a)
	if err != nil {
		return res, err
	}
	sb, err := tx.lcsOperand(db, b)
	if err != nil {
		return res, err
	}
	if o.Err != nil {
		return res, o.Err
	}
	if uint64(len(sa)) >= math.MaxUint32-1 || uint64(len(sb)) >= math.MaxUint32-1 {
		return res, ErrLCSTooLong
	}
	alen, blen := len(sa), len(sb)
	cells := uint64(alen+1) * uint64(blen+1) // < 2^64: both are < 2^32
	if cells > math.MaxUint64/4 {
		return res, ErrLCSNoMemory
	}
	if cells*4 > uint64(tx.db.maxString.Load()) {
		return res, ErrLCSTableLimit
	}
	// lcs[i*(blen+1)+j] is the LCS length of sa[:i] and sb[:j].
	w := blen + 1
	lcs := make([]uint32, cells)
	for i := 1; i <= alen; i++ {
		for j := 1; j <= blen; j++ {
			switch {
			case sa[i-1] == sb[j-1]:
				lcs[i*w+j] = lcs[(i-1)*w+j-1] + 1
			default:
				lcs[i*w+j] = max(lcs[(i-1)*w+j], lcs[i*w+j-1])
			}
		}
	}
	idx := lcs[alen*w+blen]
	res.Len = int64(idx)
	res.Str = make([]byte, idx)

	// Walk back from the end, collecting the subsequence and the runs
	// where it is contiguous in both strings, exactly as Redis does.
	unset := uint32(alen)
	aStart, aEnd, bStart, bEnd := unset, uint32(0), uint32(0), uint32(0)
	i, j := alen, blen
	for i > 0 && j > 0 {
		emit := false
		if sa[i-1] == sb[j-1] {
			res.Str[idx-1] = sa[i-1]
			if aStart == unset {
				aStart, aEnd = uint32(i-1), uint32(i-1)
				bStart, bEnd = uint32(j-1), uint32(j-1)
			} else if aStart == uint32(i) && bStart == uint32(j) {
				aStart--
				bStart--
			} else {
				emit = true
			}
			if aStart == 0 || bStart == 0 {
				emit = true
			}
			idx--
			i--
			j--
		} else {
			if lcs[(i-1)*w+j] > lcs[i*w+j-1] {
				i--
			} else {
				j--
			}
			if aStart != unset {
				emit = true
			}
		}
		if emit {
			n := int64(aEnd) - int64(aStart) + 1
			if o.MinMatchLen == 0 || n >= o.MinMatchLen {
				res.Matches = append(res.Matches, LCSMatch{
					AStart: int64(aStart), AEnd: int64(aEnd),
					BStart: int64(bStart), BEnd: int64(bEnd), Len: n,
				})
			}
			aStart = unset
		}
	}
	return res, nil
}

// lcsOperand is the string at key, empty when missing.
func (tx *Tx) lcsOperand(db int, key []byte) ([]byte, error) {
	m, err := tx.meta(db, key)
	if err != nil || m == nil {
		return nil, err
	}
	if m.Type != codec.TypeString {
		return nil, ErrLCSNotStrings
	}
	return m.Value, nil
}
