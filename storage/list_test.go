package storage_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"moonstone/codec"
	"moonstone/storage"
)

// listModel is the obvious in-memory implementation of a few lists, which
// the on-disk one must agree with after every operation.
type listModel map[string][]string

func (m listModel) norm(start, stop int64, n int) (int, int) {
	if start < 0 {
		start += int64(n)
	}
	if stop < 0 {
		stop += int64(n)
	}
	start = max(start, 0)
	if start > stop || start >= int64(n) {
		return 0, 0
	}
	return int(start), int(min(stop, int64(n)-1)) + 1
}

func (m listModel) put(k string, l []string) {
	if len(l) == 0 {
		delete(m, k)
		return
	}
	m[k] = l
}

func strs(b [][]byte) []string {
	out := make([]string, len(b))
	for i, v := range b {
		out[i] = string(v)
	}
	return out
}

func bytesOf(s []string) [][]byte {
	out := make([][]byte, len(s))
	for i, v := range s {
		out[i] = []byte(v)
	}
	return out
}

// TestListOperationsKeepLayout applies a seeded random sequence of list
// operations to storage and to listModel, compares every result, and after
// each commit checks the on-disk layout: each list's records sit exactly at
// positions [Head, Tail), Count is Tail-Head, and no record is left behind
// by a list that shrank or was deleted; an inline list has no records. It
// runs with lists never inline, inline as by default (the elements are
// short, so a list spills only past a few hundred), and spilling past 24
// bytes, so that many operations meet a list that spills, and pops that
// move a list of records back inline.
func TestListOperationsKeepLayout(t *testing.T) {
	for _, limit := range []int{0, 512, 24} {
		t.Run(fmt.Sprint("inline ", limit), func(t *testing.T) {
			storage.SetListInlineBytes(t, limit)
			inline, records, shrunk := listOperationsKeepLayout(t)
			// Each limit must meet the layouts it is there for.
			if limit == 0 && inline > 0 || limit == 24 && (inline == 0 || records == 0 || shrunk == 0) ||
				limit == 512 && inline == 0 {
				t.Fatalf("lists seen inline %d times, as records %d times, back inline %d times", inline, records, shrunk)
			}
		})
	}
}

