package storage

import (
	"encoding/binary"
	"math"
	"slices"
	"sync"

	"moonstone/codec"
)

// Hashes: one metadata record (type, expiry, version, field count) and one
// record per field, `h | version | field → seq | value`. Point operations
// read and write single fields; HLEN reads the count in the metadata.
//
// A small hash keeps its fields and values inside its metadata record
// instead, in insertion order, and has no value records (hash_inline.go):
// a hash Redis would keep as a listpack whose entries take at most
// hashInlineBytes. New hashes start so; the first write past the limit,
// or that converts the hash (below), spills the entries to records for
// good. The functions below that touch value records send an inline hash
// (Meta.HInline) there: hsetField, hget, hexists, HDel, HIter, hashAll,
// HRandField.
//
// Order. Redis keeps a small hash as a listpack, which answers whole-hash
// reads (HGETALL, HKEYS, HVALS, HSCAN, HRANDFIELD's picks) in insertion
// order, and converts it for good to a hashtable, in no particular order,
// once a write gives it a field or value longer than
// hash-max-listpack-value or more fields than hash-max-listpack-entries.
// Moonstone mirrors that: each value record starts with the field's
// insertion sequence (kept when the field is overwritten, a new one when
// it is re-added after HDEL), and the metadata counts the next sequence
// and records the conversion (codec.Meta's Ordered, NextSeq, HashTable).
// A hash not converted is read whole and sorted by sequence (an inline
// one is in order already); a converted one streams in field order.
// Hashes written before sequences existed (no Ordered in their metadata)
// keep plain values and field order.

// hash loads key's metadata as a hash (nil when absent).
func (tx *Tx) hash(db int, key []byte) (*Meta, error) {
	return tx.typed(db, key, codec.TypeHash)
}

// hashForWrite loads key's hash metadata, or fresh metadata for a new hash
// when the key is absent; prev is what was there (nil for a new key), for
// putMeta.
func (tx *Tx) hashForWrite(db int, key []byte) (m, prev *Meta, err error) {
	prev, err = tx.hash(db, key)
	if err != nil {
		return nil, nil, err
	}
	if prev != nil {
		next := *prev
		return &next, prev, nil
	}
	m, err = tx.newCollection(codec.TypeHash)
	return m, nil, err
}

// hashValue is the value in a hash's value record raw: raw itself for a
// hash written before sequences existed, what follows the sequence
// otherwise.
func hashValue(m *Meta, raw []byte) []byte {
	if m.Ordered && len(raw) >= codec.HashSeqLen {
		return raw[codec.HashSeqLen:]
	}
	return raw
}

// hashSeq is the insertion sequence in an ordered hash's value record.
func hashSeq(raw []byte) uint64 {
	if len(raw) < codec.HashSeqLen {
		return 0
	}
	return binary.BigEndian.Uint64(raw)
}

// inOrder says whether m answers whole-hash reads in insertion order: an
// ordered hash Redis would still hold as a listpack. (Past 2^24 fields or
// 2^40 sequences, possible only with hash-max-listpack-entries raised that
// far, it answers in field order: hashFields's packing ends there. An
// inline hash is read without it.)
func inOrder(m *Meta) bool {
	return m != nil && m.Ordered && !m.HashTable && (m.HInline || m.Count < entryMask && m.NextSeq < 1<<40)
}

// convertIfLong marks m converted, as Redis's hashTypeTryConversion does,
// when field or value is longer than hash-max-listpack-value.
func (tx *Tx) convertIfLong(m *Meta, field, value []byte) {
	limit := tx.db.hashValue.Load()
	if int64(len(field)) > limit || int64(len(value)) > limit {
		m.HashTable = true
	}
}

