package storage_test

import (
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"

	"moonstone/codec"
	"moonstone/storage"
)

func bs(ss ...string) [][]byte { return bytesOf(ss) }

// healthyStore holds every type, expiries, a popped list and a script.
func healthyStore(t *testing.T) *storage.DB {
	db := openDB(t)
	future := time.Now().Add(time.Hour).UnixMilli()
	write(t, db, func(tx *storage.Tx) error {
		if _, err := tx.Set(0, []byte("str"), []byte("v"), storage.SetOptions{}); err != nil {
			return err
		}
		// "h" keeps its values in records (no bytes allowed inline), "hi"
		// inside its metadata record.
		storage.SetHashInlineBytes(t, 0)
		if _, err := tx.HSet(0, []byte("h"), bs("a", "1", "b", "2")); err != nil {
			return err
		}
		storage.SetHashInlineBytes(t, 512)
		if _, err := tx.HSet(0, []byte("hi"), bs("f", "1", "g", "2")); err != nil {
			return err
		}
		if _, err := tx.SAdd(1, []byte("s"), bs("x", "y", "z")); err != nil {
			return err
		}
		// "l" keeps its elements in records, "li" inside its metadata
		// record.
		storage.SetListInlineBytes(t, 0)
		if _, err := tx.ListPush(0, []byte("l"), storage.ListLeft, bs("1", "2", "3", "4"), false); err != nil {
			return err
		}
		if _, _, err := tx.ListPop(0, []byte("l"), storage.ListRight, 1); err != nil {
			return err
		}
		storage.SetListInlineBytes(t, 512)
		if _, err := tx.ListPush(0, []byte("li"), storage.ListRight, bs("a", "b", "c"), false); err != nil {
			return err
		}
		if _, _, err := tx.ListPop(0, []byte("li"), storage.ListLeft, 1); err != nil {
			return err
		}
		// "z" is kept in records (Redis would make it a skiplist with no
		// listpack entries allowed), "zi" inside its metadata record.
		db.SetZSetLimits(0, 64)
		if _, err := tx.ZAdd(0, []byte("z"), storage.ZAddOptions{}, []storage.ZMember{{Member: []byte("m1"), Score: 1}, {Member: []byte("m2"), Score: -2.5}}); err != nil {
			return err
		}
		db.SetZSetLimits(128, 64)
		if _, err := tx.ZAdd(0, []byte("zi"), storage.ZAddOptions{}, []storage.ZMember{{Member: []byte("a"), Score: 2}, {Member: []byte("b"), Score: 1}}); err != nil {
			return err
		}
		if _, err := tx.Expire(0, []byte("h"), future, storage.ExpireAlways); err != nil {
			return err
		}
		_, err := tx.Expire(1, []byte("s"), future, storage.ExpireAlways)
		return err
	})
	body := []byte("return 1")
	sum := sha1.Sum(body)
	if err := db.PutScript(hex.EncodeToString(sum[:]), body, true); err != nil {
		t.Fatal(err)
	}
	return db
}

