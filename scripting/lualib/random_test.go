package lualib

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"
)

// Randomised inputs (fixed seed) for the comparison harness: they reach
// combinations the hand-written cases do not.

func randJSON(r *rand.Rand, depth int) string {
	switch k := r.Intn(10); {
	case depth > 3 || k < 3:
		return []string{"0", "-1", "3.25", "1e300", "-0.0", "12345678901234567890", "true", "false", "null",
			`"x"`, `"\u00e9\n\"/"`, `""`, "2.5E-3", `"\ud83d\ude00"`}[r.Intn(14)]
	case k < 6:
		n := r.Intn(5)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = randJSON(r, depth+1)
		}
		return "[" + strings.Join(parts, ", ") + "]"
	default:
		n := r.Intn(12)
		parts := make([]string, n)
		for i := range parts {
			parts[i] = fmt.Sprintf(`"%s%d":%s`, []string{"a", "key", "id", "n", "x_y", "Z"}[r.Intn(6)], r.Intn(50), randJSON(r, depth+1))
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
}

func corrupt(r *rand.Rand, s string) string {
	if s == "" {
		return s
	}
	i := r.Intn(len(s))
	switch r.Intn(3) {
	case 0:
		return s[:i] + s[i+1:]
	case 1:
		const junk = "{}[],:\"\\x0-e"
		return s[:i] + string(junk[r.Intn(len(junk))]) + s[i:]
	default:
		return s[:i]
	}
}

func luaQuote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 32 || c >= 127 || c == '"' || c == '\\' {
			fmt.Fprintf(&b, "\\%03d", c)
		} else {
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func TestRandomCompare(t *testing.T) {
	r := rand.New(rand.NewSource(randSeed))
	var cases []caseT
	for i := int64(0); i < randCount; i++ {
		j := randJSON(r, 0)
		cases = append(cases, caseT{fmt.Sprintf("json/%d", i),
			fmt.Sprintf("local v = cjson.decode(%s) return A(cjson.encode(v), cmsgpack.pack(v))", luaQuote(j))})
		cases = append(cases, caseT{fmt.Sprintf("json-bad/%d", i),
			fmt.Sprintf("return A(pcall(cjson.decode, %s))", luaQuote(corrupt(r, j)))})
	}
	for i := int64(0); i < randCount; i++ {
		b := make([]byte, 1+r.Intn(12))
		r.Read(b)
		if r.Intn(2) == 0 {
			b[0] = byte(0x80 + r.Intn(0x60))
		}
		cases = append(cases, caseT{fmt.Sprintf("msgpack/%d", i),
			fmt.Sprintf("return A(pcall(cmsgpack.unpack, %s))", luaQuote(string(b)))})
	}
	opts := []string{"b", "B", "h", "H", "l", "L", "T", "i", "I", "i3", "I5", "i12", "f", "d", "x", "c2", "c0", "s", "<", ">", "!", "!2", "!4", " "}
	for i := int64(0); i < randCount; i++ {
		n := 1 + r.Intn(5)
		var f strings.Builder
		for k := 0; k < n; k++ {
			f.WriteString(opts[r.Intn(len(opts))])
		}
		data := make([]byte, r.Intn(24))
		r.Read(data)
		cases = append(cases, caseT{fmt.Sprintf("struct/%d", i), fmt.Sprintf(
			"local f = %q return A(pcall(struct.size, f), pcall(struct.unpack, f, %s), pcall(struct.pack, f, %d, 'abc', %g, 'xy', -%d))",
			f.String(), luaQuote(string(data)), r.Intn(70000), r.Float64()*1e6, r.Intn(300))})
	}
	runCompare(t, cases)
}

// randSeed and randCount size TestRandomCompare; raising randCount locally
// is a cheap way to hunt for discrepancies.
var randSeed, randCount int64 = 7, 150
