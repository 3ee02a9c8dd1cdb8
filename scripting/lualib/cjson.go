package lualib

import (
	"fmt"
	"math"
	"strings"

	lua "github.com/yuin/gopher-lua"
)

// The cjson library follows Lua CJSON 2.1.0 as patched and built in Redis
// 7.0 (lua_cjson.c with fpconv.c in the C locale and glibc's strtod and
// printf).

// Null is the cjson.null sentinel value. In Redis it is a NULL light
// userdata; gopher-lua has no light userdata, so one shared full userdata
// plays its part. It encodes as JSON null and decodes from it.
// The empty environment keeps getfenv(cjson.null) from handing scripts a
// nil table pointer.
var Null lua.LValue = &lua.LUserData{Env: &lua.LTable{Metatable: lua.LNil}, Metatable: lua.LNil}

type cjsonConfig struct {
	sparseConvert         int32
	sparseRatio           int32
	sparseSafe            int32
	encodeMaxDepth        int32
	decodeMaxDepth        int32
	encodeInvalidNumbers  int32 // 0 off, 1 on, 2 "null"
	decodeInvalidNumbers  int32
	encodeKeepBuffer      int32
	encodeNumberPrecision int32
}

func newCjsonConfig() *cjsonConfig {
	return &cjsonConfig{
		sparseConvert:         0,
		sparseRatio:           2,
		sparseSafe:            10,
		encodeMaxDepth:        1000,
		decodeMaxDepth:        1000,
		encodeInvalidNumbers:  0,
		decodeInvalidNumbers:  1,
		encodeKeepBuffer:      1,
		encodeNumberPrecision: 14,
	}
}

// newCjsonLib builds a module table whose functions share one
// configuration, as lua_cjson_new does; cjson.new() builds another.
func newCjsonLib(L *lua.LState) *lua.LTable {
	cfg := newCjsonConfig()
	t := L.NewTable()
	funcs := map[string]lua.LGFunction{
		"encode":                  cfg.encode,
		"decode":                  cfg.decode,
		"encode_sparse_array":     cfg.cfgEncodeSparseArray,
		"encode_max_depth":        cfg.cfgEncodeMaxDepth,
		"decode_max_depth":        cfg.cfgDecodeMaxDepth,
		"encode_number_precision": cfg.cfgEncodeNumberPrecision,
		"encode_keep_buffer":      cfg.cfgEncodeKeepBuffer,
		"encode_invalid_numbers":  cfg.cfgEncodeInvalidNumbers,
		"decode_invalid_numbers":  cfg.cfgDecodeInvalidNumbers,
		"new": func(L *lua.LState) int {
			L.Push(newCjsonLib(L))
			return 1
		},
	}
	for name, fn := range funcs {
		t.RawSetString(name, L.NewFunction(fn))
	}
	t.RawSetString("null", Null)
	t.RawSetString("_NAME", lua.LString("cjson"))
	t.RawSetString("_VERSION", lua.LString("2.1.0"))
	return t
}

// ===== configuration =====

// cfgArgs rejects surplus arguments and pads missing ones with nil, so
// that the results pushed afterwards land above the arguments.
func cfgArgs(L *lua.LState, n int) {
	if L.GetTop() > n {
		argError(L, n+1, "found too many arguments")
	}
	L.SetTop(n)
}

func integerOption(L *lua.LState, idx int, setting *int32, min, max int32) {
	if !isNoneOrNil(L, idx) {
		// lua_Integer narrowed to a C int.
		v := int32(checkInteger(L, idx))
		if v < min || v > max {
			// Lua CJSON always blames argument 1 here.
			argError(L, 1, fmt.Sprintf("expected integer between %d and %d", min, max))
		}
		*setting = v
	}
	L.Push(lua.LNumber(*setting))
}

var onOff = []string{"off", "on"}

