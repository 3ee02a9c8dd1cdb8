package storage_test

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"moonstone/codec"
	"moonstone/storage"
)

func sid(ms, seq uint64) codec.StreamID { return codec.StreamID{Ms: ms, Seq: seq} }

var smallNodes = storage.StreamNodeLimits{MaxEntries: 5, MaxBytes: 4096}

func xadd(t *testing.T, tx *storage.Tx, key string, id codec.StreamID, trim storage.StreamTrim, fv ...string) error {
	t.Helper()
	a := &storage.XAddArgs{ID: id, IDGiven: true, SeqGiven: true, Trim: trim, Nodes: smallNodes}
	for _, s := range fv {
		a.Fields = append(a.Fields, []byte(s))
	}
	_, _, err := tx.XAdd(0, []byte(key), a)
	return err
}

// TestStreamModel runs random XADD (with exact trimming), XDEL and XTRIM
// against an in-memory model: ranges, lengths and first ids must agree,
// and the store's consistency check must stay clean.
func TestStreamModel(t *testing.T) {
	db := openDB(t)
	rng := rand.New(rand.NewPCG(3, 4))
	var model []codec.StreamID
	var next uint64 = 1
	for i := 0; i < 2000; i++ {
		write(t, db, func(tx *storage.Tx) error {
			switch rng.IntN(6) {
			case 0, 1, 2:
				id := sid(next, uint64(rng.IntN(2)))
				next += uint64(rng.IntN(3)) + 1
				var trim storage.StreamTrim
				if rng.IntN(5) == 0 {
					trim = storage.StreamTrim{Strategy: storage.TrimMaxLen, MaxLen: int64(rng.IntN(30))}
				}
				if err := xadd(t, tx, "s", id, trim, "f", fmt.Sprint(i)); err != nil {
					return err
				}
				model = append(model, id)
				if trim.Strategy != storage.TrimNone && int64(len(model)) > trim.MaxLen {
					model = model[int64(len(model))-trim.MaxLen:]
				}
			case 3:
				if len(model) == 0 {
					return nil
				}
				j := rng.IntN(len(model))
				n, err := tx.XDel(0, []byte("s"), []codec.StreamID{model[j], sid(next+5, 0)})
				if err != nil {
					return err
				}
				if n != 1 {
					return fmt.Errorf("XDEL deleted %d, want 1", n)
				}
				model = append(model[:j:j], model[j+1:]...)
			case 4:
				if len(model) == 0 {
					return nil
				}
				min := model[rng.IntN(len(model))]
				n, err := tx.XTrim(0, []byte("s"), &storage.StreamTrim{Strategy: storage.TrimMinID, MinID: min})
				if err != nil {
					return err
				}
				k := 0
				for k < len(model) && model[k].Compare(min) < 0 {
					k++
				}
				if int64(k) != n {
					return fmt.Errorf("XTRIM MINID %s trimmed %d, want %d", min, n, k)
				}
				model = model[k:]
			case 5:
				n, err := tx.XLen(0, []byte("s"))
				if err != nil {
					return err
				}
				if n != int64(len(model)) {
					return fmt.Errorf("XLEN %d, model %d", n, len(model))
				}
			}
			return nil
		})
	}
	read(t, db, func(tx *storage.Tx) error {
		es, err := tx.XRange(0, []byte("s"), codec.StreamID{}, codec.MaxStreamID, 0, false)
		if err != nil {
			return err
		}
		if len(es) != len(model) {
			return fmt.Errorf("XRANGE has %d entries, model %d", len(es), len(model))
		}
		for i := range es {
			if es[i].ID != model[i] {
				return fmt.Errorf("entry %d is %s, model %s", i, es[i].ID, model[i])
			}
		}
		info, err := tx.XInfoStream(0, []byte("s"))
		if err != nil {
			return err
		}
		if len(model) > 0 && info.State.FirstID != model[0] {
			return fmt.Errorf("recorded first id %s, model %s", info.State.FirstID, model[0])
		}
		return nil
	})
	checkStore(t, db, "after the stream operations")
}

