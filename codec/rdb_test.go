package codec_test

import (
	"bytes"
	"encoding/hex"
	"testing"

	"moonstone/codec"
)

func TestCRC64CheckValue(t *testing.T) {
	// crc64.c's self test: crc64(0, "123456789") == 0xe9c6d914c4b8d9ca.
	if got := codec.CRC64(0, []byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Fatalf("crc64 = %#x", got)
	}
}

func TestRDBStringRoundTripAndLZF(t *testing.T) {
	for _, s := range [][]byte{nil, []byte("a"), bytes.Repeat([]byte("x"), 63), bytes.Repeat([]byte("y"), 64),
		bytes.Repeat([]byte("z"), 20000), bytes.Repeat([]byte("w"), 70000)} {
		b := codec.AppendRDBString(nil, s)
		got, err := codec.NewRDBReader(b).String()
		if err != nil || !bytes.Equal(got, s) {
			t.Fatalf("len %d: %v", len(s), err)
		}
	}
	// A payload made by redis-server 7.0.15's FUNCTION DUMP (rdbcompression
	// yes): one library, its code LZF-compressed.
	redis, _ := hex.DecodeString("f5c3405a40b81f23216c7561206e616d653d6c7a660a72656469732e72656769737465725f6675086e6374696f6e282261200002222c20e000100b6b2c61292072657475726e20601ce00b00052220656e6429e0115400622000e02c540164290a00f30b49625a45ff76")
	recs, ok := codec.OpenPayload(redis)
	if !ok {
		t.Fatal("redis payload refused")
	}
	r := codec.NewRDBReader(recs)
	if op, _ := r.Byte(); op != codec.RDBOpcodeFunction2 {
		t.Fatal("opcode")
	}
	code, err := r.String()
	want := "#!lua name=lzf\nredis.register_function(\"aaaa\", function(k,a) return \"aaaaaaaaaaaaaaaaaaaaaaaa\" end)\n" +
		"redis.register_function(\"bbbb\", function(k,a) return \"aaaaaaaaaaaaaaaaaaaaaaaa\" end)"
	if err != nil || string(code) != want || r.Len() != 0 {
		t.Fatalf("decoded %q, %v", code, err)
	}
	if _, ok := codec.OpenPayload([]byte("bad_payload")); ok {
		t.Fatal("bad payload accepted")
	}
	p := codec.SealPayload(append([]byte{codec.RDBOpcodeFunction2}, codec.AppendRDBString(nil, []byte("abc"))...))
	recs, ok = codec.OpenPayload(p)
	if !ok {
		t.Fatal("own payload refused")
	}
	r = codec.NewRDBReader(recs)
	if op, _ := r.Byte(); op != codec.RDBOpcodeFunction2 {
		t.Fatal("opcode")
	}
	if s, err := r.String(); err != nil || string(s) != "abc" {
		t.Fatal("string", err)
	}
	p[3] ^= 1
	if _, ok := codec.OpenPayload(p); ok {
		t.Fatal("corrupt payload accepted")
	}
}