func enumOption(L *lua.LState, idx int, setting *int32, options []string) {
	if !isNoneOrNil(L, idx) {
		if b, ok := L.Get(idx).(lua.LBool); ok {
			*setting = 0
			if b {
				*setting = 1
			}
		} else {
			// luaL_checkoption compares C strings.
			name := cString(checkLString(L, idx))
			found := -1
			for i, o := range options {
				if o == name {
					found = i
					break
				}
			}
			if found < 0 {
				argError(L, idx, "invalid option '"+name+"'")
			}
			*setting = int32(found)
		}
	}
	if *setting == 0 || *setting == 1 {
		L.Push(lua.LBool(*setting == 1))
	} else {
		L.Push(lua.LString(options[*setting]))
	}
}

func (c *cjsonConfig) cfgEncodeSparseArray(L *lua.LState) int {
	cfgArgs(L, 3)
	enumOption(L, 1, &c.sparseConvert, onOff)
	integerOption(L, 2, &c.sparseRatio, 0, math.MaxInt32)
	integerOption(L, 3, &c.sparseSafe, 0, math.MaxInt32)
	return 3
}

func (c *cjsonConfig) cfgEncodeMaxDepth(L *lua.LState) int {
	cfgArgs(L, 1)
	integerOption(L, 1, &c.encodeMaxDepth, 1, math.MaxInt32)
	return 1
}

func (c *cjsonConfig) cfgDecodeMaxDepth(L *lua.LState) int {
	cfgArgs(L, 1)
	integerOption(L, 1, &c.decodeMaxDepth, 1, math.MaxInt32)
	return 1
}

func (c *cjsonConfig) cfgEncodeNumberPrecision(L *lua.LState) int {
	cfgArgs(L, 1)
	integerOption(L, 1, &c.encodeNumberPrecision, 1, 14)
	return 1
}

func (c *cjsonConfig) cfgEncodeKeepBuffer(L *lua.LState) int {
	// The buffer itself is an allocation detail; only the setting is
	// observable.
	cfgArgs(L, 1)
	enumOption(L, 1, &c.encodeKeepBuffer, onOff)
	return 1
}

func (c *cjsonConfig) cfgEncodeInvalidNumbers(L *lua.LState) int {
	cfgArgs(L, 1)
	enumOption(L, 1, &c.encodeInvalidNumbers, []string{"off", "on", "null"})
	return 1
}

func (c *cjsonConfig) cfgDecodeInvalidNumbers(L *lua.LState) int {
	cfgArgs(L, 1)
	enumOption(L, 1, &c.decodeInvalidNumbers, onOff)
	return 1
}

// ===== encoding =====

type jsonEncoder struct {
	L   *lua.LState
	cfg *cjsonConfig
	buf strings.Builder
}

func (c *cjsonConfig) encode(L *lua.LState) int {
	if L.GetTop() != 1 {
		argError(L, 1, "expected 1 argument")
	}
	e := &jsonEncoder{L: L, cfg: c}
	e.value(L.Get(1), 0, 1)
	L.Push(lua.LString(e.buf.String()))
	return 1
}

func (e *jsonEncoder) fail(typ, reason string) {
	raise(e.L, "Cannot serialise %s: %s", typ, reason)
}

var jsonEscapes = func() [256]string {
	var t [256]string
	for i := 0; i < 0x20; i++ {
		t[i] = fmt.Sprintf("\\u%04x", i)
	}
	t['\b'], t['\t'], t['\n'], t['\f'], t['\r'] = `\b`, `\t`, `\n`, `\f`, `\r`
	t['"'], t['\\'], t['/'] = `\"`, `\\`, `\/`
	t[0x7f] = `\u007f`
	return t
}()

func (e *jsonEncoder) str(s string) {
	e.buf.WriteByte('"')
	start := 0
	for i := 0; i < len(s); i++ {
		if esc := jsonEscapes[s[i]]; esc != "" {
			e.buf.WriteString(s[start:i])
			e.buf.WriteString(esc)
			start = i + 1
		}
	}
	e.buf.WriteString(s[start:])
	e.buf.WriteByte('"')
}

