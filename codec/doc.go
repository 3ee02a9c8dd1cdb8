// Package codec owns every byte layout Moonstone writes into Pebble's single
// sorted keyspace, and the number formats Redis clients expect to read back.
//
// # Keyspace
//
// Every record kind lives under a one-byte tag, so each kind is one contiguous
// key range:
//
//	tag  key                                   value
//	---  ------------------------------------  ----------------------------------
//	0x00 name                                  system records (format version,
//	                                           version reservation, key counts,
//	                                           database map)
//	'm'  db | user key                         Meta (type, expiry, string value or
//	                                           collection version and count; a
//	                                           sorted set's score floor, flags
//	                                           and, for a small one, its
//	                                           members (zinline.go); a hash's
//	                                           next insertion sequence, flags
//	                                           and, for a small one, its
//	                                           fields and values
//	                                           (hinline.go); a list's head
//	                                           and tail and, for a small
//	                                           one, its elements
//	                                           (linline.go))
//	'e'  db | at (8, BE ms) | user key        empty: the expiry index; at
//	                                           is the key's expiry, or earlier
//	                                           after the expiry was pushed
//	                                           later (Meta.IndexedAt)
//	'h'  version (8) | field                   hash value, after the field's
//	                                           insertion sequence (8, BE) in
//	                                           hashes whose metadata has one
//	'l'  version (8) | index (8, ordered)      list element (none while the
//	                                           list is inline)
//	's'  version (8) | member                  empty: set membership
//	'z'  version (8) | member                  score (8, IEEE bits; -0 is stored
//	                                           as 0): sorted-set member
//	'Z'  version (8) | score (8, ordered) | m   empty: sorted-set score index,
//	                                           in Redis's (score, member) order
//	'x'  version (8) | ms (8) | seq (8)         stream entry: its fields and
//	                                           values (see stream.go)
//	'X'  version (8) | kind | ...              stream nodes, groups, pending
//	                                           entries, consumers (stream.go)
//	'r'  version (8)                           rank-index header: levels (8),
//	                                           fences on the top level (8)
//	'r'  version (8) | level (1) | suffix      empty: rank-index fence
//	'r'  version (8) | 0x80+level | suffix     the fence's counts: entries (8),
//	                                           children (8); see below
//	'S'  sha1 (40 hex)                         origin ('L' SCRIPT LOAD, 'E' EVAL)
//	                                           and script body
//	'F'  library name                          function library code
//
// The db byte of metadata and expiry-index keys is a physical database: the
// database map (storage/dbmap.go) says which logical database, the number a
// client SELECTs, each one is, so SWAPDB rewrites one record and no key.
//
// A collection's members are keyed by its version, a number unique for the
// life of the data directory and allocated when the collection is created,
// not by its user key. That buys three properties the server relies on:
//   - RENAME and MOVE of a collection of any size rewrite one metadata record;
//   - a key recreated after DEL or expiry gets a new version, so it can never
//     see a member of its earlier life, even before the old members are gone;
//   - deleting a large collection is one range deletion over its version
//     prefix, which no other collection's scans ever cross.
//
// A sorted set of many members also has a rank index ('r'), a counted
// B-tree of fences laid over its score index, so a rank costs
// O(levels x B) instead of O(n). A fence's suffix is the tail (score |
// member) of a score-index key, or empty for the first fence of a level:
// the level-0 fence covers the score-index entries from its suffix up to
// the next level-0 fence, and its value counts them; a level l+1 fence
// covers the level-l fences from its suffix up to the next level-(l+1)
// fence (every level-(l+1) suffix is also a level-l suffix), and its value
// holds both the entries and the level-l fences (children) under it. The
// counts live in a record of their own beside the fence (level | 0x80),
// read only by point reads: they change with every write to the set, and
// an iterator would step over every version the memtable still holds. The
// top level starts with a single fence; a fence that grows past 2B entries
// (level 0) or children splits in two, and a top level past 2B fences gets
// a new level above it. The records live under the set's version like its
// members, so DEL, expiry, RENAME, MOVE and COPY treat them as members.
// storage/zset_rank.go has the algorithms.
//
// A hash answers in insertion order while Redis would keep it as a
// listpack (storage/hash.go): each value record starts with its field's
// insertion sequence, and the metadata counts the next one and flags a
// hash Redis would have converted to a hashtable, which answers in field
// order. A hash whose metadata has no sequence (written before it
// existed) has plain values and field order. A small hash that is still
// a listpack keeps its fields and values in its metadata record instead,
// in insertion order (hinline.go), and has no value records until it
// outgrows the record or is converted.
//
// Members of one field length cannot collide with another's because the
// version prefix has a fixed width and the field is the key's tail.
//
// A geo set has no records of its own: it is a sorted set whose scores are
// Redis's 52-bit geohashes (geohash.go), so each cell of the geohash grid
// is one contiguous run of its score index.
//
// # Redis's formats
//
// Besides its own layouts, codec reads and writes Redis's serializations
// that travel through commands: DUMP / RESTORE and FUNCTION DUMP / RESTORE
// payloads (rdb.go: RDB lengths and strings, LZF, CRC64; rdb_object.go: one
// key's value; listpack.go: listpacks, ziplists and intsets inside them).
// Their readers are pure and bounded: every length is checked against the
// bytes present before anything is allocated for it.
//
// A HyperLogLog is a string value in Redis's own layout (hll.go: the
// header, the sparse and dense register encodings, the hash and the
// estimator), so PFADD's bytes are Redis's and a value taken from Redis
// works here.
package codec
