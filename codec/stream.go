package codec

import (
	"encoding/binary"
	"errors"
	"math"
	"strconv"
)

// Streams. A stream's records, all under its collection version:
//
//	'x' version | ms (8) | seq (8)                       entry: uvarint n, then n
//	                                                     length-prefixed field and
//	                                                     value strings, alternating
//	'X' version | 'n' | ms | seq                         node (see below): valid (8)
//	                                                     | deleted (8) | bytes (8) |
//	                                                     last id (16)
//	'X' version | 'g' | group                            group: last-delivered id (16)
//	                                                     | entries-read (8, -1 =
//	                                                     unknown) | pel (8) |
//	                                                     consumers (8) | first
//	                                                     pending id (16)
//	'X' version | 'p' | len(group) (4) | group | id      group PEL: delivery time (8)
//	                                                     | delivery count (8) |
//	                                                     consumer name
//	'X' version | 'c' | len(group) (4) | group | name    consumer: seen time (8) |
//	                                                     pending (8) | first
//	                                                     pending id (16)
//	'X' version | 'q' | len(group) | group |             empty: the consumer's own
//	    len(consumer) (4) | consumer | id                PEL, an index of 'p'
//
// The stream's own counters (last id, max deleted id, recorded first id,
// entries added, group and node counts) ride in its metadata record
// (StreamState), and its length is Meta.Count, so XLEN is one read. Scans
// that start at the head (ranges, trimming) seek to the recorded first
// entry and first node, never across the deleted records of a stream that
// is trimmed as it grows.
//
// Nodes mirror Redis's radix-tree nodes (listpacks of up to
// stream-node-max-entries entries or stream-node-max-bytes bytes): an entry
// belongs to the node with the greatest master id not above it. They hold no
// data; they exist so that approximate trimming (`~`) removes the same whole
// nodes Redis would, and XINFO's radix-tree-keys is the node count.

// StreamID is a stream entry id, <ms>-<seq>.
type StreamID struct{ Ms, Seq uint64 }

// MaxStreamID is the largest id, also the "+" of ranges.
var MaxStreamID = StreamID{math.MaxUint64, math.MaxUint64}

// Compare returns -1, 0 or 1 as a is below, equal to or above b.
func (a StreamID) Compare(b StreamID) int {
	switch {
	case a.Ms < b.Ms:
		return -1
	case a.Ms > b.Ms:
		return 1
	case a.Seq < b.Seq:
		return -1
	case a.Seq > b.Seq:
		return 1
	}
	return 0
}

// IsZero reports whether a is 0-0.
func (a StreamID) IsZero() bool { return a.Ms == 0 && a.Seq == 0 }

// Incr returns the next id; ok is false when a is the largest (which wraps
// to 0-0, as in Redis).
func (a StreamID) Incr() (StreamID, bool) {
	if a.Seq == math.MaxUint64 {
		if a.Ms == math.MaxUint64 {
			return StreamID{}, false
		}
		return StreamID{a.Ms + 1, 0}, true
	}
	return StreamID{a.Ms, a.Seq + 1}, true
}

// Decr returns the previous id; ok is false when a is 0-0 (which wraps to
// the largest id, as in Redis).
func (a StreamID) Decr() (StreamID, bool) {
	if a.Seq == 0 {
		if a.Ms == 0 {
			return MaxStreamID, false
		}
		return StreamID{a.Ms - 1, math.MaxUint64}, true
	}
	return StreamID{a.Ms, a.Seq - 1}, true
}

// String formats a as Redis does: <ms>-<seq>.
func (a StreamID) String() string {
	b := strconv.AppendUint(make([]byte, 0, 41), a.Ms, 10)
	b = append(b, '-')
	return string(strconv.AppendUint(b, a.Seq, 10))
}

// AppendStreamID appends the 16-byte big-endian form of id (byte order is
// id order).
func AppendStreamID(b []byte, id StreamID) []byte {
	b = binary.BigEndian.AppendUint64(b, id.Ms)
	return binary.BigEndian.AppendUint64(b, id.Seq)
}

// DecodeStreamID reads the 16-byte form.
func DecodeStreamID(b []byte) StreamID {
	return StreamID{binary.BigEndian.Uint64(b), binary.BigEndian.Uint64(b[8:])}
}

