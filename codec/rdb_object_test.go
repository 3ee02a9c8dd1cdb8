package codec_test

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"reflect"
	"testing"

	"moonstone/codec"
)

func sampleObjects() []*codec.DumpObject {
	b := func(s ...string) [][]byte {
		out := make([][]byte, len(s))
		for i := range s {
			out[i] = []byte(s[i])
		}
		return out
	}
	id := func(ms, seq uint64) codec.StreamID { return codec.StreamID{Ms: ms, Seq: seq} }
	return []*codec.DumpObject{
		{Type: codec.TypeString, Elems: b("hello")},
		{Type: codec.TypeString, Elems: b("")},
		{Type: codec.TypeList, Elems: b("a", "", "12", string(bytes.Repeat([]byte("x"), 5000)))},
		{Type: codec.TypeSet, Elems: b("1", "2", "x")},
		{Type: codec.TypeHash, Elems: b("f", "v", "g", "")},
		{Type: codec.TypeZSet, Elems: b("a", "b", "c"), Scores: []float64{math.Inf(-1), 1.5, math.Inf(1)}},
		{Type: codec.TypeStream, Stream: &codec.DumpStream{
			Entries: []codec.DumpStreamEntry{
				{ID: id(1, 1), Fields: b("a", "1", "b", "2")},
				{ID: id(1, 5), Fields: b("a", "3", "b", "4")},
				{ID: id(2, 0), Fields: b("c", "-70000")},
				{ID: id(9, 0), Fields: b("a", "x")},
			},
			Nodes:  []codec.DumpStreamNode{{Master: id(1, 1)}, {Master: id(9, 0)}},
			LastID: id(10, 0), FirstID: id(1, 1), MaxDeleted: id(10, 0), EntriesAdded: 6,
			Groups: []codec.DumpStreamGroup{{
				Name: []byte("g"), LastID: id(2, 0), EntriesRead: -1,
				PEL: []codec.DumpStreamNACK{
					{ID: id(1, 1), DeliveryTime: 1700000000000, DeliveryCount: 2, Consumer: []byte("alice")},
					{ID: id(1, 3), DeliveryTime: 1700000000001, DeliveryCount: 1, Consumer: []byte("bob")},
				},
				Consumers: []codec.DumpStreamConsumer{{Name: []byte("alice"), SeenTime: 5}, {Name: []byte("bob"), SeenTime: 6}},
			}},
		}},
	}
}

func TestDumpRoundTrip(t *testing.T) {
	for _, o := range sampleObjects() {
		got, err := codec.DecodeDump(codec.EncodeDump(o))
		if err != nil {
			t.Fatalf("%v: %v", o.Type, err)
		}
		if o.Type == codec.TypeStream {
			// Nodes come back with their counts; compare the rest.
			if len(got.Stream.Nodes) != 2 || got.Stream.Nodes[0].Valid != 3 || got.Stream.Nodes[1].Valid != 1 {
				t.Fatalf("stream nodes %+v", got.Stream.Nodes)
			}
			got.Stream.Nodes, o.Stream.Nodes = nil, nil
		}
		if !reflect.DeepEqual(got, o) {
			t.Fatalf("round trip of %v:\n got %+v\nwant %+v", o.Type, got, o)
		}
	}
}

// TestDecodeDumpMalformed feeds truncated and mutated payloads (with a
// valid footer, so the object decoder sees them) and oversized lengths:
// each is refused or decoded, never a panic, never a huge allocation.
func TestDecodeDumpMalformed(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	for _, o := range sampleObjects() {
		p := codec.EncodeDump(o)
		body := p[:len(p)-10]
		for n := 0; n < len(body); n++ {
			if _, err := codec.DecodeDump(codec.SealPayload(append([]byte(nil), body[:n]...))); err == nil && n < 2 {
				t.Fatalf("%v truncated to %d bytes decoded", o.Type, n)
			}
		}
		for i := 0; i < 3000; i++ {
			m := append([]byte(nil), body...)
			for k := 0; k <= rnd.IntN(3); k++ {
				m[rnd.IntN(len(m))] = byte(rnd.IntN(256))
			}
			codec.DecodeDump(codec.SealPayload(m))
		}
	}
	huge := [][]byte{
		{1, 0x81, 0x40, 0, 0, 0, 0, 0, 0, 0, 1, 'a'},                  // list of 2^62 elements
		{0, 0xc3, 4, 0x80, 0x1f, 0xff, 0xff, 0xff, 0, 'a', 0, 0},      // LZF claiming 512 MB
		{19, 0x81, 0, 0, 1, 0, 0, 0, 0, 0},                            // 2^40 stream nodes
		{19, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x80, 0xff, 0xff, 0xff, 0xff}, // 4G groups
		{4, 0x80, 0xff, 0xff, 0xff, 0xff},                             // hash of 4G pairs
	}
	for _, h := range huge {
		if _, err := codec.DecodeDump(codec.SealPayload(h)); !errors.Is(err, codec.ErrRDB) {
			t.Errorf("%x: %v", h, err)
		}
	}
	if _, err := codec.DecodeDump([]byte("short")); !errors.Is(err, codec.ErrDumpPayload) {
		t.Errorf("short payload: %v", err)
	}
}
