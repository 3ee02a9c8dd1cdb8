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
//	                                           version reservation, key counts)
//	'm'  db | user key                         Meta (type, expiry, string value or
//	                                           collection version and count)
//	'e'  db | expire-at (8, BE ms) | user key  empty: the expiry index
//	'h'  version (8) | field                   hash value
//	'l'  version (8) | index (8, ordered)      list element
//	's'  version (8) | member                  empty: set membership
//	'z'  version (8) | member                  score (8, IEEE bits; -0 is stored
//	                                           as 0): sorted-set member
//	'Z'  version (8) | score (8, ordered) | m   empty: sorted-set score index,
//	                                           in Redis's (score, member) order
//	'x'  version (8) | ms (8) | seq (8)         stream entry: its fields and
//	                                           values (see stream.go)
//	'X'  version (8) | kind | ...              stream nodes, groups, pending
//	                                           entries, consumers (stream.go)
//	'S'  sha1 (40 hex)                         origin ('L' SCRIPT LOAD, 'E' EVAL)
//	                                           and script body
//	'F'  library name                          function library code
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
// Members of one field length cannot collide with another's because the
// version prefix has a fixed width and the field is the key's tail.
package codec