func (e *jsonEncoder) number(n float64) {
	switch e.cfg.encodeInvalidNumbers {
	case 0:
		if math.IsInf(n, 0) || n != n {
			e.fail("number", "must not be NaN or Inf")
		}
	case 1:
		// Written by hand because printf may say "-nan".
		if n != n {
			e.buf.WriteString("nan")
			return
		}
	default:
		if math.IsInf(n, 0) || n != n {
			e.buf.WriteString("null")
			return
		}
	}
	e.buf.WriteString(formatG(n, int(e.cfg.encodeNumberPrecision)))
}

// value appends v; h is the Lua stack height in the C implementation with
// v on top, which bounds nesting through lua_checkstack.
func (e *jsonEncoder) value(v lua.LValue, depth, h int) {
	switch x := v.(type) {
	case lua.LString:
		e.str(string(x))
	case lua.LNumber:
		e.number(float64(x))
	case lua.LBool:
		if x {
			e.buf.WriteString("true")
		} else {
			e.buf.WriteString("false")
		}
	case *lua.LNilType:
		e.buf.WriteString("null")
	case *lua.LTable:
		depth++
		if !(depth <= int(e.cfg.encodeMaxDepth) && h+3 <= luaMaxCStack) {
			raise(e.L, "Cannot serialise, excessive nesting (%d)", depth)
		}
		if n := e.arrayLength(x); n > 0 {
			e.array(x, int(n), depth, h)
		} else {
			e.object(x, depth, h)
		}
	default:
		if v == Null {
			e.buf.WriteString("null")
			return
		}
		e.fail(typeName(v), "type not supported")
	}
}

// arrayLength is lua_array_length: the array size to encode, or a value
// below 1 for tables encoded as objects. Its arithmetic is on C ints.
func (e *jsonEncoder) arrayLength(t *lua.LTable) int32 {
	var max, items int32
	huge := false
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		n, ok := k.(lua.LNumber)
		if !ok || n == 0 || math.Floor(float64(n)) != float64(n) || n < 1 {
			return -1
		}
		if n >= 2147483648.0 {
			huge = true
		}
		if float64(n) > float64(max) {
			max = d2i32(float64(n))
		}
		items++
	}
	if huge {
		// Keys past INT_MAX wrap the running maximum in C, so the result
		// depends on traversal order: redo it in the order Lua 5.1 uses.
		max = 0
		for _, k := range pairsInLua51Order(t) {
			if n := float64(k.(lua.LNumber)); n > float64(max) {
				max = d2i32(n)
			}
		}
	}
	ratio := e.cfg.sparseRatio
	if ratio > 0 && max > items*ratio && max > e.cfg.sparseSafe {
		if e.cfg.sparseConvert == 0 {
			e.fail("table", "excessively sparse array")
		}
		return -1
	}
	return max
}

func (e *jsonEncoder) array(t *lua.LTable, n, depth, h int) {
	e.buf.WriteByte('[')
	for i := 1; i <= n; i++ {
		if i > 1 {
			e.buf.WriteByte(',')
		}
		e.value(t.RawGet(lua.LNumber(i)), depth, h+1)
	}
	e.buf.WriteByte(']')
}

func (e *jsonEncoder) object(t *lua.LTable, depth, h int) {
	e.buf.WriteByte('{')
	for i, k := range pairsInLua51Order(t) {
		if i > 0 {
			e.buf.WriteByte(',')
		}
		switch x := k.(type) {
		case lua.LNumber:
			e.buf.WriteByte('"')
			e.number(float64(x))
			e.buf.WriteString(`":`)
		case lua.LString:
			e.str(string(x))
			e.buf.WriteByte(':')
		default:
			e.fail(typeName(k), "table key must be a number or string")
		}
		e.value(t.RawGet(k), depth, h+2)
	}
	e.buf.WriteByte('}')
}