// listOperationsKeepLayout runs the sequence; it returns how many times a
// layout check met an inline list and a list of records, and how many
// times a list of records was found inline at the next check.
func listOperationsKeepLayout(t *testing.T) (inline, records, shrunk int) {
	db, err := storage.Open(storage.Options{Dir: t.TempDir(), Sync: storage.SyncNo})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	model := listModel{}
	keys := []string{"a", "b", "c"}
	vals := []string{"x", "y", "z", ""}
	rng := rand.New(rand.NewPCG(1, 99))
	wasInline := map[string]bool{}
	for step := 0; step < 3000; step++ {
		tx := db.BeginWrite()
		k := keys[rng.IntN(len(keys))]
		key := []byte(k)
		v := vals[rng.IntN(len(vals))]
		cur := model[k]
		n := len(cur)
		var desc string
		check := func(got, want any) {
			t.Helper()
			if fmt.Sprint(got) != fmt.Sprint(want) {
				tx.Discard()
				t.Fatalf("step %d %s on %s=%q: got %v, want %v", step, desc, k, cur, got, want)
			}
		}
		must := func(err error) {
			t.Helper()
			if err != nil {
				tx.Discard()
				t.Fatalf("step %d %s: %v", step, desc, err)
			}
		}
		switch op := rng.IntN(12); op {
		case 0, 1: // push several, often enough to cross smallCollection
			count := 1 + rng.IntN(3)
			if rng.IntN(10) == 0 {
				count = 70 + rng.IntN(30)
			}
			var add []string
			for i := 0; i < count; i++ {
				add = append(add, vals[rng.IntN(len(vals))])
			}
			end := storage.ListEnd(rng.IntN(2))
			desc = fmt.Sprint("push ", end, add)
			got, err := tx.ListPush(0, key, end, bytesOf(add), false)
			must(err)
			l := slices.Clone(cur)
			for _, a := range add {
				if end == storage.ListLeft {
					l = append([]string{a}, l...)
				} else {
					l = append(l, a)
				}
			}
			check(got, len(l))
			model.put(k, l)
		case 2: // pop
			end := storage.ListEnd(rng.IntN(2))
			count := int64(rng.IntN(4))
			if rng.IntN(8) == 0 {
				count = 80
			}
			desc = fmt.Sprint("pop ", end, count)
			got, ok, err := tx.ListPop(0, key, end, count)
			must(err)
			check(ok, n > 0)
			c := min(int(count), n)
			var want []string
			l := slices.Clone(cur)
			if end == storage.ListLeft {
				want, l = l[:c], l[c:]
			} else {
				want = slices.Clone(l[n-c:])
				slices.Reverse(want)
				l = l[:n-c]
			}
			check(strs(got), want)
			model.put(k, l)
		case 3: // range
			start, stop := int64(rng.IntN(12)-6), int64(rng.IntN(12)-6)
			desc = fmt.Sprint("range ", start, stop)
			got, err := tx.ListRange(0, key, start, stop)
			must(err)
			from, to := model.norm(start, stop, n)
			check(strs(got), cur[from:to])
		case 4: // index and set
			i := int64(rng.IntN(12) - 6)
			desc = fmt.Sprint("index/set ", i, v)
			got, ok, err := tx.ListIndex(0, key, i)
			must(err)
			j := i
			if j < 0 {
				j += int64(n)
			}
			inRange := j >= 0 && j < int64(n)
			check(ok, inRange)
			err = tx.ListSet(0, key, i, []byte(v))
			switch {
			case n == 0:
				check(err, storage.ErrNoSuchKey)
			case !inRange:
				check(err, storage.ErrIndexRange)
			default:
				must(err)
				check(string(got), cur[j])
				l := slices.Clone(cur)
				l[j] = v
				model.put(k, l)
			}
		case 5: // insert
			pivot := vals[rng.IntN(len(vals))]
			after := rng.IntN(2) == 0
			desc = fmt.Sprint("insert ", after, pivot, v)
			got, err := tx.ListInsert(0, key, after, []byte(pivot), []byte(v))
			must(err)
			i := slices.Index(cur, pivot)
			switch {
			case n == 0:
				check(got, 0)
			case i < 0:
				check(got, -1)
			default:
				if after {
					i++
				}
				l := slices.Insert(slices.Clone(cur), i, v)
				check(got, len(l))
				model.put(k, l)
			}
		case 6: // remove
			count := int64(rng.IntN(7) - 3)
			desc = fmt.Sprint("rem ", count, v)
			got, err := tx.ListRem(0, key, count, []byte(v))
			must(err)
			l := slices.Clone(cur)
			removed := 0
			if count >= 0 {
				for i := 0; i < len(l); {
					if l[i] == v && (count == 0 || removed < int(count)) {
						l = slices.Delete(l, i, i+1)
						removed++
						continue
					}
					i++
				}
			} else {
				for i := len(l) - 1; i >= 0; i-- {
					if l[i] == v && removed < int(-count) {
						l = slices.Delete(l, i, i+1)
						removed++
					}
				}
			}
			check(got, removed)
			model.put(k, l)
		case 7: // trim
			start, stop := int64(rng.IntN(10)-3), int64(rng.IntN(12)-4)
			desc = fmt.Sprint("trim ", start, stop)
			must(tx.ListTrim(0, key, start, stop))
			from, to := model.norm(start, stop, n)
			model.put(k, slices.Clone(cur[from:to]))
		case 8: // pos
			rank := int64(rng.IntN(5) - 2)
			if rank == 0 {
				rank = 1
			}
			o := storage.ListPosOptions{Rank: rank, Limit: int64(rng.IntN(3)), MaxLen: int64(rng.IntN(6))}
			desc = fmt.Sprintf("pos %q %+v", v, o)
			got, err := tx.ListPos(0, key, []byte(v), o)
			must(err)
			var want []int64
			matches, seen := int64(0), int64(0)
			for s := 0; s < n; s++ {
				i := s
				if rank < 0 {
					i = n - 1 - s
				}
				if o.MaxLen != 0 && seen >= o.MaxLen {
					break
				}
				seen++
				if cur[i] == v {
					matches++
					if matches >= max(rank, -rank) {
						want = append(want, int64(i))
						if o.Limit != 0 && int64(len(want)) >= o.Limit {
							break
						}
					}
				}
			}
			check(got, want)
		case 9: // move
			dk := keys[rng.IntN(len(keys))]
			from, to := storage.ListEnd(rng.IntN(2)), storage.ListEnd(rng.IntN(2))
			desc = fmt.Sprint("move to ", dk, from, to)
			got, ok, err := tx.ListMove(0, key, []byte(dk), from, to)
			must(err)
			check(ok, n > 0)
			if n > 0 {
				src := slices.Clone(cur)
				var e string
				if from == storage.ListLeft {
					e, src = src[0], src[1:]
				} else {
					e, src = src[n-1], src[:n-1]
				}
				check(string(got), e)
				model.put(k, src)
				dst := slices.Clone(model[dk])
				if to == storage.ListLeft {
					dst = append([]string{e}, dst...)
				} else {
					dst = append(dst, e)
				}
				model.put(dk, dst)
			}
		case 10: // mpop
			other := keys[rng.IntN(len(keys))]
			end := storage.ListEnd(rng.IntN(2))
			count := int64(1 + rng.IntN(3))
			desc = fmt.Sprint("mpop ", k, other, end, count)
			gotKey, got, err := tx.ListMPop(0, [][]byte{key, []byte(other)}, end, count)
			must(err)
			wantKey := ""
			for _, c := range []string{k, other} {
				if len(model[c]) > 0 {
					wantKey = c
					break
				}
			}
			check(string(gotKey), wantKey)
			if wantKey != "" {
				l := slices.Clone(model[wantKey])
				c := min(int(count), len(l))
				var want []string
				if end == storage.ListLeft {
					want, l = l[:c], l[c:]
				} else {
					want = slices.Clone(l[len(l)-c:])
					slices.Reverse(want)
					l = l[:len(l)-c]
				}
				check(strs(got), want)
				model.put(wantKey, l)
			}
		case 11: // pushx
			desc = "pushx " + v
			got, err := tx.ListPush(0, key, storage.ListRight, [][]byte{[]byte(v)}, true)
			must(err)
			if n == 0 {
				check(got, 0)
			} else {
				check(got, n+1)
				model.put(k, append(slices.Clone(cur), v))
			}
		}
		if _, err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
		i, r, isInline := checkLayout(t, db, model, keys, step)
		inline, records = inline+i, records+r
		for k, now := range isInline {
			if was, ok := wasInline[k]; ok && !was && now {
				shrunk++
			}
		}
		wasInline = isInline
	}
	return inline, records, shrunk
}

