package storage_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/cockroachdb/pebble/v2"

	"moonstone/codec"
	"moonstone/storage"
)

// hmodel is a hash kept in memory: its entries in insertion order, and
// the states the rules give it.
type hmodel struct {
	fields, values []string
	// converted: Redis would have made it a hashtable (for good).
	converted bool
	// spilled: since the key was created, a write took its entries past
	// the inline budget or converted it, so it must be in records.
	spilled bool
}

func (h *hmodel) index(f string) int { return slices.Index(h.fields, f) }

func (h *hmodel) size() int {
	n := 0
	for i := range h.fields {
		n += codec.HEntrySize([]byte(h.fields[i]), []byte(h.values[i]))
	}
	return n
}

// set is one field write under the rules hash.go and hash_inline.go
// follow: a field or value past the value limit converts the hash, a new
// field goes last and converts it past the entries limit, and entries
// past the budget spill it.
func (h *hmodel) set(f, v string, entries, value, budget int) bool {
	if len(f) > value || len(v) > value {
		h.converted = true
	}
	i := h.index(f)
	if i >= 0 {
		h.values[i] = v
	} else {
		h.fields, h.values = append(h.fields, f), append(h.values, v)
		if len(h.fields) > entries {
			h.converted = true
		}
	}
	if h.converted || h.size() > budget {
		h.spilled = true
	}
	return i < 0
}

func (h *hmodel) del(f string) bool {
	i := h.index(f)
	if i < 0 {
		return false
	}
	h.fields = slices.Delete(h.fields, i, i+1)
	h.values = slices.Delete(h.values, i, i+1)
	if len(h.fields) == 0 {
		*h = hmodel{} // the key is gone; a new one starts over
	}
	return true
}

// order is the hash's entries in the order whole-hash reads answer:
// insertion order while a listpack, field order once converted.
func (h *hmodel) order() (fields, values []string) {
	fields, values = slices.Clone(h.fields), slices.Clone(h.values)
	if h.converted {
		idx := make([]int, len(fields))
		for i := range idx {
			idx[i] = i
		}
		slices.SortFunc(idx, func(a, b int) int { return strings.Compare(h.fields[a], h.fields[b]) })
		for i, j := range idx {
			fields[i], values[i] = h.fields[j], h.values[j]
		}
	}
	return fields, values
}