// ParseStreamID parses an id as a client gives it (Redis's
// streamGenericParseIDOrReply): "-" and "+" unless strict, "<ms>" (the
// sequence is then missingSeq) or "<ms>-<seq>", and when seqStar is set
// "<ms>-*" too, which reports seqGiven false. Numbers follow Redis's
// string2ull, which falls back on strtoull (so "+5" and " 5" are 5).
func ParseStreamID(b []byte, missingSeq uint64, strict, seqStar bool) (id StreamID, seqGiven bool, ok bool) {
	if len(b) > 127 {
		return StreamID{}, false, false
	}
	if len(b) == 1 && (b[0] == '-' || b[0] == '+') {
		if strict {
			return StreamID{}, false, false
		}
		if b[0] == '-' {
			return StreamID{}, true, true
		}
		return MaxStreamID, true, true
	}
	// A NUL ends the string for the C parser.
	for i, c := range b {
		if c == 0 {
			b = b[:i]
			break
		}
	}
	msPart, seqPart, hasSeq := b, []byte(nil), false
	for i, c := range b {
		if c == '-' {
			msPart, seqPart, hasSeq = b[:i], b[i+1:], true
			break
		}
	}
	ms, ok := parseULL(msPart)
	if !ok {
		return StreamID{}, false, false
	}
	seq, seqGiven := missingSeq, true
	if hasSeq {
		if seqStar && len(seqPart) == 1 && seqPart[0] == '*' {
			seq, seqGiven = 0, false
		} else if seq, ok = parseULL(seqPart); !ok {
			return StreamID{}, false, false
		}
	}
	return StreamID{ms, seq}, seqGiven, true
}

// parseULL is Redis's string2ull: a non-negative long long, or else what
// strtoull(s, &end, 10) accepts in full (leading space, a sign, a negative
// number wrapping around).
func parseULL(b []byte) (uint64, bool) {
	if v, ok := ParseInt(b); ok {
		return uint64(v), v >= 0
	}
	i := 0
	for i < len(b) && (b[i] == ' ' || (b[i] >= '\t' && b[i] <= '\r')) {
		i++
	}
	neg := false
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		neg = b[i] == '-'
		i++
	}
	if i == len(b) {
		return 0, false
	}
	var v uint64
	for ; i < len(b); i++ {
		c := b[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if v > (math.MaxUint64-d)/10 {
			return 0, false // ERANGE
		}
		v = v*10 + d
	}
	if neg {
		v = -v
	}
	return v, true
}

// StreamState is the stream-specific part of a stream's metadata record.
type StreamState struct {
	LastID       StreamID // last-generated-id
	MaxDeleted   StreamID // max-deleted-entry-id
	FirstID      StreamID // recorded-first-entry-id
	EntriesAdded int64
	Groups       int64
	Nodes        int64
	// HeadNode is the master id of the first node record: scans of the
	// node records start there rather than cross the records of nodes
	// trimmed away.
	HeadNode StreamID
}

const streamStateLen = 4*16 + 3*8

func appendStreamState(b []byte, s *StreamState) []byte {
	b = AppendStreamID(b, s.LastID)
	b = AppendStreamID(b, s.MaxDeleted)
	b = AppendStreamID(b, s.FirstID)
	b = binary.BigEndian.AppendUint64(b, uint64(s.EntriesAdded))
	b = binary.BigEndian.AppendUint64(b, uint64(s.Groups))
	b = binary.BigEndian.AppendUint64(b, uint64(s.Nodes))
	return AppendStreamID(b, s.HeadNode)
}

func decodeStreamState(b []byte) (StreamState, bool) {
	if len(b) < streamStateLen {
		return StreamState{}, false
	}
	return StreamState{
		LastID:       DecodeStreamID(b),
		MaxDeleted:   DecodeStreamID(b[16:]),
		FirstID:      DecodeStreamID(b[32:]),
		EntriesAdded: int64(binary.BigEndian.Uint64(b[48:])),
		Groups:       int64(binary.BigEndian.Uint64(b[56:])),
		Nodes:        int64(binary.BigEndian.Uint64(b[64:])),
		HeadNode:     DecodeStreamID(b[72:]),
	}, true
}

// Record tags of streams.
const (
	TagStreamEntry byte = 'x'
	TagStreamAux   byte = 'X'
)

// Kinds of 'X' records, the byte after the version.
const (
	streamNode        byte = 'n'
	streamGroup       byte = 'g'
	streamPEL         byte = 'p'
	streamConsumer    byte = 'c'
	streamConsumerPEL byte = 'q'
)

// StreamEntryKey is the record of entry id.
func StreamEntryKey(version uint64, id StreamID) []byte {
	return AppendStreamID(MemberPrefix(TagStreamEntry, version), id)
}