// ===== decoding =====

type jsonTokenType int

const (
	tObjBegin jsonTokenType = iota
	tObjEnd
	tArrBegin
	tArrEnd
	tString
	tNumber
	tBoolean
	tNull
	tColon
	tComma
	tEnd
	tWhitespace
	tError
	tUnknown
)

var jsonTokenNames = []string{
	"T_OBJ_BEGIN", "T_OBJ_END", "T_ARR_BEGIN", "T_ARR_END", "T_STRING",
	"T_NUMBER", "T_BOOLEAN", "T_NULL", "T_COLON", "T_COMMA", "T_END",
	"T_WHITESPACE", "T_ERROR", "T_UNKNOWN",
}

var jsonCharTokens = func() [256]jsonTokenType {
	var t [256]jsonTokenType
	for i := range t {
		t[i] = tError
	}
	t['{'], t['}'], t['['], t[']'] = tObjBegin, tObjEnd, tArrBegin, tArrEnd
	t[','], t[':'], t[0] = tComma, tColon, tEnd
	t[' '], t['\t'], t['\n'], t['\r'] = tWhitespace, tWhitespace, tWhitespace, tWhitespace
	for _, c := range []byte("fiInNt\"+-0123456789") {
		t[c] = tUnknown
	}
	return t
}()

var jsonEscapeChars = func() [256]byte {
	var t [256]byte
	t['"'], t['\\'], t['/'] = '"', '\\', '/'
	t['b'], t['t'], t['n'], t['f'], t['r'] = '\b', '\t', '\n', '\f', '\r'
	t['u'] = 'u'
	return t
}()

type jsonToken struct {
	typ    jsonTokenType
	index  int
	str    string
	num    float64
	b      bool
	errMsg string
}

type jsonParser struct {
	L     *lua.LState
	cfg   *cjsonConfig
	data  string
	ptr   int
	depth int
	tmp   []byte
	pairs []lua.LValue
}

// at reads the input as the NUL-terminated C string the parser walks.
func (p *jsonParser) at(i int) byte {
	if i < len(p.data) {
		return p.data[i]
	}
	return 0
}

func (c *cjsonConfig) decode(L *lua.LState) int {
	if L.GetTop() != 1 {
		argError(L, 1, "expected 1 argument")
	}
	s := checkLString(L, 1)
	// Only the first two bytes are checked: a JSON text starts with an
	// ASCII character, so a NUL there means a wider encoding.
	if len(s) >= 2 && (s[0] == 0 || s[1] == 0) {
		raise(L, "JSON parser does not support UTF-16 or UTF-32")
	}
	p := &jsonParser{L: L, cfg: c, data: s}
	var tok jsonToken
	p.next(&tok)
	v := p.value(&tok, 1)
	p.next(&tok)
	if tok.typ != tEnd {
		p.parseError("the end", &tok)
	}
	L.Push(v)
	return 1
}

func (p *jsonParser) tokenError(tok *jsonToken, msg string) {
	tok.typ = tError
	tok.index = p.ptr
	tok.errMsg = msg
}

func (p *jsonParser) parseError(expected string, tok *jsonToken) {
	found := jsonTokenNames[tok.typ]
	if tok.typ == tError {
		found = tok.errMsg
	}
	raise(p.L, "Expected %s but found %s at character %d", expected, found, tok.index+1)
}

// invalidNumber is json_is_invalid_number: forms strtod accepts but JSON
// does not (leading '+', hex, leading zeros, inf, nan).
func (p *jsonParser) invalidNumber() bool {
	i := p.ptr
	if p.at(i) == '+' {
		return true
	}
	if p.at(i) == '-' {
		i++
	}
	c := p.at(i)
	if c == '0' {
		c2 := p.at(i + 1)
		return c2|0x20 == 'x' || isDigit(c2)
	}
	// A signed char comparison: bytes from 0x80 up count as "<= '9'".
	if c <= '9' || c >= 0x80 {
		return false
	}
	rest := p.data[i:]
	return hasPrefixFold(rest, "inf") || hasPrefixFold(rest, "nan")
}

