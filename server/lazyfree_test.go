package server_test

import (
	"testing"
	"time"

	"moonstone/internal/testkit"
)

// INFO's lazyfreed_objects counts what Redis frees in the background:
// UNLINK (and DEL under lazyfree-lazy-user-del) of a value past 64 steps
// of freeing (a hashtable set of 100, a stream of 200 nodes with a
// group), not of small ones or a stream whose group is gone, and every
// key of a FLUSHALL ASYNC. Both servers run the same steps and must
// agree after each, once Redis's background thread has nothing pending.
func TestLazyfreedObjectsCountAsInRedis(t *testing.T) {
	p := testkit.StartPair(t)
	steps := []struct{ script, want string }{
		{`CONFIG RESETSTAT
EVAL "for i = 1, 100 do redis.call('sadd', KEYS[1], 'm' .. i) end" 1 big
UNLINK big`, "1"},
		{`SADD small a b
UNLINK small
EVAL "for i = 1, 100 do redis.call('hset', KEYS[1], 'f' .. i, 'v') end" 1 hbig
DEL hbig`, "1"},
		{`CONFIG SET lazyfree-lazy-user-del yes
EVAL "for i = 1, 200 do redis.call('zadd', KEYS[1], i, 'm' .. i) end" 1 zbig
DEL zbig
CONFIG SET lazyfree-lazy-user-del no`, "2"},
		{`CONFIG SET stream-node-max-entries 5
EVAL "for i = 1, 1000 do redis.call('xadd', KEYS[1], i .. '-0', 'foo', i) end" 1 stream
XGROUP CREATE stream mygroup 0
XREADGROUP GROUP mygroup Alice COUNT 2 STREAMS stream >
UNLINK stream
XADD s 1-0 a b
XGROUP CREATE s bla $
XGROUP DESTROY s bla
UNLINK s`, "3"},
		{`SET a 1
SET b 2
SELECT 1
SET c 3
FLUSHALL ASYNC
SELECT 0`, "6"},
		{`SET a 1
FLUSHALL SYNC
CONFIG SET lazyfree-lazy-user-flush yes
SET a 1
FLUSHDB
CONFIG SET lazyfree-lazy-user-flush no`, "7"},
	}
	for _, s := range steps {
		p.Run(t, s.script)
		// Redis counts a value once its background thread freed it.
		var ms, rd string
		for range 200 {
			var err error
			if ms, rd, err = p.Do("INFO", "memory"); err != nil {
				t.Fatal(err)
			}
			if infoField(rd, "lazyfree_pending_objects") == "0" {
				break
			}
			time.Sleep(10 * time.Millisecond)
		}
		if got, want := infoField(ms, "lazyfreed_objects"), infoField(rd, "lazyfreed_objects"); got != want || got != s.want {
			t.Fatalf("after %q: lazyfreed_objects %s, Redis %s, want %s", s.script, got, want, s.want)
		}
	}
}
