package lualib

import (
	"strings"
	"testing"
)

func benchScript(b *testing.B, setup, body string) {
	L := newTestState()
	defer L.Close()
	if err := L.DoString(setup); err != nil {
		b.Fatal(err)
	}
	fn, err := L.Load(strings.NewReader(body), "bench")
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		L.Push(fn)
		if err := L.PCall(0, 0, nil); err != nil {
			b.Fatal(err)
		}
	}
}

const benchSetup = `big = {} for i = 1, 10000 do big[i] = {id = i, name = 'user' .. i, score = i * 0.5, tags = {'a', 'b'}} end
json = cjson.encode(big) packed = cmsgpack.pack(big)`

func BenchmarkCjsonEncode(b *testing.B)    { benchScript(b, benchSetup, "cjson.encode(big)") }
func BenchmarkCjsonDecode(b *testing.B)    { benchScript(b, benchSetup, "cjson.decode(json)") }
func BenchmarkCmsgpackPack(b *testing.B)   { benchScript(b, benchSetup, "cmsgpack.pack(big)") }
func BenchmarkCmsgpackUnpack(b *testing.B) { benchScript(b, benchSetup, "cmsgpack.unpack(packed)") }
