package storage

import "moonstone/codec"

// Footprint estimates the bytes key occupies on disk before compression,
// for MEMORY USAGE: its metadata record plus, for collections, an average
// member size from a sample of up to 16 members times the count.
func (tx *Tx) Footprint(db int, key []byte) (int64, bool, error) {
	m, err := tx.meta(db, key)
	if err != nil || m == nil {
		return 0, false, err
	}
	size := int64(len(tx.metaKey(db, key)) + len(codec.EncodeMeta(m)))
	if m.Count == 0 || m.ZInline || m.HInline || m.LInline {
		return size, true, nil
	}
	var sampled, bytes int64
	tags := memberTags(m.Type)
	if m.Type == codec.TypeZSet {
		tags = tags[:2] // the rank index is a few records per thousand members
	}
	for _, tag := range tags {
		prefix := codec.MemberPrefix(tag, m.Version)
		it, err := tx.iter(prefix, codec.PrefixEnd(prefix))
		if err != nil {
			return 0, false, err
		}
		n := int64(0)
		for it.First(); it.Valid() && n < 16; it.Next() {
			bytes += int64(len(it.Key()) + len(it.Value()))
			n++
		}
		sampled += n
		it.Close()
	}
	if sampled > 0 {
		size += bytes * m.Count * int64(len(tags)) / sampled
	}
	return size, true, nil
}