// TestHashInlineRandom runs seeded random writes on hashes that start
// inside their metadata record, spill to value records as their entries
// pass a small budget, are converted to hashtables by a long field or
// value or by too many fields, emptied, deleted, copied and rebuilt by
// RESTORE, and checks each against a model after every write: contents,
// the order whole-hash reads answer in, point reads, HSCAN, HRANDFIELD,
// the encoding, whether the hash is inline when the rules say it must be,
// and every 100 writes the store's consistency check (which verifies that
// an inline hash has no records).
func TestHashInlineRandom(t *testing.T) {
	const entries, value, budget = 10, 12, 60
	storage.SetHashInlineBytes(t, budget) // about 6 short entries
	db := openDB(t)
	db.SetHashLimits(entries, value)
	rng := rand.New(rand.NewPCG(7, 11))
	keys := []string{"a", "b", "c"}
	models := map[string]*hmodel{}
	for _, k := range keys {
		models[k] = &hmodel{}
	}
	field := func() string {
		if rng.IntN(80) == 0 {
			return "long-field-" + strconv.Itoa(rng.IntN(10)) // 12 bytes: at the limit
		}
		if rng.IntN(120) == 0 {
			return "longer-field-" + strconv.Itoa(rng.IntN(10)) // 14: past it
		}
		return fmt.Sprintf("f%02d", rng.IntN(14))
	}
	val := func() string {
		switch rng.IntN(40) {
		case 0:
			return strings.Repeat("v", 11+rng.IntN(4)) // 11-14 bytes, some past the limit
		case 1:
			return ""
		}
		return "v" + strconv.Itoa(rng.IntN(1000))
	}
	var seen struct{ inline, spilled, converted int }
	for op := 0; op < 5000; op++ {
		key := keys[rng.IntN(len(keys))]
		h := models[key]
		write(t, db, func(tx *storage.Tx) error {
			switch what := rng.IntN(20); {
			case what < 8:
				var pairs []string
				for i := rng.IntN(3); i >= 0; i-- {
					pairs = append(pairs, field(), val())
				}
				created := 0
				for i := 0; i < len(pairs); i += 2 {
					if h.set(pairs[i], pairs[i+1], entries, value, budget) {
						created++
					}
				}
				n, err := tx.HSet(0, []byte(key), bytesOf(pairs))
				if err == nil && n != int64(created) {
					t.Fatalf("op %d: HSET created %d fields, model %d", op, n, created)
				}
				return err
			case what == 8:
				f, v := field(), val()
				want := h.index(f) < 0
				if want {
					h.set(f, v, entries, value, budget)
				}
				ok, err := tx.HSetNX(0, []byte(key), []byte(f), []byte(v))
				if err == nil && ok != want {
					t.Fatalf("op %d: HSETNX %s = %v, model %v", op, f, ok, want)
				}
				return err
			case what == 9:
				by := int64(rng.IntN(2000) - 1000)
				cur := int64(0)
				if i := h.index("n"); i >= 0 {
					cur, _ = strconv.ParseInt(h.values[i], 10, 64)
				}
				h.set("n", strconv.FormatInt(cur+by, 10), entries, value, budget)
				got, err := tx.HIncrBy(0, []byte(key), []byte("n"), by)
				if err == nil && got != cur+by {
					t.Fatalf("op %d: HINCRBY = %d, model %d", op, got, cur+by)
				}
				return err
			case what == 10:
				cur := 0.0
				if i := h.index("fl"); i >= 0 {
					cur, _ = strconv.ParseFloat(h.values[i], 64)
				}
				sum := strconv.FormatFloat(cur+0.5, 'f', -1, 64)
				h.set("fl", sum, entries, value, budget)
				got, err := tx.HIncrByFloat(0, []byte(key), []byte("fl"), []byte("0.5"))
				if err == nil && string(got) != sum {
					t.Fatalf("op %d: HINCRBYFLOAT = %s, model %s", op, got, sum)
				}
				return err
			case what < 15:
				fs := []string{field(), field()}
				if rng.IntN(3) == 0 && len(h.fields) > 0 {
					fs[0] = h.fields[rng.IntN(len(h.fields))]
				}
				if rng.IntN(4) == 0 {
					fs = append(fs, "n", "fl")
				}
				want := int64(0)
				for _, f := range fs {
					if h.del(f) {
						want++
					}
				}
				n, err := tx.HDel(0, []byte(key), bytesOf(fs))
				if err == nil && n != want {
					t.Fatalf("op %d: HDEL removed %d, model %d", op, n, want)
				}
				return err
			case what == 15:
				*h = hmodel{}
				_, err := tx.Del(0, []byte(key))
				return err
			case what == 16 || what == 17:
				// RESTORE of another key's DUMP: a new hash built from the
				// entries in the order the dump lists them.
				src := keys[rng.IntN(len(keys))]
				o, err := tx.DumpObject(0, []byte(src))
				if err != nil || o == nil {
					return err
				}
				fields, values := models[src].order()
				*h = hmodel{}
				for i := range fields {
					h.set(fields[i], values[i], entries, value, budget)
				}
				_, _, err = tx.Restore(0, []byte(key), o, 0)
				return err
			case what == 18:
				// COPY from another key: the copy is in the source's state.
				src := keys[rng.IntN(len(keys))]
				m := models[src]
				if src == key || len(m.fields) == 0 {
					return nil // nothing to copy: the key stays
				}
				*h = hmodel{fields: slices.Clone(m.fields), values: slices.Clone(m.values), converted: m.converted, spilled: m.spilled}
				_, err := tx.Copy(0, []byte(src), 0, []byte(key), true)
				return err
			default:
				// Reads in a write transaction see the same as after it.
				return compareHash(t, tx, op, key, h, rng)
			}
		})
		read(t, db, func(tx *storage.Tx) error {
			if err := compareHash(t, tx, op, key, h, rng); err != nil {
				return err
			}
			inline, err := tx.HashInline(0, []byte(key))
			if err != nil {
				return err
			}
			switch {
			case len(h.fields) == 0:
			case inline == h.spilled:
				t.Fatalf("op %d: %s with %d entries (%d bytes): inline %v, model spilled %v", op, key, len(h.fields), h.size(), inline, h.spilled)
			case inline:
				seen.inline++
			case h.converted:
				seen.converted++
			default:
				seen.spilled++
			}
			return nil
		})
		if op%100 == 99 {
			checkStore(t, db, fmt.Sprintf("after op %d", op))
		}
	}
	t.Logf("states seen: %+v", seen)
	if seen.inline < 200 || seen.spilled < 200 || seen.converted < 200 {
		t.Fatalf("the run did not cover its cases: %+v", seen)
	}
}

