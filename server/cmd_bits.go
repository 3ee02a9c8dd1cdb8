package server

import (
	"errors"
	"math"
	"strings"

	"moonstone/codec"
	"moonstone/storage"
)

// Bitmap commands (SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP, BITFIELD,
// BITFIELD_RO) and LCS. Arguments are checked in Redis's order: some
// errors come before the key is looked up and some after, so a handler
// hands the latter to storage (BitRange.Err, LCSOptions.Err), which reports
// them only once the key turns out to be a string.

const (
	errBitOffset    = "ERR bit offset is not an integer or out of range"
	errBitValue     = "ERR bit is not an integer or out of range"
	errBitArg       = "ERR The bit argument must be 1 or 0."
	errBitfieldType = "ERR Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 is."
)

// bitOffset parses argument i as a bit offset below proto-max-bulk-len
// bytes. With width > 0 it also accepts "#n", meaning n*width (BITFIELD).
// An n*width that overflows is refused, where Redis would wrap around.
func (c *Call) bitOffset(i int, width int64) (int64, bool) {
	p := c.Args[i]
	hash := width > 0 && len(p) > 0 && p[0] == '#'
	if hash {
		p = p[1:]
	}
	n, ok := codec.ParseInt(p)
	if ok && hash {
		if n > math.MaxInt64/width || n < math.MinInt64/width {
			ok = false
		}
		n *= width
	}
	if !ok || n < 0 || n>>3 >= c.Srv.cfg.ProtoMaxBulkLen() {
		c.Error(errBitOffset)
		return 0, false
	}
	return n, true
}

func cmdSetBit(c *Call) {
	off, ok := c.bitOffset(2, 0)
	if !ok {
		return
	}
	on, ok := codec.ParseInt(c.Args[3])
	if !ok || on&^1 != 0 {
		c.Error(errBitValue)
		return
	}
	prevLen := c.notifyStrLen(c.Args[1])
	old, err := c.Tx.SetBit(c.DB(), c.Args[1], off, on == 1)
	if err != nil {
		c.Err(err)
		return
	}
	c.notifySetBit(prevLen, off, old, on == 1)
	c.r.Int(old)
}

func cmdGetBit(c *Call) {
	off, ok := c.bitOffset(2, 0)
	if !ok {
		return
	}
	bit, err := c.Tx.GetBit(c.DB(), c.Args[1], off)
	if err != nil {
		c.Err(err)
		return
	}
	c.r.Int(bit)
}

var (
	errSyntaxValue     = errors.New(errSyntax)
	errNotIntegerValue = errors.New(errNotInteger)
)

// bitUnit parses a BYTE|BIT argument.
func bitUnit(arg []byte) (bits bool, err error) {
	switch strings.ToLower(string(arg)) {
	case "bit":
		return true, nil
	case "byte":
		return false, nil
	}
	return false, errSyntaxValue
}

// BITCOUNT key [start end [BYTE|BIT]]
func cmdBitCount(c *Call) {
	var r storage.BitRange
	switch n := len(c.Args); {
	case n == 4 || n == 5:
		r.Given, r.EndGiven = true, true
		var ok1, ok2 bool
		r.Start, ok1 = codec.ParseInt(c.Args[2])
		r.End, ok2 = codec.ParseInt(c.Args[3])
		switch {
		case !ok1 || !ok2:
			r.Err = errNotIntegerValue
		case r.Start < 0 && r.End < 0 && r.Start > r.End:
			r.Empty = true
		case n == 5:
			r.Bits, r.Err = bitUnit(c.Args[4])
		}
	case n != 2:
		r.Err = errSyntaxValue
	}
	count, err := c.Tx.BitCount(c.DB(), c.Args[1], r)
	if err != nil {
		c.Err(err)
		return
	}
	c.r.Int(count)
}

// BITPOS key bit [start [end [BYTE|BIT]]]
func cmdBitPos(c *Call) {
	bit, ok := c.Int(2)
	if !ok {
		return
	}
	if bit != 0 && bit != 1 {
		c.Error(errBitArg)
		return
	}
	var r storage.BitRange
	switch n := len(c.Args); {
	case n >= 4 && n <= 6:
		r.Given = true
		var ok bool
		if r.Start, ok = codec.ParseInt(c.Args[3]); !ok {
			r.Err = errNotIntegerValue
			break
		}
		if n == 6 {
			if r.Bits, r.Err = bitUnit(c.Args[5]); r.Err != nil {
				break
			}
		}
		if n >= 5 {
			r.EndGiven = true
			if r.End, ok = codec.ParseInt(c.Args[4]); !ok {
				r.Err = errNotIntegerValue
			}
		}
	case n != 3:
		r.Err = errSyntaxValue
	}
	pos, err := c.Tx.BitPos(c.DB(), c.Args[1], byte(bit), r)
	if err != nil {
		c.Err(err)
		return
	}
	c.r.Int(pos)
}