// hsetField writes one field and reports whether it is new, keeping m's
// count, next sequence and conversion exact.
func (tx *Tx) hsetField(m *Meta, field, value []byte) (bool, error) {
	k := codec.MemberKey(codec.TagHash, m.Version, field)
	if !m.Ordered {
		existed, err := tx.has(k)
		if err != nil {
			return false, err
		}
		if err := tx.set(k, value); err != nil {
			return false, err
		}
		if !existed {
			m.Count++
		}
		return !existed, nil
	}
	tx.convertIfLong(m, field, value)
	if m.Count > tx.db.hashEntries.Load() {
		// Redis's hashTypeSet converts after any set, an update too, that
		// leaves the hash over the limit (lowered by CONFIG SET since).
		m.HashTable = true
	}
	if m.HInline {
		if !m.HashTable {
			return tx.hsetInline(m, field, value)
		}
		if err := tx.hspill(m); err != nil {
			return false, err
		}
	}
	old, existed, err := tx.get(k)
	if err != nil {
		return false, err
	}
	seq := hashSeq(old)
	if !existed {
		seq = m.NextSeq
		m.NextSeq++
		m.Count++
		if m.Count > tx.db.hashEntries.Load() {
			m.HashTable = true
		}
	}
	rec := make([]byte, codec.HashSeqLen, codec.HashSeqLen+len(value))
	binary.BigEndian.PutUint64(rec, seq)
	if err := tx.set(k, append(rec, value...)); err != nil {
		return false, err
	}
	return !existed, nil
}

// hget reads one field's value (a copy, or for an inline hash a part of
// its metadata, which is never written in place).
func (tx *Tx) hget(m *Meta, field []byte) ([]byte, bool, error) {
	if m.HInline {
		return hgetInline(m, field)
	}
	v, ok, err := tx.get(codec.MemberKey(codec.TagHash, m.Version, field))
	if err != nil || !ok {
		return nil, false, err
	}
	return hashValue(m, v), true, nil
}

// HSet sets field/value pairs (pairs alternates them) and returns how many
// fields are new.
func (tx *Tx) HSet(db int, key []byte, pairs [][]byte) (int64, error) {
	m, prev, err := tx.hashForWrite(db, key)
	if err != nil {
		return 0, err
	}
	var created int64
	for i := 0; i+1 < len(pairs); i += 2 {
		isNew, err := tx.hsetField(m, pairs[i], pairs[i+1])
		if err != nil {
			return 0, err
		}
		if isNew {
			created++
		}
	}
	return created, tx.putMetaIfGrown(db, key, prev, m)
}

// HSetNX sets field only if the hash does not have it yet.
func (tx *Tx) HSetNX(db int, key, field, value []byte) (bool, error) {
	m, prev, err := tx.hashForWrite(db, key)
	if err != nil {
		return false, err
	}
	if prev != nil {
		ok, err := tx.hexists(m, field)
		if err != nil || ok {
			return false, err
		}
	}
	if _, err := tx.hsetField(m, field, value); err != nil {
		return false, err
	}
	return true, tx.putMeta(db, key, prev, m)
}

// HGet returns one field's value.
func (tx *Tx) HGet(db int, key, field []byte) ([]byte, bool, error) {
	m, err := tx.hash(db, key)
	if err != nil || m == nil {
		return nil, false, err
	}
	return tx.hget(m, field)
}

// HMGet returns the values of fields, in order; an absent field is nil
// (a present empty value is a non-nil empty slice).
func (tx *Tx) HMGet(db int, key []byte, fields [][]byte) ([][]byte, error) {
	m, err := tx.hash(db, key)
	if err != nil {
		return nil, err
	}
	out := make([][]byte, len(fields))
	if m == nil {
		return out, nil
	}
	for i, f := range fields {
		v, ok, err := tx.hget(m, f)
		if err != nil {
			return nil, err
		}
		if ok && v == nil {
			v = []byte{}
		}
		out[i] = v
	}
	return out, nil
}

// HDel removes fields and returns how many existed. A hash left empty is
// deleted.
func (tx *Tx) HDel(db int, key []byte, fields [][]byte) (int64, error) {
	m, err := tx.hash(db, key)
	if err != nil || m == nil {
		return 0, err
	}
	next := *m
	if m.HInline {
		deleted, err := hdelInline(&next, fields)
		if err != nil {
			return 0, err
		}
		return deleted, tx.shrunk(db, key, m, &next)
	}
	var deleted int64
	for _, f := range fields {
		k := codec.MemberKey(codec.TagHash, m.Version, f)
		ok, err := tx.has(k)
		if err != nil {
			return 0, err
		}
		if !ok {
			continue
		}
		if err := tx.del(k); err != nil {
			return 0, err
		}
		deleted++
		next.Count--
	}
	return deleted, tx.shrunk(db, key, m, &next)
}