// compareHash checks key's hash in tx against the model h.
func compareHash(t *testing.T, tx *storage.Tx, op int, key string, h *hmodel, rng *rand.Rand) error {
	t.Helper()
	k := []byte(key)
	fields, values := h.order()
	n, err := tx.HLen(0, k)
	if err != nil {
		return err
	}
	if n != int64(len(fields)) {
		t.Fatalf("op %d: HLEN %s = %d, model %d", op, key, n, len(fields))
	}
	// HGETALL, HKEYS, HVALS.
	it, err := tx.HIter(0, k)
	if err != nil {
		return err
	}
	var gotF, gotV []string
	for it.Next() {
		gotF, gotV = append(gotF, string(it.Member())), append(gotV, string(it.Value()))
	}
	if err := it.Close(); err != nil {
		return err
	}
	if it.Count != int64(len(fields)) || !slices.Equal(gotF, fields) || !slices.Equal(gotV, values) {
		t.Fatalf("op %d: HGETALL %s (count %d) = %q %q\nmodel %q %q (converted %v)", op, key, it.Count, gotF, gotV, fields, values, h.converted)
	}
	// Point reads of present and absent fields.
	probe := []string{"nope", "f00", "n"}
	if len(fields) > 0 {
		probe = append(probe, fields[rng.IntN(len(fields))], fields[len(fields)-1])
	}
	mget, err := tx.HMGet(0, k, bytesOf(probe))
	if err != nil {
		return err
	}
	for i, f := range probe {
		j := h.index(f)
		v, ok, err := tx.HGet(0, k, []byte(f))
		if err != nil {
			return err
		}
		ex, err := tx.HExists(0, k, []byte(f))
		if err != nil {
			return err
		}
		sl, err := tx.HStrLen(0, k, []byte(f))
		if err != nil {
			return err
		}
		switch {
		case ok != (j >= 0) || ex != ok || (mget[i] != nil) != ok:
			t.Fatalf("op %d: %s field %q: HGET found %v, HEXISTS %v, HMGET %q; model has it: %v", op, key, f, ok, ex, mget[i], j >= 0)
		case ok && (string(v) != h.values[j] || string(mget[i]) != h.values[j] || sl != int64(len(h.values[j]))):
			t.Fatalf("op %d: %s field %q: HGET %q, HMGET %q, HSTRLEN %d; model %q", op, key, f, v, mget[i], sl, h.values[j])
		}
	}
	// HSCAN: a listpack's whole, in order, in one page; a hashtable's
	// pages cover it.
	var scanF, scanV []string
	from := []byte(nil)
	for pages := 0; ; pages++ {
		res, err := tx.HScan(0, k, storage.ScanOptions{From: from, Count: 4})
		if err != nil {
			return err
		}
		for i := range res.Members {
			scanF, scanV = append(scanF, string(res.Members[i])), append(scanV, string(res.Values[i]))
		}
		if res.Next == nil {
			if !h.converted && pages > 0 {
				t.Fatalf("op %d: HSCAN of listpack %s took %d pages", op, key, pages+1)
			}
			break
		}
		from = res.Next
	}
	if !slices.Equal(scanF, fields) || !slices.Equal(scanV, values) {
		t.Fatalf("op %d: HSCAN %s = %q %q, model %q %q", op, key, scanF, scanV, fields, values)
	}
	// HRANDFIELD: a count past the size answers the whole in order; a few
	// distinct picks of a listpack come in insertion order; picks with
	// repeats pair each field with its value.
	rf, rv, err := tx.HRandField(0, k, int64(len(fields)+rng.IntN(3)), true, true)
	if err != nil {
		return err
	}
	if !slices.Equal(strs(rf), fields) || !slices.Equal(strs(rv), values) {
		t.Fatalf("op %d: HRANDFIELD %s %d = %q %q, model %q %q", op, key, len(fields), rf, rv, fields, values)
	}
	if len(fields) >= 3 {
		few := int64(1 + rng.IntN(len(fields)/3))
		rf, rv, err := tx.HRandField(0, k, few, true, true)
		if err != nil {
			return err
		}
		last := -1
		for i, f := range rf {
			j := h.index(string(f))
			if j < 0 || h.values[j] != string(rv[i]) || (!h.converted && j <= last) {
				t.Fatalf("op %d: HRANDFIELD %s %d = %q %q: unknown, repeated or out of order (model %q)", op, key, few, rf, rv, h.fields)
			}
			last = j
		}
		if int64(len(rf)) != few {
			t.Fatalf("op %d: HRANDFIELD %s %d gave %d", op, key, few, len(rf))
		}
	}
	rf, rv, err = tx.HRandField(0, k, 7, false, true)
	if err != nil {
		return err
	}
	if len(fields) > 0 && len(rf) != 7 {
		t.Fatalf("op %d: HRANDFIELD %s -7 gave %d", op, key, len(rf))
	}
	for i, f := range rf {
		if j := h.index(string(f)); j < 0 || h.values[j] != string(rv[i]) {
			t.Fatalf("op %d: HRANDFIELD %s -7: %q=%q not in the model", op, key, f, rv[i])
		}
	}
	enc, err := tx.HashEncoding(0, k)
	if err != nil {
		return err
	}
	want := map[bool]string{false: "listpack", true: "hashtable"}[h.converted]
	if len(fields) == 0 {
		want = ""
	}
	if enc != want {
		t.Fatalf("op %d: %s encoding %q, model %q", op, key, enc, want)
	}
	return nil
}

