package storage_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"

	"moonstone/storage"
)

// Write transactions read metadata through the row cache. This drives a
// store with a cache small enough to turn its generations over every few
// transactions through random writes, renames, deletions, long values,
// expiries, flushes and discarded transactions, and checks every read
// against a model of what committed, in the transaction (its own writes on
// top) and afterwards on a snapshot.
func TestRowCacheAgreesWithCommittedState(t *testing.T) {
	for _, budget := range []int64{4 << 10, 1 << 20} {
		t.Run(fmt.Sprint(budget), func(t *testing.T) {
			db, err := storage.Open(storage.Options{Dir: t.TempDir(), Sync: storage.SyncNo, RowCacheSize: budget})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			rowCacheModel(t, db, rand.New(rand.NewPCG(uint64(budget), 7)))
		})
	}
}

func rowCacheModel(t *testing.T, db *storage.DB, rng *rand.Rand) {
	committed := map[string]string{}
	key := func() string { return fmt.Sprint("k", rng.IntN(40)) }
	var tx *storage.Tx
	// A failure leaves the write lock to Discard, not to Close.
	defer func() { tx.Discard() }()
	for round := 0; round < 3000; round++ {
		tx = db.BeginWrite()
		view := map[string]string{}
		for k, v := range committed {
			view[k] = v
		}
		check := func(k string) {
			v, ok, err := tx.Get(0, []byte(k))
			if err != nil {
				t.Fatalf("round %d: GET %s: %v", round, k, err)
			}
			want, wantOK := view[k]
			if ok != wantOK || string(v) != want {
				t.Fatalf("round %d: GET %s = %q %v in the transaction, want %q %v", round, k, v, ok, want, wantOK)
			}
		}
		for op := rng.IntN(6); op >= 0; op-- {
			k := key()
			switch rng.IntN(9) {
			case 0, 1:
				check(k)
			case 2:
				v := fmt.Sprint(rng.IntN(1000))
				if _, err := tx.Set(0, []byte(k), []byte(v), storage.SetOptions{}); err != nil {
					t.Fatal(err)
				}
				view[k] = v
			case 3:
				if _, err := tx.IncrBy(0, []byte(k), 3); err != nil {
					// Not an integer (a long value): leave it.
					continue
				}
				var n int
				fmt.Sscan(view[k], &n)
				view[k] = fmt.Sprint(n + 3)
			case 4:
				if _, err := tx.Del(0, []byte(k)); err != nil {
					t.Fatal(err)
				}
				delete(view, k)
			case 5:
				// Past the cache's value bound.
				v := bytes.Repeat([]byte{'x'}, 5000+rng.IntN(100))
				if _, err := tx.Set(0, []byte(k), v, storage.SetOptions{}); err != nil {
					t.Fatal(err)
				}
				view[k] = string(v)
			case 6:
				dst := key()
				if _, ok := view[k]; !ok || dst == k {
					continue
				}
				if _, err := tx.Rename(0, []byte(k), []byte(dst), false); err != nil {
					t.Fatal(err)
				}
				view[dst] = view[k]
				delete(view, k)
			case 7:
				// An expiry in the past deletes the key.
				if ok, err := tx.Expire(0, []byte(k), 1, storage.ExpireAlways); err != nil {
					t.Fatal(err)
				} else if _, had := view[k]; ok != had {
					t.Fatalf("round %d: EXPIRE %s = %v, key present %v", round, k, ok, had)
				}
				delete(view, k)
			case 8:
				if rng.IntN(300) == 0 {
					// A batch big enough that Pebble applies it as a
					// flushable batch and takes its contents over.
					v := bytes.Repeat([]byte{'y'}, 5<<20)
					if _, err := tx.Set(0, []byte(k), v, storage.SetOptions{}); err != nil {
						t.Fatal(err)
					}
					view[k] = string(v)
				} else if rng.IntN(20) == 0 {
					if err := tx.FlushDB(0); err != nil {
						t.Fatal(err)
					}
					view = map[string]string{}
				}
			}
			check(k)
		}
		if rng.IntN(4) == 0 {
			tx.Discard()
		} else {
			if _, err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			committed = view
		}
		// A snapshot (which never uses the cache) agrees too.
		if round%50 == 0 {
			rtx := db.BeginRead()
			for i := 0; i < 40; i++ {
				k := fmt.Sprint("k", i)
				v, ok, err := rtx.Get(0, []byte(k))
				if want, wantOK := committed[k]; err != nil || ok != wantOK || string(v) != want {
					t.Fatalf("round %d: snapshot GET %s = %q %v %v, want %q %v", round, k, v, ok, err, want, wantOK)
				}
			}
			rtx.Close()
		}
	}
}