func (p *jsonParser) numberToken(tok *jsonToken) {
	tok.typ = tNumber
	// strtod stops at the first byte that cannot continue a number, which
	// includes the NUL ending the C string.
	d, n := strtod(p.data[p.ptr:])
	if n == 0 {
		p.tokenError(tok, "invalid number")
		return
	}
	tok.num = d
	p.ptr += n
}

func (p *jsonParser) next(tok *jsonToken) {
	var ch byte
	for {
		ch = p.at(p.ptr)
		tok.typ = jsonCharTokens[ch]
		if tok.typ != tWhitespace {
			break
		}
		p.ptr++
	}
	tok.index = p.ptr
	switch tok.typ {
	case tError:
		p.tokenError(tok, "invalid token")
		return
	case tEnd:
		return
	case tUnknown:
	default:
		p.ptr++
		return
	}
	rest := p.data[p.ptr:]
	switch {
	case ch == '"':
		p.stringToken(tok)
	case ch == '-' || isDigit(ch):
		if p.cfg.decodeInvalidNumbers == 0 && p.invalidNumber() {
			p.tokenError(tok, "invalid number")
			return
		}
		p.numberToken(tok)
	case strings.HasPrefix(rest, "true"):
		tok.typ = tBoolean
		tok.b = true
		p.ptr += 4
	case strings.HasPrefix(rest, "false"):
		tok.typ = tBoolean
		tok.b = false
		p.ptr += 5
	case strings.HasPrefix(rest, "null"):
		tok.typ = tNull
		p.ptr += 4
	case p.cfg.decodeInvalidNumbers != 0 && p.invalidNumber():
		p.numberToken(tok)
	default:
		p.tokenError(tok, "invalid token")
	}
}

func hexValue(c byte) int {
	switch {
	case isDigit(c):
		return int(c - '0')
	case c|0x20 >= 'a' && c|0x20 <= 'f':
		return int(c|0x20-'a') + 10
	}
	return -1
}

func (p *jsonParser) hex4(i int) int {
	v := 0
	for k := 0; k < 4; k++ {
		d := hexValue(p.at(i + k))
		if d < 0 {
			return -1
		}
		v = v<<4 | d
	}
	return v
}

// unicodeEscape decodes the \uXXXX (or surrogate pair) at p.ptr into
// p.tmp as UTF-8 and moves past it.
func (p *jsonParser) unicodeEscape() bool {
	cp := p.hex4(p.ptr + 2)
	if cp < 0 {
		return false
	}
	escLen := 6
	if cp&0xF800 == 0xD800 {
		if cp&0x400 != 0 {
			return false
		}
		if p.at(p.ptr+6) != '\\' || p.at(p.ptr+7) != 'u' {
			return false
		}
		low := p.hex4(p.ptr + 8)
		if low < 0 || low&0xFC00 != 0xDC00 {
			return false
		}
		cp = ((cp&0x3FF)<<10 | low&0x3FF) + 0x10000
		escLen = 12
	}
	switch {
	case cp <= 0x7F:
		p.tmp = append(p.tmp, byte(cp))
	case cp <= 0x7FF:
		p.tmp = append(p.tmp, byte(cp>>6)|0xC0, byte(cp&0x3F)|0x80)
	case cp <= 0xFFFF:
		p.tmp = append(p.tmp, byte(cp>>12)|0xE0, byte(cp>>6&0x3F)|0x80, byte(cp&0x3F)|0x80)
	default:
		p.tmp = append(p.tmp, byte(cp>>18)|0xF0, byte(cp>>12&0x3F)|0x80, byte(cp>>6&0x3F)|0x80, byte(cp&0x3F)|0x80)
	}
	p.ptr += escLen
	return true
}