// TestHashInlineFollowsKey checks that an inline hash survives a restart,
// COPY, RENAME and MOVE like any other key, that a copy is independent of
// its source, and that DEL and expiry leave no records behind.
func TestHashInlineFollowsKey(t *testing.T) {
	dir := t.TempDir()
	db, err := storage.Open(storage.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	pairs := bs("name", "ada", "age", "36", "", "empty field", "bin\x00", "\xff\r\n")
	write(t, db, func(tx *storage.Tx) error {
		if _, err := tx.HSet(0, []byte("h"), pairs); err != nil {
			return err
		}
		if _, err := tx.HSet(0, []byte("gone"), bs("x", "1")); err != nil {
			return err
		}
		if _, err := tx.Expire(0, []byte("gone"), 1, storage.ExpireAlways); err != nil {
			return err
		}
		if _, err := tx.Copy(0, []byte("h"), 1, []byte("copy"), false); err != nil {
			return err
		}
		if _, err := tx.Rename(0, []byte("h"), []byte("moved"), false); err != nil {
			return err
		}
		if _, err := tx.HSet(0, []byte("m"), bs("k", "v")); err != nil {
			return err
		}
		_, err := tx.Move(0, []byte("m"), 2)
		return err
	})
	write(t, db, func(tx *storage.Tx) error {
		if _, err := tx.HDel(1, []byte("copy"), bs("age")); err != nil {
			return err
		}
		_, err := tx.HSet(1, []byte("copy"), bs("name", "grace"))
		return err
	})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = storage.Open(storage.Options{Dir: dir}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	all := func(tx *storage.Tx, dbn int, key string) []string {
		t.Helper()
		it, err := tx.HIter(dbn, []byte(key))
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for it.Next() {
			out = append(out, string(it.Member()), string(it.Value()))
		}
		if err := it.Close(); err != nil {
			t.Fatal(err)
		}
		return out
	}
	read(t, db, func(tx *storage.Tx) error {
		if got := all(tx, 0, "moved"); !slices.Equal(got, strs(pairs)) {
			t.Fatalf("renamed after a restart: %q", got)
		}
		if got := all(tx, 1, "copy"); !slices.Equal(got, []string{"name", "grace", "", "empty field", "bin\x00", "\xff\r\n"}) {
			t.Fatalf("copy after HDEL and HSET: %q", got)
		}
		if got := all(tx, 2, "m"); !slices.Equal(got, []string{"k", "v"}) {
			t.Fatalf("moved to db 2: %q", got)
		}
		for _, k := range []struct {
			db  int
			key string
		}{{0, "moved"}, {1, "copy"}, {2, "m"}} {
			inline, err := tx.HashInline(k.db, []byte(k.key))
			if err != nil {
				return err
			}
			if !inline {
				t.Fatalf("db %d %s is not inline", k.db, k.key)
			}
		}
		if n, err := tx.CountRecords('h'); err != nil || n != 0 {
			t.Fatalf("%d value records with only small hashes (%v)", n, err)
		}
		return nil
	})
	checkStore(t, db, "after the restart")
	write(t, db, func(tx *storage.Tx) error {
		if _, err := tx.Del(0, []byte("moved")); err != nil {
			return err
		}
		if _, err := tx.Del(1, []byte("copy")); err != nil {
			return err
		}
		ok, err := tx.Exists(0, []byte("gone"))
		if ok {
			t.Fatal("an expired hash is still there")
		}
		return err
	})
	read(t, db, func(tx *storage.Tx) error {
		if got := all(tx, 0, "moved"); got != nil {
			t.Fatalf("deleted hash reads %q", got)
		}
		return nil
	})
	checkStore(t, db, "at the end")
}

// TestHashSpillKeepsOrder grows a hash field by field past the inline
// budget in one HSET and in many, and checks that the spilled records
// keep the insertion order, including fields overwritten and re-added
// while inline.
func TestHashSpillKeepsOrder(t *testing.T) {
	db := openDB(t)
	var want []string
	write(t, db, func(tx *storage.Tx) error {
		if _, err := tx.HSet(0, []byte("h"), bs("z", "1", "y", "2", "x", "3")); err != nil {
			return err
		}
		if _, err := tx.HDel(0, []byte("h"), bs("z")); err != nil {
			return err
		}
		if _, err := tx.HSet(0, []byte("h"), bs("z", "4", "y", "5")); err != nil {
			return err
		}
		want = []string{"y", "5", "x", "3", "z", "4"}
		for i := 0; i < 60; i++ {
			f, v := fmt.Sprintf("field:%02d", 59-i), strings.Repeat("v", i%9)
			if _, err := tx.HSet(0, []byte("h"), bs(f, v)); err != nil {
				return err
			}
			want = append(want, f, v)
		}
		// One HSET that crosses the budget on its own.
		var pairs []string
		for i := 0; i < 80; i++ {
			pairs = append(pairs, fmt.Sprintf("g%02d", 79-i), "value")
		}
		_, err := tx.HSet(0, []byte("one"), bytesOf(pairs))
		return err
	})
	read(t, db, func(tx *storage.Tx) error {
		for key, want := range map[string][]string{"h": want} {
			inline, err := tx.HashInline(0, []byte(key))
			if err != nil || inline {
				t.Fatalf("%s inline %v (%v) past the budget", key, inline, err)
			}
			it, err := tx.HIter(0, []byte(key))
			if err != nil {
				return err
			}
			var got []string
			for it.Next() {
				got = append(got, string(it.Member()), string(it.Value()))
			}
			if err := it.Close(); err != nil {
				return err
			}
			if !slices.Equal(got, want) {
				t.Fatalf("%s after spilling:\n got %q\nwant %q", key, got, want)
			}
		}
		fields, _, err := tx.HRandField(0, []byte("one"), 100, true, false)
		if err != nil {
			return err
		}
		for i := 1; i < len(fields); i++ {
			if bytes.Compare(fields[i-1], fields[i]) <= 0 || len(fields) != 80 {
				t.Fatalf("one: %q not in insertion order", fields)
			}
		}
		return nil
	})
	checkStore(t, db, "after spilling")
}

// TestHashInlineCorrupt: an inline payload that does not decode (here cut
// short, with a count far past it) is an error for every reader and
// writer, not a panic or a wrong answer.
func TestHashInlineCorrupt(t *testing.T) {
	dir := t.TempDir()
	db, err := storage.Open(storage.Options{Dir: dir, Sync: storage.SyncNo})
	if err != nil {
		t.Fatal(err)
	}
	write(t, db, func(tx *storage.Tx) error {
		_, err := tx.HSet(0, []byte("h"), bs("a", "1", "bb", "22"))
		return err
	})
	m, err := meta(db.Pebble(), 0, "h")
	if err != nil {
		t.Fatal(err)
	}
	m.HEntries = m.HEntries[:len(m.HEntries)-1]
	m.Count = 1 << 60
	if err := db.Pebble().Set(codec.MetaKey(0, []byte("h")), codec.EncodeMeta(&m), pebble.Sync); err != nil {
		t.Fatal(err)
	}
	// Reopened, so that no cached copy of the record hides the damage.
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if db, err = storage.Open(storage.Options{Dir: dir, Sync: storage.SyncNo}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	tx := db.BeginWrite()
	defer tx.Discard()
	k := []byte("h")
	for name, fn := range map[string]func() error{
		"HGET bb": func() error { _, _, err := tx.HGet(0, k, []byte("bb")); return err },
		"HEXISTS": func() error { _, err := tx.HExists(0, k, []byte("x")); return err },
		"HSET":    func() error { _, err := tx.HSet(0, k, bs("x", "1")); return err },
		"HDEL":    func() error { _, err := tx.HDel(0, k, bs("x")); return err },
		"HRANDFIELD": func() error {
			_, _, err := tx.HRandField(0, k, 1, true, false)
			return err
		},
		"HSCAN": func() error { _, err := tx.HScan(0, k, storage.ScanOptions{Count: 10}); return err },
		"DUMP":  func() error { _, err := tx.DumpObject(0, k); return err },
		"HGETALL": func() error {
			it, err := tx.HIter(0, k)
			if err != nil {
				return err
			}
			for it.Next() {
			}
			return it.Close()
		},
	} {
		if err := fn(); err == nil {
			t.Errorf("%s of a corrupt inline hash: no error", name)
		}
	}
}