// checkLayout verifies every list against the model and the on-disk layout
// rules, and counts the lists it found inline and as records; isInline
// tells, for each list that is not empty, whether it is inline.
func checkLayout(t *testing.T, db *storage.DB, model listModel, keys []string, step int) (inlineLists, recordLists int, isInline map[string]bool) {
	t.Helper()
	tx := db.BeginRead()
	defer tx.Close()
	total, inlined := 0, 0
	isInline = map[string]bool{}
	for _, k := range keys {
		head, tail, count, inline, positions, err := tx.ListLayout(0, []byte(k))
		if err != nil {
			t.Fatal(err)
		}
		want := model[k]
		if inline {
			if head != 0 || len(positions) != 0 {
				t.Fatalf("step %d: inline list %s: head %d, %d records", step, k, head, len(positions))
			}
			positions = make([]int64, count) // what the checks below expect
			for i := range positions {
				positions[i] = int64(i)
			}
		}
		if count != tail-head || count != int64(len(want)) || int64(len(positions)) != count {
			t.Fatalf("step %d: list %s: head %d tail %d count %d, %d records, model has %d",
				step, k, head, tail, count, len(positions), len(want))
		}
		for i, p := range positions {
			if p != head+int64(i) {
				t.Fatalf("step %d: list %s: record %d at position %d, want %d", step, k, i, p, head+int64(i))
			}
		}
		got, err := tx.ListRange(0, []byte(k), 0, -1)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.EqualFunc(got, want, func(a []byte, b string) bool { return bytes.Equal(a, []byte(b)) }) {
			t.Fatalf("step %d: list %s is %q, model %q", step, k, strs(got), want)
		}
		total += len(want)
		if inline {
			inlined += len(want)
			inlineLists++
		} else if count > 0 {
			recordLists++
		}
		if count > 0 {
			isInline[k] = inline
		}
	}
	n, err := tx.CountRecords(codec.TagList)
	if err != nil {
		t.Fatal(err)
	}
	if n != total-inlined {
		t.Fatalf("step %d: %d list records on disk, %d elements in lists, %d of them inline", step, n, total, inlined)
	}
	return inlineLists, recordLists, isInline
}

