package storage

import (
	"encoding/binary"
	"math/rand/v2"

	"moonstone/codec"
)

// Small hashes inside their metadata record.
//
// A hash that Redis would keep as a listpack (not converted: Meta.HashTable
// unset) and whose entries take at most hashInlineBytes keeps its fields
// and values in its metadata record (codec/hinline.go), in insertion
// order, instead of value records. A user's profile or a session is then
// one cached point read for HGET or HGETALL, and HSET rewrites one short
// record where each field took a value record (and a read of it first, to
// learn whether it was new). New hashes start inline. The first write that
// takes the entries past the limit, or converts the hash, spills them to
// value records (hspill), with the entries' positions as their insertion
// sequences so the order stays; a hash never goes back inline, except
// when rebuilt whole (RESTORE).

// hashInlineBytes bounds the entries an inline hash keeps in its metadata
// record. Every write to the hash rewrites them, so the bound keeps an
// overwrite of one field close to the cost of the value record it replaces
// (about 7% more server CPU at 250 and at 500 bytes; docs/compatibility.md,
// Hashes, has the measurements); it also keeps the record well under the
// row cache's entry limit (maxRowValue).
var hashInlineBytes = 512

// hinvalid is the error of an inline payload that does not decode.
var hinvalid = codec.ErrCorruptMeta

// hgetInline finds field among an inline hash's entries; the value
// aliases m.HEntries, which is never written in place.
func hgetInline(m *Meta, field []byte) ([]byte, bool, error) {
	_, _, v, found, valid := codec.FindHEntry(m.HEntries, field)
	if !valid {
		return nil, false, hinvalid
	}
	return v, found, nil
}

// hsetInline is hsetField for an inline hash that is not converted: an
// existing field keeps its place, a new one goes last. The entries spill
// to records if the new field converts the hash or they outgrow the
// record.
func (tx *Tx) hsetInline(m *Meta, field, value []byte) (bool, error) {
	start, end, _, found, valid := codec.FindHEntry(m.HEntries, field)
	if !valid {
		return false, hinvalid
	}
	size := len(m.HEntries) + codec.HEntrySize(field, value)
	if found {
		size -= end - start
	}
	// A new payload every time: the old one may be shared (with the
	// metadata the command started from, with values already read).
	p := make([]byte, 0, size)
	if found {
		p = append(p, m.HEntries[:start]...)
		p = codec.AppendHEntry(p, field, value)
		p = append(p, m.HEntries[end:]...)
	} else {
		p = codec.AppendHEntry(append(p, m.HEntries...), field, value)
		m.Count++
		if m.Count > tx.db.hashEntries.Load() {
			m.HashTable = true
		}
	}
	m.HEntries = p
	if m.HashTable || len(p) > hashInlineBytes {
		return !found, tx.hspill(m)
	}
	return !found, nil
}

// hdelInline removes fields from an inline hash and returns how many it
// had.
func hdelInline(m *Meta, fields [][]byte) (int64, error) {
	var deleted int64
	for _, f := range fields {
		start, end, _, found, valid := codec.FindHEntry(m.HEntries, f)
		if !valid {
			return 0, hinvalid
		}
		if !found {
			continue
		}
		p := make([]byte, 0, len(m.HEntries)-(end-start))
		m.HEntries = append(append(p, m.HEntries[:start]...), m.HEntries[end:]...)
		m.Count--
		deleted++
	}
	return deleted, nil
}

// hspill moves an inline hash's entries to value records under its
// version, which holds none while the hash is inline. The i-th entry
// gets insertion sequence i, so the order stays.
func (tx *Tx) hspill(m *Meta) error {
	p := m.HEntries
	var seq uint64
	for {
		f, v, rest, ok, valid := codec.NextHEntry(p)
		if !valid {
			return hinvalid
		}
		if !ok {
			break
		}
		rec := make([]byte, codec.HashSeqLen, codec.HashSeqLen+len(v))
		binary.BigEndian.PutUint64(rec, seq)
		if err := tx.set(codec.MemberKey(codec.TagHash, m.Version, f), append(rec, v...)); err != nil {
			return err
		}
		seq++
		p = rest
	}
	m.NextSeq = seq
	m.HInline, m.HEntries = false, nil
	return nil
}

// hentries splits an inline hash's entries (they alias m.HEntries).
func hentries(m *Meta, withValues bool) (fields, values [][]byte, err error) {
	// An entry takes at least 2 bytes: a corrupt count allocates no more.
	n := min(max(m.Count, 0), int64(len(m.HEntries)/2))
	fields, vals, ok := codec.SplitHEntries(make([][]byte, 0, n), make([][]byte, 0, n), m.HEntries)
	if !ok {
		return nil, nil, hinvalid
	}
	if withValues {
		values = vals
	}
	return fields, values, nil
}

// hrandInline is HRANDFIELD of an inline hash for counts below its size
// (distinct) or any count (with repeats). Few distinct picks come in
// insertion order, as Redis's from a listpack; more, and picks with
// repeats, in random order.
func hrandInline(m *Meta, count int64, distinct, withValues bool) (fields, values [][]byte, err error) {
	if count <= 0 {
		return nil, nil, nil
	}
	if !distinct && count > maxRandomReply {
		return nil, nil, ErrSampleTooLarge
	}
	all, vals, err := hentries(m, true)
	if err != nil || len(all) == 0 {
		return nil, nil, err
	}
	n := int64(len(all))
	pick := func(i int) {
		fields = append(fields, all[i])
		if withValues {
			values = append(values, vals[i])
		}
	}
	if !distinct {
		for range count {
			pick(rand.IntN(int(n)))
		}
		return fields, values, nil
	}
	// Knuth's selection sampling: every subset of count equally likely.
	need, left := min(count, n), n
	for i := 0; need > 0; i++ {
		if rand.Int64N(left) < need {
			pick(i)
			need--
		}
		left--
	}
	if count*3 > n {
		rand.Shuffle(len(fields), func(i, j int) {
			fields[i], fields[j] = fields[j], fields[i]
			if withValues {
				values[i], values[j] = values[j], values[i]
			}
		})
	}
	return fields, values, nil
}