// StreamIDFromEntryKey decodes an entry key's id.
func StreamIDFromEntryKey(k []byte) StreamID { return DecodeStreamID(k[9:]) }

func streamAux(version uint64, kind byte, n int) []byte {
	k := make([]byte, 10, 10+n)
	k[0] = TagStreamAux
	binary.BigEndian.PutUint64(k[1:], version)
	k[9] = kind
	return k
}

func appendLenPrefixed(k, s []byte) []byte {
	k = binary.BigEndian.AppendUint32(k, uint32(len(s)))
	return append(k, s...)
}

// StreamNodePrefix is the prefix of a stream's node records.
func StreamNodePrefix(version uint64) []byte { return streamAux(version, streamNode, 16) }

// StreamNodeKey is the record of the node whose master id is id.
func StreamNodeKey(version uint64, id StreamID) []byte {
	return AppendStreamID(StreamNodePrefix(version), id)
}

// StreamIDFromNodeKey decodes a node key's master id.
func StreamIDFromNodeKey(k []byte) StreamID { return DecodeStreamID(k[10:]) }

// StreamGroupPrefix is the prefix of a stream's group records.
func StreamGroupPrefix(version uint64) []byte { return streamAux(version, streamGroup, 16) }

// StreamGroupKey is the record of group name.
func StreamGroupKey(version uint64, name []byte) []byte {
	return append(StreamGroupPrefix(version), name...)
}

// StreamGroupFromKey returns a group key's name; it aliases k.
func StreamGroupFromKey(k []byte) []byte { return k[10:] }

// StreamPELPrefix is the prefix of group's pending entries.
func StreamPELPrefix(version uint64, group []byte) []byte {
	return appendLenPrefixed(streamAux(version, streamPEL, 4+len(group)+16), group)
}

// StreamPELKey is group's pending-entry record for id.
func StreamPELKey(version uint64, group []byte, id StreamID) []byte {
	return AppendStreamID(StreamPELPrefix(version, group), id)
}

// StreamConsumerPrefix is the prefix of group's consumer records.
func StreamConsumerPrefix(version uint64, group []byte) []byte {
	return appendLenPrefixed(streamAux(version, streamConsumer, 4+len(group)+16), group)
}

// StreamConsumerKey is the record of consumer name in group.
func StreamConsumerKey(version uint64, group, name []byte) []byte {
	return append(StreamConsumerPrefix(version, group), name...)
}

// StreamConsumerPELPrefix is the prefix of one consumer's pending index.
func StreamConsumerPELPrefix(version uint64, group, consumer []byte) []byte {
	k := appendLenPrefixed(streamAux(version, streamConsumerPEL, 8+len(group)+len(consumer)+16), group)
	return appendLenPrefixed(k, consumer)
}

// StreamConsumerPELKey is consumer's pending-index record for id.
func StreamConsumerPELKey(version uint64, group, consumer []byte, id StreamID) []byte {
	return AppendStreamID(StreamConsumerPELPrefix(version, group, consumer), id)
}

// IDFromTail decodes the id in the last 16 bytes of a key (PEL records).
func IDFromTail(k []byte) StreamID { return DecodeStreamID(k[len(k)-16:]) }

// ErrCorruptStream reports a stream record that cannot be decoded.
var ErrCorruptStream = errors.New("corrupt stream record")

// EncodeStreamFields encodes an entry's alternating fields and values.
func EncodeStreamFields(fv [][]byte) []byte {
	n := binary.MaxVarintLen64
	for _, f := range fv {
		n += binary.MaxVarintLen32 + len(f)
	}
	b := make([]byte, 0, n)
	b = binary.AppendUvarint(b, uint64(len(fv)))
	for _, f := range fv {
		b = binary.AppendUvarint(b, uint64(len(f)))
		b = append(b, f...)
	}
	return b
}

// DecodeStreamFields reverses EncodeStreamFields; the strings are copies.
func DecodeStreamFields(b []byte) ([][]byte, error) {
	n, w := binary.Uvarint(b)
	if w <= 0 || n > uint64(len(b)) {
		return nil, ErrCorruptStream
	}
	b = b[w:]
	out := make([][]byte, n)
	for i := range out {
		l, w := binary.Uvarint(b)
		if w <= 0 || uint64(len(b)-w) < l {
			return nil, ErrCorruptStream
		}
		out[i] = append([]byte{}, b[w:w+int(l)]...)
		b = b[w+int(l):]
	}
	return out, nil
}

// StreamNode is a node record's value.
type StreamNode struct {
	Valid, Deleted, Bytes int64
	Last                  StreamID
}