// Point reads run without a snapshot, holding commits off, and read through
// the row cache that commits update. Readers that sum ten balances while
// writers move money between them must always see the same total, whether
// the cache holds the records, has just turned a generation over, or not.
func TestPointReadsSeeWholeCommits(t *testing.T) {
	for _, budget := range []int64{-1, 4 << 10, 1 << 20} {
		t.Run(fmt.Sprint(budget), func(t *testing.T) {
			db, err := storage.Open(storage.Options{Dir: t.TempDir(), Sync: storage.SyncNo, RowCacheSize: budget})
			if err != nil {
				t.Fatal(err)
			}
			defer db.Close()
			const accounts, each = 10, 1000
			key := func(i int) []byte { return []byte(fmt.Sprint("acct", i)) }
			tx := db.BeginWrite()
			for i := 0; i < accounts; i++ {
				if _, err := tx.Set(0, key(i), []byte(fmt.Sprint(each)), storage.SetOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			if _, err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			done := make(chan struct{})
			writerErr := make(chan error, 1)
			go func() {
				rng := rand.New(rand.NewPCG(1, 2))
				defer close(writerErr)
				for {
					select {
					case <-done:
						return
					default:
					}
					tx := db.BeginWrite()
					a, b := rng.IntN(accounts), rng.IntN(accounts)
					// Padding keys churn the cache's generations.
					tx.Set(0, []byte(fmt.Sprint("pad", rng.IntN(500))), []byte("x"), storage.SetOptions{})
					if _, err := tx.IncrBy(0, key(a), -7); err != nil {
						writerErr <- err
						tx.Discard()
						return
					}
					if _, err := tx.IncrBy(0, key(b), 7); err != nil {
						writerErr <- err
						tx.Discard()
						return
					}
					if rng.IntN(5) == 0 {
						tx.Discard()
					} else if _, err := tx.Commit(); err != nil {
						writerErr <- err
						return
					}
				}
			}()
			rng := rand.New(rand.NewPCG(3, 4))
			for n := 0; n < 20000; n++ {
				tx := db.BeginPointRead()
				sum := 0
				for i := 0; i < accounts; i++ {
					// Unrelated reads in between fill the cache too.
					tx.Get(0, []byte(fmt.Sprint("pad", rng.IntN(500))))
					v, ok, err := tx.Get(0, key(i))
					if err != nil || !ok {
						tx.Close()
						close(done)
						t.Fatalf("read %d: acct%d = %q %v %v", n, i, v, ok, err)
					}
					var x int
					fmt.Sscan(string(v), &x)
					sum += x
				}
				tx.Close()
				if sum != accounts*each {
					close(done)
					t.Fatalf("read %d: balances sum to %d, want %d", n, sum, accounts*each)
				}
			}
			close(done)
			if err := <-writerErr; err != nil {
				t.Fatal(err)
			}
		})
	}
}

// The members' cache under the same kind of drive: hash fields set,
// removed and read in write transactions (their own writes on top) and in
// point reads, hashes big enough to be deleted with one range deletion,
// renamed, replaced by strings, flushed, and transactions discarded, with
// a cache small enough to turn its generations over every few rounds.
// Every read must agree with a model of what committed.
func TestMemberCacheAgreesWithCommittedState(t *testing.T) {
	db, err := storage.Open(storage.Options{Dir: t.TempDir(), Sync: storage.SyncNo, MemberCacheSize: 4 << 10})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rng := rand.New(rand.NewPCG(3, 11))
	type hash map[string]string
	committed := map[string]hash{}
	clone := func(m map[string]hash) map[string]hash {
		out := map[string]hash{}
		for k, h := range m {
			c := hash{}
			for f, v := range h {
				c[f] = v
			}
			out[k] = c
		}
		return out
	}
	key := func() string { return fmt.Sprint("h", rng.IntN(4)) }
	field := func() string { return fmt.Sprint("f", rng.IntN(90)) }
	var tx *storage.Tx
	defer func() { tx.Discard() }()
	for round := 0; round < 1500; round++ {
		tx = db.BeginWrite()
		view := clone(committed)
		check := func(k, f string) {
			v, ok, err := tx.HGet(0, []byte(k), []byte(f))
			want, wantOK := view[k][f]
			if err != nil || ok != wantOK || string(v) != want {
				t.Fatalf("round %d: HGET %s %s = %q %v %v in the transaction, want %q %v", round, k, f, v, ok, err, want, wantOK)
			}
		}
		for op := rng.IntN(6); op >= 0; op-- {
			k, f := key(), field()
			switch rng.IntN(10) {
			case 0, 1, 2:
				check(k, f)
			case 3, 4:
				// Many fields at once: the hash grows past its inline
				// record and past the range-deletion threshold.
				var pairs [][]byte
				for n := 1 + rng.IntN(40); n > 0; n-- {
					f := field()
					v := fmt.Sprint(rng.IntN(1000))
					pairs = append(pairs, []byte(f), []byte(v))
					if view[k] == nil {
						view[k] = hash{}
					}
					view[k][f] = v
				}
				if _, err := tx.HSet(0, []byte(k), pairs); err != nil {
					t.Fatal(err)
				}
			case 5:
				if _, err := tx.HDel(0, []byte(k), [][]byte{[]byte(f)}); err != nil {
					t.Fatal(err)
				}
				if h := view[k]; h != nil {
					delete(h, f)
					if len(h) == 0 {
						delete(view, k)
					}
				}
			case 6:
				if _, err := tx.Del(0, []byte(k)); err != nil {
					t.Fatal(err)
				}
				delete(view, k)
			case 7:
				dst := key()
				if view[k] == nil || dst == k {
					continue
				}
				if _, err := tx.Rename(0, []byte(k), []byte(dst), false); err != nil {
					t.Fatal(err)
				}
				view[dst] = view[k]
				delete(view, k)
			case 8:
				// A string over the hash: its members go.
				if _, err := tx.Set(0, []byte(k), []byte("s"), storage.SetOptions{}); err != nil {
					t.Fatal(err)
				}
				if _, err := tx.Del(0, []byte(k)); err != nil {
					t.Fatal(err)
				}
				delete(view, k)
			case 9:
				if rng.IntN(30) == 0 {
					if err := tx.FlushDB(0); err != nil {
						t.Fatal(err)
					}
					view = map[string]hash{}
				}
			}
			check(k, f)
		}
		if rng.IntN(4) == 0 {
			tx.Discard()
		} else {
			if _, err := tx.Commit(); err != nil {
				t.Fatal(err)
			}
			committed = view
		}
		// Point reads, through the cache the commits keep current.
		for i := 0; i < 8; i++ {
			k, f := key(), field()
			ptx := db.BeginPointRead()
			v, ok, err := ptx.HGet(0, []byte(k), []byte(f))
			ptx.Close()
			want, wantOK := committed[k][f]
			if err != nil || ok != wantOK || string(v) != want {
				t.Fatalf("round %d: point HGET %s %s = %q %v %v, want %q %v", round, k, f, v, ok, err, want, wantOK)
			}
		}
	}
	if st := db.MemberCacheStats(); st.Hits == 0 {
		t.Fatalf("the members' cache was never used: %+v", st)
	}
}