// shrunk stores a collection's metadata after members were removed: the
// key goes away when none is left, as Redis never keeps empty collections.
func (tx *Tx) shrunk(db int, key []byte, prev, m *Meta) error {
	switch {
	case m.Count == prev.Count:
		return nil
	case m.Count <= 0:
		// The members are already gone; deleteKey's walk finds none.
		m.Count = 0
		return tx.deleteKey(db, key, m)
	}
	return tx.putMeta(db, key, prev, m)
}

// HExists reports whether the hash has field.
func (tx *Tx) HExists(db int, key, field []byte) (bool, error) {
	m, err := tx.hash(db, key)
	if err != nil || m == nil {
		return false, err
	}
	return tx.hexists(m, field)
}

// hexists reports whether m has field.
func (tx *Tx) hexists(m *Meta, field []byte) (bool, error) {
	if m.HInline {
		_, ok, err := hgetInline(m, field)
		return ok, err
	}
	return tx.has(codec.MemberKey(codec.TagHash, m.Version, field))
}

// HLen is the number of fields (0 for an absent key), from the metadata.
func (tx *Tx) HLen(db int, key []byte) (int64, error) {
	m, err := tx.hash(db, key)
	if err != nil || m == nil {
		return 0, err
	}
	return m.Count, nil
}

// HStrLen is the length of field's value (0 when absent).
func (tx *Tx) HStrLen(db int, key, field []byte) (int64, error) {
	v, _, err := tx.HGet(db, key, field)
	return int64(len(v)), err
}

// HIter walks every field and value of a hash (HKEYS, HVALS, HGETALL), in
// insertion order while Redis would keep it as a listpack, in field order
// otherwise (see the top of the file). The caller must Close it.
func (tx *Tx) HIter(db int, key []byte) (*MemberIter, error) {
	m, err := tx.hash(db, key)
	if err != nil {
		return nil, err
	}
	if m != nil && m.HInline {
		return &MemberIter{Count: m.Count, inline: m.HEntries, fromMeta: true}, nil
	}
	if inOrder(m) {
		h, err := tx.hashInOrder(m, true)
		if err != nil {
			return nil, err
		}
		return &MemberIter{Count: m.Count, read: h}, nil
	}
	mi, err := tx.memberIter(m, codec.TagHash)
	if err == nil && m != nil && m.Ordered {
		mi.skip = codec.HashSeqLen
	}
	return mi, err
}

// hashAll reads every field (and value, if withValues) of a hash, in the
// order HGETALL answers.
func (tx *Tx) hashAll(m *Meta, withValues bool) (fields, values [][]byte, err error) {
	if m != nil && m.HInline {
		return hentries(m, withValues)
	}
	if !inOrder(m) {
		fields, values, err = tx.allMembers(m, codec.TagHash, withValues)
		if m != nil && m.Ordered {
			for i := range values {
				values[i] = hashValue(m, values[i])
			}
		}
		return fields, values, err
	}
	h, err := tx.hashInOrder(m, withValues)
	if err != nil {
		return nil, nil, err
	}
	// The slices alias h's buffer, so h goes to the collector, not back
	// to the pool.
	fields = make([][]byte, h.len())
	if withValues {
		values = make([][]byte, h.len())
	}
	for i := range fields {
		fields[i] = h.field(i)
		if withValues {
			values[i] = h.value(i)
		}
	}
	return fields, values, nil
}

// hashFields is a hash read whole into one buffer in field order, with
// the order to answer in: the i-th entry to answer is entry j =
// order[i]&entryMask (or i when sorted), whose field is
// buf[offs[3j]:offs[3j+1]] and value buf[offs[3j+1]:offs[3j+2]]. One
// buffer and two small offset slices keep a whole-hash read of a small
// hash from allocating per field.
type hashFields struct {
	buf   []byte
	offs  []int
	order []uint64 // sequence<<24 | entry, sorted unless sorted is set
	// sorted says the entries were read in insertion order already.
	sorted bool
}

const entryMask = 1<<24 - 1

func (h *hashFields) len() int { return len(h.offs) / 3 }

func (h *hashFields) entry(i int) int {
	if h.sorted {
		return i
	}
	return int(h.order[i] & entryMask)
}

func (h *hashFields) field(i int) []byte {
	j := 3 * h.entry(i)
	return h.buf[h.offs[j]:h.offs[j+1]:h.offs[j+1]]
}

func (h *hashFields) value(i int) []byte {
	j := 3 * h.entry(i)
	return h.buf[h.offs[j+1]:h.offs[j+2]:h.offs[j+2]]
}

