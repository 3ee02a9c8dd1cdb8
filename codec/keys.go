package codec

import (
	"encoding/binary"
	"math"
)

// Record tags: the first byte of every key. See the package comment.
const (
	TagSystem   byte = 0x00
	TagMeta     byte = 'm'
	TagExpiry   byte = 'e'
	TagHash     byte = 'h'
	TagList     byte = 'l'
	TagSet      byte = 's'
	TagZMember  byte = 'z'
	TagZScore   byte = 'Z'
	TagZRank    byte = 'r'
	TagScript   byte = 'S'
	TagFunction byte = 'F'
)

// MetaKey is the key of a user key's metadata record.
func MetaKey(db int, key []byte) []byte {
	k := make([]byte, 0, 2+len(key))
	k = append(k, TagMeta, byte(db))
	return append(k, key...)
}

// MetaPrefix is the prefix shared by every metadata key of db.
func MetaPrefix(db int) []byte { return []byte{TagMeta, byte(db)} }

// UserKeyFromMeta returns the user key inside a metadata key. The result
// aliases mk.
func UserKeyFromMeta(mk []byte) []byte { return mk[2:] }

// DBFromMeta returns the db number a metadata key belongs to.
func DBFromMeta(mk []byte) int { return int(mk[1]) }

// ExpiryKey is the expiry-index entry for key in db expiring at ms.
func ExpiryKey(db int, at int64, key []byte) []byte {
	k := make([]byte, 0, 10+len(key))
	k = append(k, TagExpiry, byte(db))
	k = binary.BigEndian.AppendUint64(k, uint64(at))
	return append(k, key...)
}

// ExpiryPrefix is the prefix of db's expiry index.
func ExpiryPrefix(db int) []byte { return []byte{TagExpiry, byte(db)} }

// ExpiryBound is the first expiry-index key of db past time at: every entry
// below it has expired by at.
func ExpiryBound(db int, at int64) []byte {
	k := []byte{TagExpiry, byte(db)}
	return binary.BigEndian.AppendUint64(k, uint64(at))
}

// ParseExpiryKey splits an expiry-index key. The returned key aliases ek.
func ParseExpiryKey(ek []byte) (db int, at int64, key []byte) {
	return int(ek[1]), int64(binary.BigEndian.Uint64(ek[2:10])), ek[10:]
}

// MemberPrefix is the prefix of every member record of the collection with
// the given tag and version.
func MemberPrefix(tag byte, version uint64) []byte {
	k := make([]byte, 9, 9+16)
	k[0] = tag
	binary.BigEndian.PutUint64(k[1:], version)
	return k
}

// MemberKey is the record of one member (hash field, set member, sorted-set
// member) of a collection.
func MemberKey(tag byte, version uint64, member []byte) []byte {
	k := make([]byte, 9, 9+len(member))
	k[0] = tag
	binary.BigEndian.PutUint64(k[1:], version)
	return append(k, member...)
}

// MemberFromKey returns the member part of a member key; it aliases k.
func MemberFromKey(k []byte) []byte { return k[9:] }

// ListKey is the record of the list element at index (an absolute position:
// the head moves below zero as elements are pushed on the left).
func ListKey(version uint64, index int64) []byte {
	k := make([]byte, 9, 17)
	k[0] = TagList
	binary.BigEndian.PutUint64(k[1:], version)
	return AppendInt64(k, index)
}

// ListIndexFromKey decodes the index of a list element key.
func ListIndexFromKey(k []byte) int64 { return DecodeInt64(k[9:17]) }

// ZScoreKey is the score-index record of member with score.
func ZScoreKey(version uint64, score float64, member []byte) []byte {
	k := make([]byte, 9, 17+len(member))
	k[0] = TagZScore
	binary.BigEndian.PutUint64(k[1:], version)
	k = AppendFloat64(k, score)
	return append(k, member...)
}