// BITOP AND|OR|XOR|NOT destkey key [key ...]
func cmdBitOp(c *Call) {
	var op storage.BitOpKind
	switch c.Arg(1) {
	case "and":
		op = storage.BitAnd
	case "or":
		op = storage.BitOr
	case "xor":
		op = storage.BitXor
	case "not":
		op = storage.BitNot
	default:
		c.Error(errSyntax)
		return
	}
	if op == storage.BitNot && len(c.Args) != 4 {
		c.Error("ERR BITOP NOT must be called with a single source key.")
		return
	}
	existed := c.NotifyExists(c.Args[2])
	n, err := c.Tx.BitOp(c.DB(), op, c.Args[2], c.Args[3:])
	if err != nil {
		c.Err(err)
		return
	}
	c.NotifyStore(notifyString, "set", c.Args[2], n, existed)
	c.r.Int(n)
}

// bitfieldType parses "i1".."i64" or "u1".."u63".
func bitfieldType(arg []byte) (signed bool, width uint, ok bool) {
	if len(arg) == 0 || (arg[0] != 'i' && arg[0] != 'u') {
		return false, 0, false
	}
	signed = arg[0] == 'i'
	n, ok := codec.ParseInt(arg[1:])
	if !ok || n < 1 || (signed && n > 64) || (!signed && n > 63) {
		return false, 0, false
	}
	return signed, uint(n), true
}

// cmdBitField serves BITFIELD and BITFIELD_RO:
// key [GET type offset] [SET type offset value] [INCRBY type offset incr]
// [OVERFLOW WRAP|SAT|FAIL] ...
func cmdBitField(c *Call) {
	var ops []storage.BitFieldOp
	ow := storage.OverflowWrap
	writes := false
	for j := 2; j < len(c.Args); j++ {
		remaining := len(c.Args) - j - 1
		var op storage.BitFieldOp
		switch sub := c.Arg(j); {
		case sub == "get" && remaining >= 2:
			op.Kind = storage.BitFieldGet
		case sub == "set" && remaining >= 3:
			op.Kind = storage.BitFieldSet
		case sub == "incrby" && remaining >= 3:
			op.Kind = storage.BitFieldIncrBy
		case sub == "overflow" && remaining >= 1:
			j++
			switch c.Arg(j) {
			case "wrap":
				ow = storage.OverflowWrap
			case "sat":
				ow = storage.OverflowSat
			case "fail":
				ow = storage.OverflowFail
			default:
				c.Error("ERR Invalid OVERFLOW type specified")
				return
			}
			continue
		default:
			c.Error(errSyntax)
			return
		}
		var ok bool
		if op.Signed, op.Width, ok = bitfieldType(c.Args[j+1]); !ok {
			c.Error(errBitfieldType)
			return
		}
		if op.Offset, ok = c.bitOffset(j+2, int64(op.Width)); !ok {
			return
		}
		op.Overflow = ow
		if op.Kind != storage.BitFieldGet {
			writes = true
			if op.Value, ok = c.Int(j + 3); !ok {
				return
			}
			j++
		}
		j += 2
		ops = append(ops, op)
	}
	if writes && c.Cmd.Name == "bitfield_ro" {
		c.Error("ERR BITFIELD_RO only supports the GET subcommand")
		return
	}
	res, err := c.Tx.BitField(c.DB(), c.Args[1], ops)
	if err != nil {
		c.Err(err)
		return
	}
	c.notifyBitField(ops, res)
	c.r.Array(len(res))
	for _, v := range res {
		if v.Nil {
			c.r.Null()
		} else {
			c.r.Int(v.Value)
		}
	}
}

// LCS key1 key2 [LEN] [IDX] [MINMATCHLEN len] [WITHMATCHLEN]
func cmdLCS(c *Call) {
	var o storage.LCSOptions
	var wantLen, wantIdx, withMatchLen bool
	for j := 3; j < len(c.Args) && o.Err == nil; j++ {
		switch opt := c.Arg(j); {
		case opt == "idx":
			wantIdx = true
		case opt == "len":
			wantLen = true
		case opt == "withmatchlen":
			withMatchLen = true
		case opt == "minmatchlen" && j+1 < len(c.Args):
			j++
			n, ok := codec.ParseInt(c.Args[j])
			if !ok {
				o.Err = errNotIntegerValue
			}
			o.MinMatchLen = max(n, 0)
		default:
			o.Err = errSyntaxValue
		}
	}
	if o.Err == nil && wantLen && wantIdx {
		o.Err = errors.New("ERR If you want both the length and indexes, please just use IDX.")
	}
	res, err := c.Tx.LCS(c.DB(), c.Args[1], c.Args[2], o)
	if err != nil {
		c.Err(err)
		return
	}
	switch {
	case wantIdx:
		c.r.Map(2)
		c.r.BulkString("matches")
		c.r.Array(len(res.Matches))
		for _, m := range res.Matches {
			if withMatchLen {
				c.r.Array(3)
			} else {
				c.r.Array(2)
			}
			c.r.Array(2)
			c.r.Int(m.AStart)
			c.r.Int(m.AEnd)
			c.r.Array(2)
			c.r.Int(m.BStart)
			c.r.Int(m.BEnd)
			if withMatchLen {
				c.r.Int(m.Len)
			}
		}
		c.r.BulkString("len")
		c.r.Int(res.Len)
	case wantLen:
		c.r.Int(res.Len)
	default:
		c.r.Bulk(res.Str)
	}
}