// EncodeStreamNode serializes n.
func EncodeStreamNode(n StreamNode) []byte {
	b := make([]byte, 0, 40)
	b = binary.BigEndian.AppendUint64(b, uint64(n.Valid))
	b = binary.BigEndian.AppendUint64(b, uint64(n.Deleted))
	b = binary.BigEndian.AppendUint64(b, uint64(n.Bytes))
	return AppendStreamID(b, n.Last)
}

// DecodeStreamNode reverses EncodeStreamNode.
func DecodeStreamNode(b []byte) (StreamNode, error) {
	if len(b) != 40 {
		return StreamNode{}, ErrCorruptStream
	}
	return StreamNode{
		Valid:   int64(binary.BigEndian.Uint64(b)),
		Deleted: int64(binary.BigEndian.Uint64(b[8:])),
		Bytes:   int64(binary.BigEndian.Uint64(b[16:])),
		Last:    DecodeStreamID(b[24:]),
	}, nil
}

// StreamGroup is a group record's value.
type StreamGroup struct {
	LastID      StreamID
	EntriesRead int64 // -1: unknown
	Pending     int64
	Consumers   int64
	// PELHead is the smallest pending id (0-0 when none is pending):
	// scans of the PEL start there rather than cross the records of
	// acknowledged entries.
	PELHead StreamID
}

// EncodeStreamGroup serializes g.
func EncodeStreamGroup(g StreamGroup) []byte {
	b := AppendStreamID(make([]byte, 0, 56), g.LastID)
	b = binary.BigEndian.AppendUint64(b, uint64(g.EntriesRead))
	b = binary.BigEndian.AppendUint64(b, uint64(g.Pending))
	b = binary.BigEndian.AppendUint64(b, uint64(g.Consumers))
	return AppendStreamID(b, g.PELHead)
}

// DecodeStreamGroup reverses EncodeStreamGroup.
func DecodeStreamGroup(b []byte) (StreamGroup, error) {
	if len(b) != 56 {
		return StreamGroup{}, ErrCorruptStream
	}
	return StreamGroup{
		LastID:      DecodeStreamID(b),
		EntriesRead: int64(binary.BigEndian.Uint64(b[16:])),
		Pending:     int64(binary.BigEndian.Uint64(b[24:])),
		Consumers:   int64(binary.BigEndian.Uint64(b[32:])),
		PELHead:     DecodeStreamID(b[40:]),
	}, nil
}

// StreamNACK is a pending entry's value.
type StreamNACK struct {
	DeliveryTime  int64
	DeliveryCount int64
	Consumer      []byte
}

// EncodeStreamNACK serializes n.
func EncodeStreamNACK(n StreamNACK) []byte {
	b := make([]byte, 0, 16+len(n.Consumer))
	b = binary.BigEndian.AppendUint64(b, uint64(n.DeliveryTime))
	b = binary.BigEndian.AppendUint64(b, uint64(n.DeliveryCount))
	return append(b, n.Consumer...)
}

// DecodeStreamNACK reverses EncodeStreamNACK; Consumer is a copy.
func DecodeStreamNACK(b []byte) (StreamNACK, error) {
	if len(b) < 16 {
		return StreamNACK{}, ErrCorruptStream
	}
	return StreamNACK{
		DeliveryTime:  int64(binary.BigEndian.Uint64(b)),
		DeliveryCount: int64(binary.BigEndian.Uint64(b[8:])),
		Consumer:      append([]byte{}, b[16:]...),
	}, nil
}

// StreamConsumer is a consumer record's value.
type StreamConsumer struct {
	SeenTime int64
	Pending  int64
	PELHead  StreamID // smallest id the consumer owns (0-0: none)
}

// EncodeStreamConsumer serializes c.
func EncodeStreamConsumer(c StreamConsumer) []byte {
	b := binary.BigEndian.AppendUint64(make([]byte, 0, 32), uint64(c.SeenTime))
	b = binary.BigEndian.AppendUint64(b, uint64(c.Pending))
	return AppendStreamID(b, c.PELHead)
}

// DecodeStreamConsumer reverses EncodeStreamConsumer.
func DecodeStreamConsumer(b []byte) (StreamConsumer, error) {
	if len(b) != 32 {
		return StreamConsumer{}, ErrCorruptStream
	}
	return StreamConsumer{int64(binary.BigEndian.Uint64(b)), int64(binary.BigEndian.Uint64(b[8:])), DecodeStreamID(b[16:])}, nil
}