// ZScorePrefix is the score-index prefix of all members with score.
func ZScorePrefix(version uint64, score float64) []byte {
	return AppendFloat64(MemberPrefix(TagZScore, version), score)
}

// ZScoreValue encodes a sorted-set member record's value: the score's
// IEEE 754 bits, big-endian.
func ZScoreValue(score float64) []byte {
	return binary.BigEndian.AppendUint64(make([]byte, 0, 8), math.Float64bits(score))
}

// DecodeZScoreValue reverses ZScoreValue.
func DecodeZScoreValue(v []byte) (float64, bool) {
	if len(v) != 8 {
		return 0, false
	}
	return math.Float64frombits(binary.BigEndian.Uint64(v)), true
}

// ParseZScoreKey splits a score-index key; member aliases k.
func ParseZScoreKey(k []byte) (score float64, member []byte) {
	return DecodeFloat64(k[9:17]), k[17:]
}

// ZRankHeaderKey is the header of a sorted set's rank index: present
// exactly when the set has one. It sorts before all of the set's fences.
func ZRankHeaderKey(version uint64) []byte { return MemberPrefix(TagZRank, version) }

// ZRankFenceKey is the rank-index fence of level starting at suffix, the
// tail (score | member, after tag and version) of a score-index key; the
// empty suffix is the fence that starts each level.
func ZRankFenceKey(version uint64, level int, suffix []byte) []byte {
	k := make([]byte, 10, 10+len(suffix))
	k[0] = TagZRank
	binary.BigEndian.PutUint64(k[1:], version)
	k[9] = byte(level)
	return append(k, suffix...)
}

// ParseZRankFenceKey splits a fence key; suffix aliases k.
func ParseZRankFenceKey(k []byte) (level int, suffix []byte) { return int(k[9]), k[10:] }

// ZRankHeader is a rank index's header: how many fence levels it has and
// how many fences its top level holds.
func ZRankHeader(levels, top int64) []byte {
	v := binary.BigEndian.AppendUint64(make([]byte, 0, 16), uint64(levels))
	return binary.BigEndian.AppendUint64(v, uint64(top))
}

// DecodeZRankHeader reverses ZRankHeader.
func DecodeZRankHeader(v []byte) (levels, top int64, ok bool) {
	if len(v) != 16 {
		return 0, 0, false
	}
	return int64(binary.BigEndian.Uint64(v)), int64(binary.BigEndian.Uint64(v[8:])), true
}

// ZRankFence encodes a fence's value: the score-index entries it covers
// and, above level 0, the fences of the level below it covers.
func ZRankFence(entries, children int64) []byte {
	v := binary.BigEndian.AppendUint64(make([]byte, 0, 16), uint64(entries))
	return binary.BigEndian.AppendUint64(v, uint64(children))
}

// DecodeZRankFence reverses ZRankFence.
func DecodeZRankFence(v []byte) (entries, children int64, ok bool) {
	if len(v) != 16 {
		return 0, 0, false
	}
	return int64(binary.BigEndian.Uint64(v)), int64(binary.BigEndian.Uint64(v[8:])), true
}

// ScriptKey is the record holding the body of the script with this SHA1
// (40 lowercase hex digits).
func ScriptKey(sha string) []byte { return append([]byte{TagScript}, sha...) }

// FunctionKey is the record holding a function library's code.
func FunctionKey(library string) []byte { return append([]byte{TagFunction}, library...) }

// SystemKey names a system record.
func SystemKey(name string) []byte { return append([]byte{TagSystem}, name...) }

// PrefixEnd returns the smallest key greater than every key with prefix p,
// or nil if there is none (p is all 0xff).
func PrefixEnd(p []byte) []byte {
	end := append([]byte(nil), p...)
	for i := len(end) - 1; i >= 0; i-- {
		end[i]++
		if end[i] != 0 {
			return end[:i+1]
		}
	}
	return nil
}