// hashInOrder reads an unconverted ordered hash whole, in insertion order
// (values left out unless withValues). inOrder has checked that entry
// numbers and sequences fit the packing of order.
func (tx *Tx) hashInOrder(m *Meta, withValues bool) (*hashFields, error) {
	prefix := codec.MemberPrefix(codec.TagHash, m.Version)
	it, err := tx.iter(prefix, codec.PrefixEnd(prefix))
	if err != nil {
		return nil, err
	}
	h := hashFieldsPool.Get().(*hashFields)
	h.buf, h.offs, h.order = h.buf[:0], h.offs[:0], h.order[:0]
	sorted := true
	for ok := it.First(); ok; ok = it.Next() {
		raw := it.Value()
		key := hashSeq(raw)<<24 | uint64(len(h.order))
		if k := len(h.order); k > 0 && h.order[k-1] > key {
			sorted = false
		}
		h.order = append(h.order, key)
		h.offs = append(h.offs, len(h.buf))
		h.buf = append(h.buf, codec.MemberFromKey(it.Key())...)
		h.offs = append(h.offs, len(h.buf))
		if withValues {
			h.buf = append(h.buf, hashValue(m, raw)...)
		}
		h.offs = append(h.offs, len(h.buf))
	}
	if err := it.Close(); err != nil {
		h.release()
		return nil, err
	}
	h.sorted = sorted
	if !sorted {
		slices.Sort(h.order)
	}
	return h, nil
}

// hashFieldsPool recycles the buffers of whole-hash reads (HGETALL of a
// small hash would otherwise allocate its size on every call, and the
// garbage collector's work shows in every iterator step).
var hashFieldsPool = sync.Pool{New: func() any {
	return &hashFields{buf: make([]byte, 0, 4096), offs: make([]int, 0, 384), order: make([]uint64, 0, 128)}
}}

// release returns h to the pool; nothing read from it may be used after.
// Buffers grown past 64 KB are dropped rather than kept.
func (h *hashFields) release() {
	if cap(h.buf) > 64<<10 || cap(h.offs) > 8<<10 {
		return
	}
	hashFieldsPool.Put(h)
}

// sortBySeq orders fields and their raw value records by insertion
// sequence.
func sortBySeq(fields, raw [][]byte) {
	idx := make([]int, len(fields))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		sa, sb := hashSeq(raw[a]), hashSeq(raw[b])
		switch {
		case sa < sb:
			return -1
		case sa > sb:
			return 1
		}
		return 0
	})
	f, r := make([][]byte, len(idx)), make([][]byte, len(idx))
	for i, j := range idx {
		f[i], r[i] = fields[j], raw[j]
	}
	copy(fields, f)
	copy(raw, r)
}

// HIncrBy adds delta to the integer in field (0 when absent).
func (tx *Tx) HIncrBy(db int, key, field []byte, delta int64) (int64, error) {
	m, prev, err := tx.hashForWrite(db, key)
	if err != nil {
		return 0, err
	}
	var cur int64
	if prev != nil {
		v, ok, err := tx.hget(m, field)
		if err != nil {
			return 0, err
		}
		if ok {
			if cur, ok = codec.ParseInt(v); !ok {
				return 0, ErrHashNotInteger
			}
		}
	}
	if (delta < 0 && cur < 0 && delta < math.MinInt64-cur) || (delta > 0 && cur > 0 && delta > math.MaxInt64-cur) {
		return 0, ErrOverflow
	}
	cur += delta
	if _, err := tx.hsetField(m, field, []byte(codec.FormatInt(cur))); err != nil {
		return 0, err
	}
	return cur, tx.putMetaIfGrown(db, key, prev, m)
}

// putMetaIfGrown stores m after members were added, unless the key existed
// and the metadata is the same (no member new, a hash not converted). An
// inline hash's metadata is always stored: it holds the values, and the
// write is what WATCH and tracking see of a value written as it was.
func (tx *Tx) putMetaIfGrown(db int, key []byte, prev, m *Meta) error {
	if prev != nil && !prev.HInline && prev.Count == m.Count && prev.NextSeq == m.NextSeq && prev.HashTable == m.HashTable {
		return nil
	}
	return tx.putMeta(db, key, prev, m)
}

