package storage

import (
	"math"

	"moonstone/codec"
)

// SetOptions are SET's modifiers.
type SetOptions struct {
	NX, XX  bool
	KeepTTL bool
	// ExpireAt is the new absolute expiry in unix ms; 0 clears any expiry
	// unless KeepTTL is set.
	ExpireAt int64
	// Get asks for the old value; it also makes SET fail with ErrWrongType
	// on a key of another type instead of overwriting it.
	Get bool
	// Encoding is what will decide the value's OBJECT ENCODING: its
	// content for SET; the PF* commands, which edit their values in
	// place in Redis, store StringRaw.
	Encoding codec.StringEncoding
}

// SetResult reports what SET found and did.
type SetResult struct {
	Old       []byte
	OldExists bool
	Written   bool
}

// Get returns a string key's value.
func (tx *Tx) Get(db int, key []byte) ([]byte, bool, error) {
	m, err := tx.typed(db, key, codec.TypeString)
	if err != nil || m == nil {
		return nil, false, err
	}
	return m.Value, true, nil
}

// GetView is Get for a reply written before the transaction closes: in a
// point read, a value read from Pebble is Pebble's own memory, valid until
// Close and not to be changed. Anywhere else it is Get.
func (tx *Tx) GetView(db int, key []byte) ([]byte, bool, error) {
	m, err := tx.typedAs(db, key, codec.TypeString, readView)
	if err != nil || m == nil {
		return nil, false, err
	}
	return m.Value, true, nil
}

// Set is SET with all its options.
func (tx *Tx) Set(db int, key, value []byte, o SetOptions) (SetResult, error) {
	var res SetResult
	mode := readHeader // the old value only matters to GET
	if o.Get {
		mode = readCopy
	}
	m, err := tx.loadMeta(db, key, mode)
	if err != nil {
		return res, err
	}
	if m != nil && o.Get {
		if m.Type != codec.TypeString {
			return res, ErrWrongType
		}
		res.Old, res.OldExists = m.Value, true
	}
	if (o.NX && m != nil) || (o.XX && m == nil) {
		return res, nil
	}
	at := o.ExpireAt
	if o.KeepTTL && m != nil {
		at = m.ExpireAt
	}
	if err := tx.putString(db, key, m, value, at, o.Encoding); err != nil {
		return res, err
	}
	res.Written = true
	return res, nil
}

// putString replaces whatever key held (prev) with a string whose OBJECT
// ENCODING enc decides.
func (tx *Tx) putString(db int, key []byte, prev *Meta, value []byte, expireAt int64, enc codec.StringEncoding) error {
	if prev != nil && prev.Type != codec.TypeString {
		if err := tx.deleteMembers(prev); err != nil {
			return err
		}
	}
	if enc != codec.StringByContent {
		if err := tx.stampFormat(6); err != nil {
			return err
		}
	}
	return tx.putMeta(db, key, prev, &Meta{Type: codec.TypeString, ExpireAt: expireAt, Value: value, StringEnc: enc})
}

// StringEncoding is OBJECT ENCODING's answer for the string at key ("" if
// there is none).
func (tx *Tx) StringEncoding(db int, key []byte) (string, error) {
	m, err := tx.typed(db, key, codec.TypeString)
	if err != nil || m == nil {
		return "", err
	}
	return m.StringEnc.Name(m.Value), nil
}

// GetDel returns a string's value and deletes the key.
func (tx *Tx) GetDel(db int, key []byte) ([]byte, bool, error) {
	m, err := tx.typed(db, key, codec.TypeString)
	if err != nil || m == nil {
		return nil, false, err
	}
	return m.Value, true, tx.deleteKey(db, key, m)
}

// GetEx returns a string's value and changes its expiry: to expireAt when
// it is non-zero, removed when persist is set, untouched otherwise. An
// expiry already in the past deletes the key, as Redis does.
func (tx *Tx) GetEx(db int, key []byte, expireAt int64, persist bool) ([]byte, bool, error) {
	m, err := tx.typed(db, key, codec.TypeString)
	if err != nil || m == nil {
		return nil, false, err
	}
	switch {
	case expireAt != 0 && expireAt <= tx.now:
		return m.Value, true, tx.deleteKey(db, key, m)
	case expireAt != 0 || (persist && m.ExpireAt != 0):
		next := *m
		next.ExpireAt = expireAt
		return m.Value, true, tx.putMeta(db, key, m, &next)
	}
	return m.Value, true, nil
}