func (p *jsonParser) stringToken(tok *jsonToken) {
	p.ptr++
	p.tmp = p.tmp[:0]
	for {
		ch := p.at(p.ptr)
		if ch == '"' {
			break
		}
		if ch == 0 {
			p.tokenError(tok, "unexpected end of string")
			return
		}
		if ch == '\\' {
			ch = jsonEscapeChars[p.at(p.ptr+1)]
			if ch == 'u' {
				if p.unicodeEscape() {
					continue
				}
				p.tokenError(tok, "invalid unicode escape code")
				return
			}
			if ch == 0 {
				p.tokenError(tok, "invalid escape code")
				return
			}
			p.ptr++
		}
		p.tmp = append(p.tmp, ch)
		p.ptr++
	}
	p.ptr++
	tok.typ = tString
	tok.str = string(p.tmp)
}

// descend enforces the nesting limit and, through h, the C stack budget
// (h slots in use, slots more needed).
func (p *jsonParser) descend(slots, h int) {
	p.depth++
	if p.depth <= int(p.cfg.decodeMaxDepth) && h+slots <= luaMaxCStack {
		return
	}
	raise(p.L, "Found too many nested data structures (%d) at character %d", p.depth, p.ptr)
}

// value converts the token into a Lua value; h is the C stack height
// before that value is pushed.
func (p *jsonParser) value(tok *jsonToken, h int) lua.LValue {
	switch tok.typ {
	case tString:
		return lua.LString(tok.str)
	case tNumber:
		return lua.LNumber(tok.num)
	case tBoolean:
		return lua.LBool(tok.b)
	case tObjBegin:
		return p.object(h)
	case tArrBegin:
		return p.array(h)
	case tNull:
		return Null
	}
	p.parseError("value", tok)
	return lua.LNil
}

func (p *jsonParser) object(h int) lua.LValue {
	p.descend(3, h)
	// Members are collected on a shared stack first so the table can be
	// created with its final size: gopher-lua otherwise allocates a large
	// map for the first string key.
	mark := len(p.pairs)
	var tok jsonToken
	p.next(&tok)
	if tok.typ != tObjEnd {
		for {
			if tok.typ != tString {
				p.parseError("object key string", &tok)
			}
			key := lua.LString(tok.str)
			p.next(&tok)
			if tok.typ != tColon {
				p.parseError("colon", &tok)
			}
			p.next(&tok)
			v := p.value(&tok, h+2)
			p.pairs = append(p.pairs, key, v)
			p.next(&tok)
			if tok.typ == tObjEnd {
				break
			}
			if tok.typ != tComma {
				p.parseError("comma or object end", &tok)
			}
			p.next(&tok)
		}
	}
	p.depth--
	// An empty but allocated array part marks the table as built one key
	// at a time, as Lua CJSON builds it (see luatable.go).
	t := p.L.CreateTable(1, (len(p.pairs)-mark)/2)
	for i := mark; i < len(p.pairs); i += 2 {
		t.RawSetString(string(p.pairs[i].(lua.LString)), p.pairs[i+1])
	}
	clear(p.pairs[mark:])
	p.pairs = p.pairs[:mark]
	return t
}

func (p *jsonParser) array(h int) lua.LValue {
	p.descend(2, h)
	t := p.L.CreateTable(0, 0)
	var tok jsonToken
	p.next(&tok)
	if tok.typ == tArrEnd {
		p.depth--
		return t
	}
	for i := 1; ; i++ {
		t.RawSetInt(i, p.value(&tok, h+1))
		p.next(&tok)
		if tok.typ == tArrEnd {
			p.depth--
			return t
		}
		if tok.typ != tComma {
			p.parseError("comma or array end", &tok)
		}
		p.next(&tok)
	}
}