// TestStreamGroupsSurviveRestart: entries, counters, groups, consumers and
// pending entries are on disk.
func TestStreamGroupsSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	db, err := storage.Open(storage.Options{Dir: dir, Sync: storage.SyncAlways})
	if err != nil {
		t.Fatal(err)
	}
	key, g := []byte("s"), []byte("g")
	write(t, db, func(tx *storage.Tx) error {
		for i := uint64(1); i <= 10; i++ {
			if err := xadd(t, tx, "s", sid(i, 0), storage.StreamTrim{}, "k", fmt.Sprint(i)); err != nil {
				return err
			}
		}
		if _, err := tx.XDel(0, key, []codec.StreamID{sid(10, 0)}); err != nil {
			return err
		}
		if err := tx.XGroupCreate(0, key, g, codec.StreamID{}, false, false, -1); err != nil {
			return err
		}
		if _, err := tx.XReadGroup(0, key, &storage.XReadGroupArgs{Group: g, Consumer: []byte("alice"), Count: 4}); err != nil {
			return err
		}
		_, err := tx.XReadGroup(0, key, &storage.XReadGroupArgs{Group: g, Consumer: []byte("bob"), After: sid(4, 0), Count: 2})
		return err
	})
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err = storage.Open(storage.Options{Dir: dir, Sync: storage.SyncAlways})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	read(t, db, func(tx *storage.Tx) error {
		n, err := tx.XLen(0, key)
		if err != nil || n != 9 {
			return fmt.Errorf("XLEN %d %v, want 9", n, err)
		}
		ps, err := tx.XPendingSummary(0, key, g)
		if err != nil {
			return err
		}
		if ps.Count != 6 || ps.Min != sid(1, 0) || ps.Max != sid(6, 0) || len(ps.Consumers) != 2 ||
			ps.Consumers[0].Count != 4 || ps.Consumers[1].Count != 2 {
			return fmt.Errorf("pending summary after restart: %+v", ps)
		}
		gs, err := tx.XInfoGroups(0, key)
		if err != nil {
			return err
		}
		// The XDEL before the reads makes the read counter unknowable, as in Redis.
		if len(gs) != 1 || gs[0].LastID != sid(6, 0) || gs[0].EntriesRead != -1 || gs[0].LagKnown || gs[0].Consumers != 2 {
			return fmt.Errorf("groups after restart: %+v", gs)
		}
		ss, err := tx.XInfoStream(0, key)
		if err != nil {
			return err
		}
		if ss.State.LastID != sid(10, 0) || ss.State.MaxDeleted != sid(10, 0) || ss.State.EntriesAdded != 10 {
			return fmt.Errorf("stream counters after restart: %+v", ss.State)
		}
		return nil
	})
	checkStore(t, db, "after the stream operations")
}

// TestStreamDeleteRemovesEveryRecord: DEL of a small and of a large stream
// with groups leaves no entry, node, group, PEL or consumer record.
func TestStreamDeleteRemovesEveryRecord(t *testing.T) {
	for _, n := range []uint64{10, 500} {
		db := openDB(t)
		key, g := []byte("s"), []byte("g")
		write(t, db, func(tx *storage.Tx) error {
			for i := uint64(1); i <= n; i++ {
				if err := xadd(t, tx, "s", sid(i, 0), storage.StreamTrim{}, "k", "v"); err != nil {
					return err
				}
			}
			if err := tx.XGroupCreate(0, key, g, codec.StreamID{}, false, false, -1); err != nil {
				return err
			}
			_, err := tx.XReadGroup(0, key, &storage.XReadGroupArgs{Group: g, Consumer: []byte("c")})
			return err
		})
		checkStore(t, db, "after the stream operations")
		write(t, db, func(tx *storage.Tx) error {
			_, err := tx.Del(0, key)
			return err
		})
		read(t, db, func(tx *storage.Tx) error {
			for _, tag := range []byte{codec.TagStreamEntry, codec.TagStreamAux} {
				c, err := tx.CountRecords(tag)
				if err != nil {
					return err
				}
				if c != 0 {
					return fmt.Errorf("%d-entry stream: %d records under %q after DEL", n, c, tag)
				}
			}
			return nil
		})
	}
}

