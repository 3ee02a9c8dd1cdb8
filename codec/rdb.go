package codec

import (
	"encoding/binary"
	"errors"
)

// Redis's RDB encodings, as far as FUNCTION DUMP / FUNCTION RESTORE need
// them (and DUMP / RESTORE of keys would): a payload is RDB records
// followed by the 2-byte RDB version and the CRC64 of everything before
// it, both little-endian.

const (
	// RDBVersion is the RDB format version of Redis 7.0.
	RDBVersion = 10
	// RDBOpcodeFunction2 precedes one function library (its code) in an
	// RDB file or a FUNCTION DUMP payload; RDBOpcodeFunction is the older
	// form of Redis 7.0 release candidates (name, engine, description,
	// code).
	RDBOpcodeFunction2 = 245
	RDBOpcodeFunction  = 246

	rdb6BitLen   = 0
	rdb14BitLen  = 1
	rdbEncVal    = 3
	rdb32BitLen  = 0x80
	rdb64BitLen  = 0x81
	rdbEncInt8   = 0
	rdbEncInt16  = 1
	rdbEncInt32  = 2
	rdbEncLZF    = 3
	payloadFoot  = 10 // version (2) + CRC64 (8)
	maxRDBString = 512 << 20
)

// ErrRDB reports a malformed RDB record.
var ErrRDB = errors.New("malformed RDB data")

// crc64Table is Redis's CRC-64 (Jones polynomial 0xad93d23594c935a9,
// reflected input and output, initial value 0, no final xor): crc64.c.
var crc64Table = func() (t [256]uint64) {
	const poly = 0x95ac9329ac4bc9b5 // 0xad93d23594c935a9 bit-reversed
	for i := range t {
		crc := uint64(i)
		for j := 0; j < 8; j++ {
			if crc&1 == 1 {
				crc = crc>>1 ^ poly
			} else {
				crc >>= 1
			}
		}
		t[i] = crc
	}
	return t
}()

// CRC64 is Redis's crc64(crc, p): the checksum of DUMP payloads and RDB
// files.
func CRC64(crc uint64, p []byte) uint64 {
	for _, b := range p {
		crc = crc64Table[byte(crc)^b] ^ crc>>8
	}
	return crc
}

// AppendRDBLen appends an RDB length.
func AppendRDBLen(b []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(b, byte(n))
	case n < 1<<14:
		return append(b, byte(n>>8)|rdb14BitLen<<6, byte(n))
	case n <= 0xffffffff:
		b = append(b, rdb32BitLen)
		return binary.BigEndian.AppendUint32(b, uint32(n))
	default:
		b = append(b, rdb64BitLen)
		return binary.BigEndian.AppendUint64(b, n)
	}
}

// AppendRDBString appends s as an uncompressed RDB string (every Redis
// version reads it, whatever its rdbcompression setting).
func AppendRDBString(b, s []byte) []byte {
	return append(AppendRDBLen(b, uint64(len(s))), s...)
}

// SealPayload appends the RDB version and the CRC64 that end a DUMP
// payload.
func SealPayload(b []byte) []byte {
	b = binary.LittleEndian.AppendUint16(b, RDBVersion)
	return binary.LittleEndian.AppendUint64(b, CRC64(0, b))
}

// OpenPayload checks a DUMP payload's footer as Redis's verifyDumpPayload
// does (version not newer than ours, CRC64 matching) and returns the
// records before it.
func OpenPayload(p []byte) ([]byte, bool) {
	if len(p) < payloadFoot {
		return nil, false
	}
	foot := p[len(p)-payloadFoot:]
	if binary.LittleEndian.Uint16(foot) > RDBVersion {
		return nil, false
	}
	if binary.LittleEndian.Uint64(foot[2:]) != CRC64(0, p[:len(p)-8]) {
		return nil, false
	}
	return p[:len(p)-payloadFoot], true
}

// RDBReader reads RDB records from a byte slice.
type RDBReader struct {
	b   []byte
	pos int
}

// NewRDBReader reads b.
func NewRDBReader(b []byte) *RDBReader { return &RDBReader{b: b} }

// Len is the number of bytes not read yet.
func (r *RDBReader) Len() int { return len(r.b) - r.pos }