func check(t *testing.T, db *storage.DB) *storage.CheckReport {
	t.Helper()
	r, err := db.Check()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestCheckPassesOnAHealthyStore(t *testing.T) {
	db := healthyStore(t)
	r := check(t, db)
	if !r.OK() {
		t.Fatalf("problems on a healthy store: %v", r.Problems)
	}
	if r.Keys != 8 || r.Collections != 7 || r.Expiries != 2 || r.Scripts != 1 || r.Members != 18 {
		t.Fatalf("report = %+v", r)
	}
}

// expectProblem corrupts the store with fn and wants a problem mentioning want.
func expectProblem(t *testing.T, fn func(db *storage.DB, p *pebble.DB) error, want string) {
	t.Helper()
	db := healthyStore(t)
	if err := fn(db, db.Pebble()); err != nil {
		t.Fatal(err)
	}
	r := check(t, db)
	if r.OK() {
		t.Fatalf("check passed a corrupt store (want %q)", want)
	}
	if !strings.Contains(strings.Join(r.Problems, "\n"), want) {
		t.Fatalf("problems %q do not mention %q", r.Problems, want)
	}
}

func meta(p *pebble.DB, dbn int, key string) (codec.Meta, error) {
	v, closer, err := p.Get(codec.MetaKey(dbn, []byte(key)))
	if err != nil {
		return codec.Meta{}, err
	}
	defer closer.Close()
	m, err := codec.DecodeMeta(append([]byte(nil), v...))
	return m, err
}

func TestCheckFindsCorruption(t *testing.T) {
	t.Run("hash count", func(t *testing.T) {
		expectProblem(t, func(db *storage.DB, p *pebble.DB) error {
			m, err := meta(p, 0, "h")
			if err != nil {
				return err
			}
			m.Count = 3
			return p.Set(codec.MetaKey(0, []byte("h")), codec.EncodeMeta(&m), pebble.Sync)
		}, `db 0 hash "h": stored count 3, 2 member records`)
	})
	t.Run("hash value without sequence", func(t *testing.T) {
		expectProblem(t, func(db *storage.DB, p *pebble.DB) error {
			m, err := meta(p, 0, "h")
			if err != nil {
				return err
			}
			return p.Set(codec.MemberKey(codec.TagHash, m.Version, []byte("a")), []byte("1"), pebble.Sync)
		}, `db 0 hash "h": value record of "a" has no insertion sequence`)
	})
	t.Run("hash sequence past the next", func(t *testing.T) {
		expectProblem(t, func(db *storage.DB, p *pebble.DB) error {
			m, err := meta(p, 0, "h")
			if err != nil {
				return err
			}
			m.NextSeq = 1
			return p.Set(codec.MetaKey(0, []byte("h")), codec.EncodeMeta(&m), pebble.Sync)
		}, `db 0 hash "h": field "b" has sequence 1 (next 1, or repeated)`)
	})
	hiMeta := func(p *pebble.DB, change func(m *codec.Meta)) error {
		m, err := meta(p, 0, "hi")
		if err != nil {
			return err
		}
		if !m.HInline {
			return fmt.Errorf("hi is not inline")
		}
		change(&m)
		return p.Set(codec.MetaKey(0, []byte("hi")), codec.EncodeMeta(&m), pebble.Sync)
	}
	t.Run("inline hash count", func(t *testing.T) {
		expectProblem(t, func(db *storage.DB, p *pebble.DB) error {
			return hiMeta(p, func(m *codec.Meta) { m.Count = 3 })
		}, `db 0 hash "hi": stored count 3, 2 inline entries`)
	})
	t.Run("inline hash with a record", func(t *testing.T) {
		expectProblem(t, func(db *storage.DB, p *pebble.DB) error {
			m, err := meta(p, 0, "hi")
			if err != nil {
				return err
			}
			return p.Set(codec.MemberKey(codec.TagHash, m.Version, []byte("f")), []byte("\x00\x00\x00\x00\x00\x00\x00\x001"), pebble.Sync)
		}, `db 0 hash "hi": inline, but record`)
	})
	t.Run("inline hash undecodable", func(t *testing.T) {
		expectProblem(t, func(db *storage.DB, p *pebble.DB) error {
			return hiMeta(p, func(m *codec.Meta) { m.HEntries = m.HEntries[:len(m.HEntries)-1] })
		}, `db 0 hash "hi": undecodable inline entries`)
	})
	t.Run("inline hash field twice", func(t *testing.T) {
		expectProblem(t, func(db *storage.DB, p *pebble.DB) error {
			return hiMeta(p, func(m *codec.Meta) {
				m.HEntries = codec.AppendHEntry(append([]byte(nil), m.HEntries...), []byte("f"), []byte("9"))
				m.Count++
			})
		}, `db 0 hash "hi": field "f" is inline twice`)
	})
	t.Run("inline hash converted", func(t *testing.T) {
		expectProblem(t, func(db *storage.DB, p *pebble.DB) error {
			return hiMeta(p, func(m *codec.Meta) { m.HashTable = true })
		}, `db 0 hash "hi": inline, but converted to a hashtable`)
	})
	t.Run("set member deleted", func(t *testing.T) {
		expectProblem(t, func(db *storage.DB, p *pebble.DB) error {
			m, err := meta(p, 1, "s")
			if err != nil {
				return err
			}
			return p.Delete(codec.MemberKey(codec.TagSet, m.Version, []byte("y")), pebble.Sync)
		}, `db 1 set "s": stored count 3, 2 member records`)
	})
	t.Run("list hole", func(t *testing.T) {
		expectProblem(t, func(db *storage.DB, p *pebble.DB) error {
			m, err := meta(p, 0, "l")
			if err != nil {
				return err
			}
			return p.Delete(codec.ListKey(m.Version, m.Head+1), pebble.Sync)
		}, `db 0 list "l": positions`)
	})
	liMeta := func(p *pebble.DB, change func(m *codec.Meta)) error {
		m, err := meta(p, 0, "li")
		if err != nil {
			return err
		}
		if !m.LInline {
			return fmt.Errorf("li is not inline")
		}
		change(&m)
		return p.Set(codec.MetaKey(0, []byte("li")), codec.EncodeMeta(&m), pebble.Sync)
	}
	t.Run("inline list count", func(t *testing.T) {
		expectProblem(t, func(db *storage.DB, p *pebble.DB) error {
			return liMeta(p, func(m *codec.Meta) { m.Count, m.Tail = 3, 3 })
		}, `db 0 list "li": stored count 3, 2 inline elements`)
	})
	t.Run("inline list head", func(t *testing.T) {
		expectProblem(t, func(db *storage.DB, p *pebble.DB) error {
			return liMeta(p, func(m *codec.Meta) { m.Head, m.Tail = 1, 3 })
		}, `db 0 list "li": inline, but head 1 and tail 3 for count 2`)
	})
	t.Run("inline list with a record", func(t *testing.T) {
		expectProblem(t, func(db *storage.DB, p *pebble.DB) error {
			m, err := meta(p, 0, "li")
			if err != nil {
				return err
			}
			return p.Set(codec.ListKey(m.Version, 0), []byte("b"), pebble.Sync)
		}, `db 0 list "li": inline, but record`)
	})
	t.Run("inline list undecodable", func(t *testing.T) {
		expectProblem(t, func(db *storage.DB, p *pebble.DB) error {
			return liMeta(p, func(m *codec.Meta) { m.LEntries = m.LEntries[:len(m.LEntries)-1] })
		}, `db 0 list "li": undecodable inline elements`)
	})
	t.Run("zset index", func(t *testing.T) {
		expectProblem(t, func(db *storage.DB, p *pebble.DB) error {
			m, err := meta(p, 0, "z")
			if err != nil {
				return err
			}
			return p.Delete(codec.ZScoreKey(m.Version, -2.5, []byte("m2")), pebble.Sync)
		}, `db 0 zset "z": member "m2" is missing from the score index`)
	})
	t.Run("zset score disagrees", func(t *testing.T) {
		expectProblem(t, func(db *storage.DB, p *pebble.DB) error {
			m, err := meta(p, 0, "z")
			if err != nil {
				return err
			}
			return p.Set(codec.MemberKey(codec.TagZMember, m.Version, []byte("m1")), codec.ZScoreValue(7), pebble.Sync)
		}, `member "m1" has score 7, its index entry 1`)
	})
	t.Run("inline zset count", func(t *testing.T) {
		expectProblem(t, func(db *storage.DB, p *pebble.DB) error {
			m, err := meta(p, 0, "zi")
			if err != nil {
				return err
			}
			m.Count = 3
			return p.Set(codec.MetaKey(0, []byte("zi")), codec.EncodeMeta(&m), pebble.Sync)
		}, `db 0 zset "zi": stored count 3, 2 inline entries`)
	})
	t.Run("inline zset with a record", func(t *testing.T) {
		expectProblem(t, func(db *storage.DB, p *pebble.DB) error {
			m, err := meta(p, 0, "zi")
			if err != nil {
				return err
			}
			return p.Set(codec.MemberKey(codec.TagZMember, m.Version, []byte("a")), codec.ZScoreValue(2), pebble.Sync)
		}, `db 0 zset "zi": inline, but record`)
	})
	t.Run("expiry index", func(t *testing.T) {
		expectProblem(t, func(db *storage.DB, p *pebble.DB) error {
			m, err := meta(p, 0, "h")
			if err != nil {
				return err
			}
			return p.Delete(codec.ExpiryKey(0, m.ExpireAt, []byte("h")), pebble.Sync)
		}, `db 0 key "h": expires at`)
	})
	t.Run("stray expiry", func(t *testing.T) {
		expectProblem(t, func(db *storage.DB, p *pebble.DB) error {
			return p.Set(codec.ExpiryKey(0, 5, []byte("str")), nil, pebble.Sync)
		}, `db 0 key "str": expiry-index record at 5, metadata says 0`)
	})
	t.Run("key count", func(t *testing.T) {
		expectProblem(t, func(db *storage.DB, p *pebble.DB) error {
			return p.Delete(codec.MetaKey(0, []byte("str")), pebble.Sync)
		}, "db 0: stored key count 7, 6 keys found")
	})
	t.Run("orphan members", func(t *testing.T) {
		expectProblem(t, func(db *storage.DB, p *pebble.DB) error {
			return p.Set(codec.MemberKey(codec.TagHash, 1<<40, []byte("f")), []byte("v"), pebble.Sync)
		}, fmt.Sprintf("version %d, which no key owns", uint64(1<<40)))
	})
	t.Run("script hash", func(t *testing.T) {
		expectProblem(t, func(db *storage.DB, p *pebble.DB) error {
			return p.Set(codec.ScriptKey(strings.Repeat("0", 40)), []byte("Lreturn 2"), pebble.Sync)
		}, "script "+strings.Repeat("0", 40)+": its body hashes to")
	})
}