// MSetNX sets every pair only if none of the keys exists.
func (tx *Tx) MSetNX(db int, pairs [][]byte) (bool, error) {
	for i := 0; i < len(pairs); i += 2 {
		m, err := tx.meta(db, pairs[i])
		if err != nil {
			return false, err
		}
		if m != nil {
			return false, nil
		}
	}
	for i := 0; i < len(pairs); i += 2 {
		if _, err := tx.Set(db, pairs[i], pairs[i+1], SetOptions{}); err != nil {
			return false, err
		}
	}
	return true, nil
}

// Append appends value to a string (creating it) and returns the new length.
func (tx *Tx) Append(db int, key, value []byte) (int64, error) {
	m, err := tx.typed(db, key, codec.TypeString)
	if err != nil {
		return 0, err
	}
	if m == nil {
		return int64(len(value)), tx.putString(db, key, nil, value, 0, codec.StringByContent)
	}
	if err := tx.checkSize(int64(len(m.Value)) + int64(len(value))); err != nil {
		return 0, err
	}
	nv := append(m.Value, value...)
	return int64(len(nv)), tx.putString(db, key, m, nv, m.ExpireAt, codec.StringRaw)
}

func (tx *Tx) checkSize(n int64) error {
	if n > tx.db.maxString.Load() {
		return ErrStringTooLong
	}
	return nil
}

// StrLen is the length of a string key (0 if absent).
func (tx *Tx) StrLen(db int, key []byte) (int64, error) {
	v, _, err := tx.Get(db, key)
	return int64(len(v)), err
}

// IncrBy adds delta to the integer stored at key, keeping its expiry.
func (tx *Tx) IncrBy(db int, key []byte, delta int64) (int64, error) {
	m, err := tx.typed(db, key, codec.TypeString)
	if err != nil {
		return 0, err
	}
	var cur, at int64
	if m != nil {
		var ok bool
		if cur, ok = codec.ParseInt(m.Value); !ok {
			return 0, ErrNotInteger
		}
		at = m.ExpireAt
	}
	if (delta < 0 && cur < 0 && delta < math.MinInt64-cur) || (delta > 0 && cur > 0 && delta > math.MaxInt64-cur) {
		return 0, ErrOverflow
	}
	cur += delta
	return cur, tx.putString(db, key, m, []byte(codec.FormatInt(cur)), at, codec.StringByContent)
}

// IncrByFloat adds incr (already validated by the caller as a float) to the
// number stored at key with long double precision, as Redis does, and
// returns the stored text.
func (tx *Tx) IncrByFloat(db int, key []byte, incr []byte) ([]byte, error) {
	inc, ok := codec.ParseLongDouble(incr)
	if !ok {
		return nil, ErrNotFloat
	}
	m, err := tx.typed(db, key, codec.TypeString)
	if err != nil {
		return nil, err
	}
	cur, _ := codec.ParseLongDouble([]byte("0"))
	var at int64
	if m != nil {
		if cur, ok = codec.ParseLongDouble(m.Value); !ok {
			return nil, ErrNotFloat
		}
		at = m.ExpireAt
	}
	sum, ok := codec.AddLongDouble(cur, inc)
	if !ok {
		return nil, ErrNaNOrInf
	}
	out := []byte(codec.FormatLongDouble(sum))
	return out, tx.putString(db, key, m, out, at, codec.StringText)
}

// GetRange returns the substring [start, end] with Redis's index rules.
func (tx *Tx) GetRange(db int, key []byte, start, end int64) ([]byte, error) {
	v, _, err := tx.Get(db, key)
	if err != nil {
		return nil, err
	}
	n := int64(len(v))
	if start < 0 && end < 0 && start > end {
		return nil, nil
	}
	if start < 0 {
		start += n
	}
	if end < 0 {
		end += n
	}
	if start < 0 {
		start = 0
	}
	if end < 0 {
		end = 0
	}
	if end >= n {
		end = n - 1
	}
	if n == 0 || start > end {
		return nil, nil
	}
	return v[start : end+1], nil
}

// SetRange overwrites part of a string starting at offset, padding with
// zero bytes, and returns the new length.
func (tx *Tx) SetRange(db int, key []byte, offset int64, value []byte) (int64, error) {
	m, err := tx.typed(db, key, codec.TypeString)
	if err != nil {
		return 0, err
	}
	var cur []byte
	if m != nil {
		cur = m.Value
	}
	if len(value) == 0 {
		return int64(len(cur)), nil
	}
	if offset > tx.db.maxString.Load()-int64(len(value)) {
		return 0, ErrStringTooLong
	}
	if need := offset + int64(len(value)); need > int64(len(cur)) {
		grown := make([]byte, need)
		copy(grown, cur)
		cur = grown
	}
	copy(cur[offset:], value)
	var at int64
	if m != nil {
		at = m.ExpireAt
	}
	return int64(len(cur)), tx.putString(db, key, m, cur, at, codec.StringRaw)
}