// Byte reads one byte (a record type).
func (r *RDBReader) Byte() (byte, error) {
	if r.pos >= len(r.b) {
		return 0, ErrRDB
	}
	r.pos++
	return r.b[r.pos-1], nil
}

func (r *RDBReader) take(n int) ([]byte, error) {
	if n < 0 || n > r.Len() {
		return nil, ErrRDB
	}
	p := r.b[r.pos : r.pos+n]
	r.pos += n
	return p, nil
}

// length reads an RDB length; encoded is set for the special string
// encodings, whose kind is then returned as the length.
func (r *RDBReader) length() (n uint64, encoded bool, err error) {
	c, err := r.Byte()
	if err != nil {
		return 0, false, err
	}
	switch c >> 6 {
	case rdb6BitLen:
		return uint64(c & 0x3f), false, nil
	case rdb14BitLen:
		d, err := r.Byte()
		return uint64(c&0x3f)<<8 | uint64(d), false, err
	case rdbEncVal:
		return uint64(c & 0x3f), true, nil
	}
	switch c {
	case rdb32BitLen:
		p, err := r.take(4)
		if err != nil {
			return 0, false, err
		}
		return uint64(binary.BigEndian.Uint32(p)), false, nil
	case rdb64BitLen:
		p, err := r.take(8)
		if err != nil {
			return 0, false, err
		}
		return binary.BigEndian.Uint64(p), false, nil
	}
	return 0, false, ErrRDB
}

// Length reads an RDB length.
func (r *RDBReader) Length() (uint64, error) {
	n, encoded, err := r.length()
	if err == nil && encoded {
		err = ErrRDB
	}
	return n, err
}

// String reads an RDB string in any of its encodings (raw, integer, LZF).
// The result is a new slice.
func (r *RDBReader) String() ([]byte, error) {
	n, encoded, err := r.length()
	if err != nil {
		return nil, err
	}
	if !encoded {
		if n > maxRDBString {
			return nil, ErrRDB
		}
		p, err := r.take(int(n))
		return append([]byte{}, p...), err // never nil: an empty element is not "absent"
	}
	switch n {
	case rdbEncInt8:
		p, err := r.take(1)
		if err != nil {
			return nil, err
		}
		return []byte(FormatInt(int64(int8(p[0])))), nil
	case rdbEncInt16:
		p, err := r.take(2)
		if err != nil {
			return nil, err
		}
		return []byte(FormatInt(int64(int16(binary.LittleEndian.Uint16(p))))), nil
	case rdbEncInt32:
		p, err := r.take(4)
		if err != nil {
			return nil, err
		}
		return []byte(FormatInt(int64(int32(binary.LittleEndian.Uint32(p))))), nil
	case rdbEncLZF:
		clen, err := r.Length()
		if err != nil {
			return nil, err
		}
		ulen, err := r.Length()
		if err != nil || ulen > maxRDBString || clen > uint64(r.Len()) {
			return nil, ErrRDB
		}
		p, _ := r.take(int(clen))
		return lzfDecompress(p, int(ulen))
	}
	return nil, ErrRDB
}

// lzfDecompress is liblzf's lzf_decompress: the output must be exactly n
// bytes. n comes from the payload: the buffer grows with what the input
// really expands to (at most 88 times its size), not with n.
func lzfDecompress(in []byte, n int) ([]byte, error) {
	out := make([]byte, 0, min(n, 64+4*len(in)))
	for i := 0; i < len(in); {
		ctrl := int(in[i])
		i++
		if ctrl < 1<<5 { // literal run of ctrl+1 bytes
			ctrl++
			if i+ctrl > len(in) || len(out)+ctrl > n {
				return nil, ErrRDB
			}
			out = append(out, in[i:i+ctrl]...)
			i += ctrl
			continue
		}
		length := ctrl >> 5
		if length == 7 {
			if i >= len(in) {
				return nil, ErrRDB
			}
			length += int(in[i])
			i++
		}
		if i >= len(in) {
			return nil, ErrRDB
		}
		ref := len(out) - (ctrl&0x1f)<<8 - int(in[i]) - 1
		i++
		length += 2
		if ref < 0 || len(out)+length > n {
			return nil, ErrRDB
		}
		for k := 0; k < length; k++ { // may overlap: byte by byte
			out = append(out, out[ref+k])
		}
	}
	if len(out) != n {
		return nil, ErrRDB
	}
	return out, nil
}