// TestListWrongType checks that every list operation refuses a key of
// another type and leaves it alone.
func TestListWrongType(t *testing.T) {
	db, err := storage.Open(storage.Options{Dir: t.TempDir(), Sync: storage.SyncNo})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tx := db.BeginWrite()
	defer tx.Discard()
	key := []byte("s")
	if _, err := tx.Set(0, key, []byte("v"), storage.SetOptions{}); err != nil {
		t.Fatal(err)
	}
	ops := map[string]func() error{
		"push":  func() error { _, err := tx.ListPush(0, key, storage.ListLeft, [][]byte{key}, false); return err },
		"pushx": func() error { _, err := tx.ListPush(0, key, storage.ListLeft, [][]byte{key}, true); return err },
		"pop":   func() error { _, _, err := tx.ListPop(0, key, storage.ListLeft, 1); return err },
		"mpop": func() error {
			_, _, err := tx.ListMPop(0, [][]byte{[]byte("none"), key}, storage.ListLeft, 1)
			return err
		},
		"len":    func() error { _, err := tx.ListLen(0, key); return err },
		"range":  func() error { _, err := tx.ListRange(0, key, 0, -1); return err },
		"index":  func() error { _, _, err := tx.ListIndex(0, key, 0); return err },
		"set":    func() error { return tx.ListSet(0, key, 0, key) },
		"insert": func() error { _, err := tx.ListInsert(0, key, true, key, key); return err },
		"rem":    func() error { _, err := tx.ListRem(0, key, 0, key); return err },
		"trim":   func() error { return tx.ListTrim(0, key, 0, -1) },
		"pos":    func() error { _, err := tx.ListPos(0, key, key, storage.ListPosOptions{Rank: 1}); return err },
		"move": func() error {
			_, _, err := tx.ListMove(0, key, []byte("d"), storage.ListLeft, storage.ListLeft)
			return err
		},
		"moveto": func() error {
			if _, err := tx.ListPush(0, []byte("src"), storage.ListLeft, [][]byte{key}, false); err != nil {
				return err
			}
			_, _, err := tx.ListMove(0, []byte("src"), key, storage.ListLeft, storage.ListLeft)
			return err
		},
	}
	for name, op := range ops {
		if err := op(); err != storage.ErrWrongType {
			t.Errorf("%s: got %v, want WRONGTYPE", name, err)
		}
	}
	if v, ok, err := tx.Get(0, key); err != nil || !ok || string(v) != "v" {
		t.Errorf("string changed: %q %v %v", v, ok, err)
	}
	if n, err := tx.ListLen(0, []byte("src")); err != nil || n != 1 {
		t.Errorf("LMOVE to a wrong-type key changed its source: len %d, %v", n, err)
	}
}