func TestStreamIDParsing(t *testing.T) {
	for _, c := range []struct {
		in       string
		strict   bool
		star     bool
		id       codec.StreamID
		seqGiven bool
		ok       bool
	}{
		{"1-2", true, false, sid(1, 2), true, true},
		{"5", true, false, sid(5, 7), true, true},
		{"-", false, false, sid(0, 0), true, true},
		{"+", false, false, codec.MaxStreamID, true, true},
		{"-", true, false, codec.StreamID{}, false, false},
		{"3-*", true, true, sid(3, 0), false, true},
		{"3-*", true, false, codec.StreamID{}, false, false},
		{"+5", true, false, sid(5, 7), true, true},
		{" 5", true, false, sid(5, 7), true, true},
		{"-1", true, false, codec.StreamID{}, false, false},
		{"18446744073709551615-18446744073709551615", true, false, codec.MaxStreamID, true, true},
		{"18446744073709551616", true, false, codec.StreamID{}, false, false},
		{"1-2-3", true, false, codec.StreamID{}, false, false},
		{"", true, false, codec.StreamID{}, false, false},
		{"x", true, false, codec.StreamID{}, false, false},
	} {
		id, seqGiven, ok := codec.ParseStreamID([]byte(c.in), 7, c.strict, c.star)
		if ok != c.ok || ok && (id != c.id || seqGiven != c.seqGiven) {
			t.Errorf("ParseStreamID(%q) = %v %v %v, want %v %v %v", c.in, id, seqGiven, ok, c.id, c.seqGiven, c.ok)
		}
	}
}

// TestStreamGroupRecordsStayConsistent runs random group operations and
// then the store's check: pending counts, the per-consumer index, the
// first pending id and consumer counts must agree with the records.
func TestStreamGroupRecordsStayConsistent(t *testing.T) {
	db := openDB(t)
	rng := rand.New(rand.NewPCG(8, 9))
	key, g := []byte("s"), []byte("g")
	consumers := [][]byte{[]byte("a"), []byte("b"), []byte("c")}
	var top uint64
	anyID := func() codec.StreamID { return sid(rng.Uint64N(top+2), 0) }
	write(t, db, func(tx *storage.Tx) error {
		return tx.XGroupCreate(0, key, g, codec.StreamID{}, false, true, -1)
	})
	for i := 0; i < 3000; i++ {
		write(t, db, func(tx *storage.Tx) error {
			c := consumers[rng.IntN(3)]
			var err error
			switch rng.IntN(10) {
			case 0, 1, 2:
				top++
				err = xadd(t, tx, "s", sid(top, 0), storage.StreamTrim{}, "f", "v")
			case 3, 4:
				_, err = tx.XReadGroup(0, key, &storage.XReadGroupArgs{Group: g, Consumer: c, After: codec.MaxStreamID, Count: 3})
				if err == nil {
					info, _ := tx.XStreamInfo(0, key, g)
					_, err = tx.XReadGroup(0, key, &storage.XReadGroupArgs{Group: g, Consumer: c, After: info.GroupLastID, Count: 3})
				}
			case 5:
				_, err = tx.XAck(0, key, g, []codec.StreamID{anyID(), anyID(), anyID()})
			case 6:
				_, err = tx.XClaim(0, key, g, &storage.XClaimArgs{Consumer: c, IDs: []codec.StreamID{anyID()}, DeliveryTime: -1, RetryCount: -1, Force: rng.IntN(2) == 0})
			case 7:
				_, _, _, err = tx.XAutoClaim(0, key, g, c, 0, anyID(), int64(rng.IntN(3)+1), rng.IntN(2) == 0)
			case 8:
				_, err = tx.XDel(0, key, []codec.StreamID{anyID()})
			case 9:
				if rng.IntN(5) == 0 {
					_, _, err = tx.XGroupDelConsumer(0, key, g, c)
				} else {
					err = tx.XGroupSetID(0, key, g, anyID(), false, -1)
				}
			}
			return err
		})
		if i%500 == 0 {
			checkStore(t, db, "after the stream operations")
		}
	}
	checkStore(t, db, "after the stream operations")
	read(t, db, func(tx *storage.Tx) error {
		ps, err := tx.XPendingSummary(0, key, g)
		if err == nil && (ps.Count == 0 || len(ps.Consumers) == 0) {
			err = fmt.Errorf("the mix left nothing pending (%+v): it tests too little", ps)
		}
		t.Logf("pending at the end: %d, first %s, last %s", ps.Count, ps.Min, ps.Max)
		return err
	})
}