// HIncrByFloat adds incr (validated by the caller: a finite long double) to
// the number in field with long double precision, as Redis does, and
// returns the stored text. It mirrors IncrByFloat.
func (tx *Tx) HIncrByFloat(db int, key, field []byte, incr []byte) ([]byte, error) {
	inc, ok := codec.ParseLongDouble(incr)
	if !ok {
		return nil, ErrNotFloat
	}
	if inc.IsInf() {
		return nil, ErrNaNOrInfValue
	}
	m, prev, err := tx.hashForWrite(db, key)
	if err != nil {
		return nil, err
	}
	cur, _ := codec.ParseLongDouble([]byte("0"))
	if prev != nil {
		v, found, err := tx.hget(m, field)
		if err != nil {
			return nil, err
		}
		if found {
			if cur, ok = codec.ParseLongDouble(v); !ok {
				return nil, ErrHashNotFloat
			}
		}
	}
	sum, ok := codec.AddLongDouble(cur, inc)
	if !ok {
		return nil, ErrNaNOrInf
	}
	out := []byte(codec.FormatLongDouble(sum))
	if _, err := tx.hsetField(m, field, out); err != nil {
		return nil, err
	}
	return out, tx.putMetaIfGrown(db, key, prev, m)
}

// HRandField picks count random fields (and their values if withValues).
// With distinct the fields differ and at most HLEN come back; otherwise
// each pick is independent and fields may repeat. An absent hash gives
// nothing.
func (tx *Tx) HRandField(db int, key []byte, count int64, distinct, withValues bool) (fields, values [][]byte, err error) {
	m, err := tx.hash(db, key)
	if err != nil || m == nil {
		return nil, nil, err
	}
	if distinct && count >= m.Count {
		return tx.hashAll(m, withValues)
	}
	if m.HInline {
		return hrandInline(m, count, distinct, withValues)
	}
	if !m.Ordered {
		s, err := tx.sampleMembers(m, codec.TagHash, count, distinct, withValues)
		return s.members, s.values, err
	}
	s, err := tx.sampleMembers(m, codec.TagHash, count, distinct, true)
	if err != nil {
		return nil, nil, err
	}
	if distinct && inOrder(m) && count*3 <= m.Count {
		// Redis picks few fields of a listpack in its order (more, it
		// takes by deleting from a copy, in no order).
		sortBySeq(s.members, s.values)
	}
	if !withValues {
		return s.members, nil, nil
	}
	for i := range s.values {
		s.values[i] = hashValue(m, s.values[i])
	}
	return s.members, s.values, nil
}

// allMembers reads every member of a collection, for replies that return
// the whole of it anyway.
func (tx *Tx) allMembers(m *Meta, tag byte, withValues bool) (members, values [][]byte, err error) {
	mi, err := tx.memberIter(m, tag)
	if err != nil {
		return nil, nil, err
	}
	members = make([][]byte, 0, mi.Count)
	for mi.Next() {
		members = append(members, append([]byte{}, mi.Member()...))
		if withValues {
			values = append(values, append([]byte{}, mi.Value()...))
		}
	}
	return members, values, mi.Close()
}

// HScan reads one HSCAN page.
func (tx *Tx) HScan(db int, key []byte, o ScanOptions) (MemberScan, error) {
	m, err := tx.hash(db, key)
	if err != nil || m == nil {
		return MemberScan{}, err
	}
	if !inOrder(m) {
		res, err := tx.scanMembers(m, codec.TagHash, o, true)
		for i := range res.Values {
			res.Values[i] = hashValue(m, res.Values[i])
		}
		return res, err
	}
	// Redis answers a listpack's scan whole, in its order, with cursor 0.
	fields, values, err := tx.hashAll(m, true)
	if err != nil {
		return MemberScan{}, err
	}
	var res MemberScan
	for i, f := range fields {
		if o.Match == nil || o.Match(f) {
			res.Members = append(res.Members, f)
			res.Values = append(res.Values, values[i])
		}
	}
	return res, nil
}

// HashEncoding is what OBJECT ENCODING answers for a hash: "listpack"
// while it keeps insertion order, "hashtable" after.
func (tx *Tx) HashEncoding(db int, key []byte) (string, error) {
	m, err := tx.hash(db, key)
	if err != nil || m == nil {
		return "", err
	}
	if inOrder(m) {
		return "listpack", nil
	}
	return "hashtable", nil
}
