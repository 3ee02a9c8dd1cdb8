package storage_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"moonstone/storage"
)

// Large collections are sampled by probing the key space (see sample.go),
// which is approximately uniform. This measures how far from uniform it is
// on key shapes people use, as the total variation distance between the
// observed pick frequencies and the uniform distribution (0 = uniform, 1 =
// disjoint). With about 40 picks per member, sampling noise alone gives
// about 0.06.
func TestProbeSamplingIsNearUniform(t *testing.T) {
	const size, perMember = 1000, 40
	shapes := []struct {
		name  string
		gen   func(i int) string
		maxTV float64
	}{
		{"zero-padded ids", func(i int) string { return fmt.Sprintf("user:%08d", i) }, 0.12},
		{"random hex", func(i int) string { return fmt.Sprintf("%016x", rand.Uint64()) }, 0.12},
		{"decimal ids", func(i int) string { return fmt.Sprintf("field:%d", i) }, 0.2},
		{"multiples", func(i int) string { return fmt.Sprint(i * 7) }, 0.2},
		{"id and attribute", func(i int) string { return fmt.Sprintf("u:%d:%s", i/3, []string{"name", "email", "age"}[i%3]) }, 0.5},
		{"words", func(i int) string { return fmt.Sprintf("%c%c%d", 'a'+i%26, 'a'+(i/26)%26, i) }, 0.25},
	}
	db := openDB(t)
	for _, sh := range shapes {
		key := []byte(sh.name)
		var members [][]byte
		for i := 0; i < size; i++ {
			members = append(members, []byte(sh.gen(i)))
		}
		write(t, db, func(tx *storage.Tx) error { _, err := tx.SAdd(0, key, members); return err })
		freq := map[string]int{}
		r := db.BeginRead()
		// A count small against the size keeps the sampler in probe mode.
		const batch = 10
		for picks := 0; picks < size*perMember; picks += batch {
			got, err := r.SRandMember(0, key, batch, false)
			if err != nil || len(got) != batch {
				t.Fatalf("%s: %d members, %v", sh.name, len(got), err)
			}
			for _, m := range got {
				freq[string(m)]++
			}
		}
		r.Close()
		var tv float64
		for _, m := range members {
			tv += math.Abs(float64(freq[string(m)])/(size*perMember) - 1.0/size)
		}
		tv /= 2
		if len(freq) > size {
			t.Fatalf("%s: picked %d distinct members out of %d", sh.name, len(freq), size)
		}
		t.Logf("%-16s distance from uniform %.3f, members never picked %d", sh.name, tv, size-len(freq))
		if tv > sh.maxTV {
			t.Errorf("%s: distance from uniform %.3f, want at most %.2f", sh.name, tv, sh.maxTV)
		}
	}
}

// Small collections are sampled exactly: every member is equally likely,
// distinct picks are distinct, and a count past the size (distinct) or
// any count (repeats) behaves as Redis documents.
func TestExactSampling(t *testing.T) {
	db := openDB(t)
	key := []byte("s")
	var members [][]byte
	for i := 0; i < 50; i++ {
		members = append(members, []byte(fmt.Sprintf("m%d", i)))
	}
	write(t, db, func(tx *storage.Tx) error { _, err := tx.SAdd(0, key, members); return err })
	r := db.BeginRead()
	defer r.Close()
	freq := map[string]int{}
	for i := 0; i < 2000; i++ {
		got, err := r.SRandMember(0, key, 5, true)
		if err != nil || len(got) != 5 {
			t.Fatalf("SRANDMEMBER 5: %q %v", got, err)
		}
		seen := map[string]bool{}
		for _, m := range got {
			if seen[string(m)] {
				t.Fatalf("distinct pick repeated %q in %q", m, got)
			}
			seen[string(m)] = true
			freq[string(m)]++
		}
	}
	// 200 expected picks per member; a member off by half is not noise.
	for _, m := range members {
		if f := freq[string(m)]; f < 100 || f > 300 {
			t.Errorf("member %s picked %d times, want about 200", m, f)
		}
	}
	all, err := r.SRandMember(0, key, 500, true)
	if err != nil || len(all) != 50 {
		t.Fatalf("count past the size: %d members, %v", len(all), err)
	}
	rep, err := r.SRandMember(0, key, 500, false)
	if err != nil || len(rep) != 500 {
		t.Fatalf("repeats: %d members, %v", len(rep), err)
	}
}

func BenchmarkSRandMember(b *testing.B) {
	db, err := storage.Open(storage.Options{Dir: b.TempDir(), Sync: storage.SyncNo})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	var members [][]byte
	for i := 0; i < 100000; i++ {
		members = append(members, []byte(fmt.Sprintf("field:%d", i)))
	}
	tx := db.BeginWrite()
	if _, err := tx.SAdd(0, []byte("s"), members); err != nil {
		b.Fatal(err)
	}
	if p, err := tx.Commit(); err != nil || db.Wait(p) != nil {
		b.Fatal(err)
	}
	for _, count := range []int64{1, 100} {
		b.Run(fmt.Sprintf("count=%d", count), func(b *testing.B) {
			r := db.BeginRead()
			defer r.Close()
			for i := 0; i < b.N; i++ {
				if _, err := r.SRandMember(0, []byte("s"), count, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
