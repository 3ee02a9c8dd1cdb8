package server

import (
	"crypto/sha1"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"moonstone/codec"
	"moonstone/storage"
)

// DEBUG (Redis 7.0's debug.c). A protected command: refused unless
// enable-debug-command allows it (refuseProtected). One entry in the
// command table; its subcommands are parsed here, as Redis parses them,
// each with the argument counts Redis accepts, anything else answering
// Redis's "unknown subcommand or wrong number of arguments".
//
// Where Moonstone differs (docs/compatibility.md, "DEBUG"):
//   - SLEEP stops the calling connection only, not the server (inside
//     MULTI or a script it holds the write lock, so writers wait too).
//   - RELOAD and LOADAOF reread nothing: the data set is the store on
//     disk. They make every committed write durable (storage.SyncWAL)
//     and answer OK.
//   - OBJECT, LISTPACK and QUICKLIST describe values as Moonstone names
//     their encodings (OBJECT ENCODING); a list's quicklist figures are
//     those Redis would have for the list built by RPUSH.
//   - SEGFAULT, PANIC, ASSERT and OOM log a crash report and kill the
//     process (debug_crash_*.go): nothing acknowledged is lost.
//   - The subcommands about Redis's C structures (SDSLEN, STRUCTSIZE,
//     HTSTATS, MALLCTL, ...) answer that Moonstone has none.

// debugState holds DEBUG's switches.
type debugState struct {
	activeExpireOff atomic.Bool // SET-ACTIVE-EXPIRE 0
	cronPaused      atomic.Bool // PAUSE-CRON 1
	// denyScriptsOff is SET-DISABLE-DENY-SCRIPTS 1: scripts may call
	// noscript commands (scriptMayCall).
	denyScriptsOff atomic.Bool
	// replID is the replication id CHANGE-REPL-ID made, nil before.
	replID atomic.Pointer[string]
	// packedThreshold is QUICKLIST-PACKED-THRESHOLD's size, 0 for the
	// default.
	packedThreshold atomic.Uint64
}

// setActiveExpiry applies SET-ACTIVE-EXPIRE and PAUSE-CRON to the
// sweeper: Redis's active expiry runs from its cron, so either stops it.
func (s *Server) setActiveExpiry() {
	s.db.SetActiveExpiry(!s.debug.activeExpireOff.Load() && !s.debug.cronPaused.Load())
}

// replID is INFO's master_replid: the run id until CHANGE-REPL-ID.
func (s *Server) replID() string {
	if id := s.debug.replID.Load(); id != nil {
		return *id
	}
	return s.runID()
}

// debugSub is one DEBUG subcommand: the argument counts it takes, DEBUG
// and its own name included (max -1: no limit), and its handler.
type debugSub struct {
	min, max int
	run      func(c *Call)
}

var debugSubs map[string]debugSub

func init() {
	debugSubs = map[string]debugSub{
		"help":                         {2, 2, debugHelp},
		"segfault":                     {2, -1, debugCrash},
		"panic":                        {2, -1, debugCrash},
		"assert":                       {2, -1, debugCrash},
		"oom":                          {2, -1, debugCrash},
		"restart":                      {2, -1, debugRestart},
		"crash-and-recover":            {2, -1, debugRestart},
		"log":                          {3, 3, debugLog},
		"leak":                         {3, 3, debugOK},
		"reload":                       {2, -1, debugReload},
		"loadaof":                      {2, -1, debugLoadAOF},
		"drop-cluster-packet-filter":   {3, 3, debugDropClusterPacketFilter},
		"object":                       {3, 3, debugObject},
		"sdslen":                       {3, 3, debugNoStructures},
		"listpack":                     {3, 3, debugListpack},
		"quicklist":                    {3, 4, debugQuicklist},
		"populate":                     {3, 5, debugPopulate},
		"digest":                       {2, 2, debugDigest},
		"digest-value":                 {2, -1, debugDigestValue},
		"protocol":                     {3, 3, debugProtocol},
		"sleep":                        {3, 3, debugSleep},
		"set-active-expire":            {3, 3, debugSetActiveExpire},
		"quicklist-packed-threshold":   {3, 3, debugQuicklistPackedThreshold},
		"set-skip-checksum-validation": {3, 3, debugOK},
		"aof-flush-sleep":              {3, 3, debugOK},
		"replicate":                    {3, -1, debugOK},
		"error":                        {3, 3, debugError},
		"structsize":                   {2, 2, debugNoStructures},
		"htstats":                      {3, 3, debugHTStats},
		"htstats-key":                  {3, 3, debugHTStatsKey},
		"change-repl-id":               {2, 2, debugChangeReplID},
		"stringmatch-test":             {2, 2, debugStringmatchTest},
		"set-disable-deny-scripts":     {3, 3, debugSetDisableDenyScripts},
		"config-rewrite-force-all":     {2, 2, debugNoStructures},
		"client-eviction":              {2, 2, debugClientEviction},
		"mallctl":                      {3, -1, debugNoStructures},
		"mallctl-str":                  {3, -1, debugNoStructures},
		"pause-cron":                   {3, 3, debugPauseCron},
		"replybuffer":                  {4, 4, debugReplyBuffer},
		"clusterlink":                  {5, 5, debugClusterLink},
	}
}

func cmdDebug(c *Call) {
	sub, ok := debugSubs[c.Arg(1)]
	if !ok || len(c.Args) < sub.min || (sub.max >= 0 && len(c.Args) > sub.max) {
		debugSyntaxError(c)
		return
	}
	sub.run(c)
}

// debugSyntaxError is Redis's addReplySubcommandSyntaxError.
func debugSyntaxError(c *Call) {
	sub := string(c.Args[1])
	if len(sub) > 128 {
		sub = sub[:128]
	}
	c.Error(sanitize(fmt.Sprintf("ERR unknown subcommand or wrong number of arguments for '%s'. Try %s HELP.",
		sub, strings.ToUpper(string(c.Args[0])))))
}

func debugOK(c *Call) { c.OK() }

// debugNoStructures answers the subcommands that report or tune Redis's
// C structures and allocator, which Moonstone does not have.
func debugNoStructures(c *Call) {
	c.Error("ERR DEBUG " + strings.ToUpper(string(c.Args[1])) + " is not supported: Moonstone keeps its data in Pebble, not in Redis's in-memory structures")
}

// debugRead runs fn on the call's transaction when it has one (inside
// EXEC or a script), else on a snapshot of its own whose reply waits like
// any read's. seeExpired makes a snapshot of its own show the expired
// keys not yet removed, as Redis's dictFind does.
func debugRead(c *Call, seeExpired bool, fn func(tx *storage.Tx)) {
	if c.Tx != nil {
		fn(c.Tx)
		return
	}
	tx := c.Srv.db.BeginRead()
	if seeExpired {
		tx.SeeExpired()
	}
	fn(tx)
	c.Conn.await(tx.Close())
}

// debugWrite runs fn in a write transaction: the call's own inside EXEC
// or a script, else one taken like any write's, committed unless the
// call failed.
func debugWrite(c *Call, fn func(tx *storage.Tx)) {
	if c.Tx != nil {
		if !c.Tx.Writable() {
			c.Error(errWriteFromReadOnly)
			return
		}
		fn(c.Tx)
		return
	}
	s := c.Srv
	tx := s.beginHeldWrite(c.Conn)
	if tx == nil {
		c.Error(s.busyError())
		return
	}
	defer s.endWrite()
	fn(tx)
	if c.failed {
		tx.Discard()
		return
	}
	s.commitAndWait(tx, c.Conn)
}

func debugLog(c *Call) {
	c.Srv.logf(levelWarning, "DEBUG LOG: %s", cString(c.Args[2]))
	c.OK()
}

// debugReload is RELOAD [MERGE|NOFLUSH|NOSAVE ...]. Redis saves its RDB,
// empties memory and loads the file back; Moonstone's data set is its
// store, which a reload would give back unchanged, so RELOAD checks the
// options, makes every committed write durable and answers OK.
func debugReload(c *Call) {
	for _, opt := range c.Args[2:] {
		switch strings.ToLower(string(opt)) {
		case "merge", "noflush", "nosave":
		default:
			c.Error("ERR DEBUG RELOAD only supports the MERGE, NOFLUSH and NOSAVE options.")
			return
		}
	}
	c.Srv.db.SyncWAL()
	c.Srv.logf(levelWarning, "DB reloaded by DEBUG RELOAD")
	c.OK()
}

// debugLoadAOF is LOADAOF: as RELOAD, what Redis would reread is already
// the data set.
func debugLoadAOF(c *Call) {
	c.Srv.db.SyncWAL()
	c.Srv.logf(levelWarning, "Append Only File loaded by DEBUG LOADAOF")
	c.OK()
}

// debugRestart is RESTART and CRASH-AND-RECOVER [delay]: Redis execs
// itself again; Moonstone cannot, and answers as Redis does when that
// fails.
func debugRestart(c *Call) {
	if len(c.Args) >= 3 {
		if _, ok := c.Int(2); !ok {
			return
		}
	}
	c.Srv.logf(levelWarning, "Can't restart: Moonstone does not re-execute itself (DEBUG %s)", strings.ToUpper(string(c.Args[1])))
	c.Error("ERR failed to restart the server. Check server logs.")
}

func debugDropClusterPacketFilter(c *Call) {
	if _, ok := c.Int(2); ok {
		c.OK()
	}
}

// debugObject is OBJECT <key>: Redis's line, with the encoding OBJECT
// ENCODING gives, the length of the key's value in DUMP's serialization,
// the key's access time as Redis's LRU clock and its idle seconds, and for
// lists the quicklist figures Redis would show (quicklistShape).
func debugObject(c *Call) {
	debugRead(c, true, func(tx *storage.Tx) {
		key := c.Args[2]
		o, err := tx.DumpObject(c.DB(), key)
		if err != nil {
			c.Err(err)
			return
		}
		if o == nil {
			c.Error(errNoSuchKey)
			return
		}
		enc := objectEncoding(tx, c.DB(), key, o.Type)
		refcount := c.Srv.objectRefcount(tx, c.DB(), key, o.Type)
		extra := ""
		if o.Type == codec.TypeList {
			q := c.Srv.quicklistShape(o.Elems)
			extra = fmt.Sprintf(" ql_nodes:%d ql_avg_node:%.2f ql_listpack_max:%d ql_compressed:%d ql_uncompressed_size:%d",
				q.nodes, float64(len(o.Elems))/float64(q.nodes), q.fill, q.compressed, q.size)
		}
		idle := c.Srv.idleTime(tx, c.DB(), key)
		c.r.Status(fmt.Sprintf("Value at:%s refcount:%d encoding:%s serializedlength:%d lru:%d lru_seconds_idle:%d%s",
			fakeAddress(c.DB(), key), refcount, enc, serializedLength(o), lruClock(idle), idle, extra))
	})
}

// serializedLength is Redis's rdbSavedObjectLen as far as Moonstone
// knows it: a string's length as an RDB string, small integers in their
// integer encodings (LZF compression of strings over 20 bytes is not
// counted), and for other types the length of the RDB object DUMP
// writes, which serializes collections as plain lists of elements where
// Redis 7.0 writes its listpacks.
func serializedLength(o *codec.DumpObject) int {
	if o.Type != codec.TypeString {
		const typeByte, footer = 1, 2 + 8 // RDB version and CRC64
		return len(codec.EncodeDump(o)) - typeByte - footer
	}
	v := o.Elems[0]
	if n, ok := codec.ParseInt(v); ok && len(v) <= 11 {
		switch {
		case n >= math.MinInt8 && n <= math.MaxInt8:
			return 2
		case n >= math.MinInt16 && n <= math.MaxInt16:
			return 3
		case n >= math.MinInt32 && n <= math.MaxInt32:
			return 5
		}
	}
	return len(codec.AppendRDBString(nil, v))
}

// fakeAddress stands for Redis's pointer to the value: stable for a key,
// shaped like a 64-bit user-space address.
func fakeAddress(db int, key []byte) string {
	h := fnv.New64a()
	h.Write([]byte{byte(db)})
	h.Write(key)
	return fmt.Sprintf("0x7f%010x", h.Sum64()&0xffffffffff&^0xf)
}

// lruClock is Redis's LRU clock (seconds, modulo 2^24) idle seconds ago.
func lruClock(idle int64) int64 { return (time.Now().Unix() - idle) & (1<<24 - 1) }

// quicklist is the shape Redis would give a list: its nodes, the bytes of
// their listpacks, list-max-listpack-size (fill) and whether nodes are
// compressed.
type quicklist struct {
	nodes, size, fill, compressed int
}

// quicklistShape lays elems out as Redis's RPUSH would: each pushed to
// the tail node while that node stays within fill (a count when
// positive, 4kb..64kb for -1..-5), an element of the packed threshold or
// more getting a plain node of its own.
func (s *Server) quicklistShape(elems [][]byte) quicklist {
	q := quicklist{fill: s.cfg.int("list-max-listpack-size")}
	if s.cfg.Get("list-compress-depth") != "0" {
		q.compressed = 1
	}
	limit := 8192
	if q.fill < 0 {
		limit = 4096 << min(-q.fill-1, 4)
	}
	threshold := int(s.debugPackedThreshold())
	const header, end = 6, 1
	size, count := 0, 0 // the tail node's; size 0: no packed tail
	for _, e := range elems {
		if len(e) >= threshold {
			q.nodes++
			q.size += len(e)
			size, count = 0, 0
			continue
		}
		n := listpackEntrySize(e)
		fits := size > 0 && (q.fill >= 0 && count+1 <= q.fill && size+n <= 8192 ||
			q.fill < 0 && size+n <= limit)
		if !fits {
			q.nodes++
			q.size += header + end
			size, count = header+end, 0
		}
		size += n
		count++
		q.size += n
	}
	if q.nodes == 0 {
		q.nodes = 1
	}
	return q
}

// listpackEntrySize is the bytes one element takes in a listpack:
// integers in Redis's compact forms, strings with their length header,
// each followed by its backlen.
func listpackEntrySize(e []byte) int {
	var n int
	if v, ok := codec.ParseInt(e); ok && len(e) <= 20 {
		switch {
		case v >= 0 && v <= 127:
			n = 1
		case v >= -4096 && v <= 4095:
			n = 2
		case v >= math.MinInt16 && v <= math.MaxInt16:
			n = 3
		case v >= -1<<23 && v < 1<<23:
			n = 4
		case v >= math.MinInt32 && v <= math.MaxInt32:
			n = 5
		default:
			n = 9
		}
	} else {
		switch l := len(e); {
		case l < 64:
			n = 1 + l
		case l < 4096:
			n = 2 + l
		default:
			n = 5 + l
		}
	}
	switch {
	case n < 128:
		return n + 1
	case n < 16384:
		return n + 2
	case n < 2097152:
		return n + 3
	case n < 268435456:
		return n + 4
	}
	return n + 5
}

// debugListpack is LISTPACK <key>: for the hashes and sorted sets
// Moonstone names listpack, their fields and values, or members and
// scores, go to stdout, as Redis prints the listpack there.
func debugListpack(c *Call) {
	debugRead(c, false, func(tx *storage.Tx) {
		key := c.Args[2]
		o, err := tx.DumpObject(c.DB(), key)
		if err != nil {
			c.Err(err)
			return
		}
		if o == nil {
			c.Error(errNoSuchKey)
			return
		}
		if objectEncoding(tx, c.DB(), key, o.Type) != "listpack" {
			c.Error("ERR Not a listpack encoded object.")
			return
		}
		elems := o.Elems
		if o.Type == codec.TypeZSet {
			elems = make([][]byte, 0, 2*len(o.Elems))
			for i, member := range o.Elems {
				elems = append(elems, member, []byte(listpackScore(o.Scores[i])))
			}
		}
		var b strings.Builder
		fmt.Fprintf(&b, "{listpack key %q, %d entries}\n", key, len(elems))
		for i, e := range elems {
			fmt.Fprintf(&b, "{\n\taddr: %d,\n\tlen: %d,\n\tstring: %q\n}\n", i, len(e), e)
		}
		os.Stdout.WriteString(b.String())
		c.r.Status("Listpack structure printed on stdout")
	})
}

// debugQuicklist is QUICKLIST <key> [0|1]: every list is a quicklist;
// its shape (quicklistShape) goes to stdout.
func debugQuicklist(c *Call) {
	debugRead(c, false, func(tx *storage.Tx) {
		key := c.Args[2]
		o, err := tx.DumpObject(c.DB(), key)
		if err != nil {
			c.Err(err)
			return
		}
		if o == nil {
			c.Error(errNoSuchKey)
			return
		}
		if o.Type != codec.TypeList {
			c.Error("ERR Not a quicklist encoded object.")
			return
		}
		q := c.Srv.quicklistShape(o.Elems)
		fmt.Fprintf(os.Stdout, "{quicklist key %q, count %d, len %d, fill %d, compress %d, size %d}\n",
			key, len(o.Elems), q.nodes, q.fill, q.compressed, q.size)
		c.r.Status("Quicklist structure printed on stdout")
	})
}

// debugPopulate is POPULATE <count> [prefix] [size]: string keys
// prefix:0 .. prefix:count-1 (prefix "key") with values value:N, cut or
// padded with zero bytes to size; existing keys are left alone. Names
// and values are built in Redis's 128-byte buffer, so they stop at 127
// bytes, and the prefix at a NUL byte.
func debugPopulate(c *Call) {
	const mustBePositive = "ERR value is out of range, must be positive"
	count, ok := codec.ParseInt(c.Args[2])
	if !ok || count < 0 {
		c.Error(mustBePositive)
		return
	}
	var size int64
	if len(c.Args) == 5 {
		if size, ok = codec.ParseInt(c.Args[4]); !ok || size < 0 {
			c.Error(mustBePositive)
			return
		}
	}
	prefix := "key"
	if len(c.Args) >= 4 {
		prefix = cString(c.Args[3])
	}
	cut := func(s string) string { return s[:min(len(s), 127)] }
	debugWrite(c, func(tx *storage.Tx) {
		for j := int64(0); j < count; j++ {
			key := []byte(cut(prefix + ":" + strconv.FormatInt(j, 10)))
			exists, err := tx.Exists(c.DB(), key)
			if err != nil {
				c.Err(err)
				return
			}
			if exists {
				continue
			}
			val := []byte(cut("value:" + strconv.FormatInt(j, 10)))
			if size > 0 {
				v := make([]byte, size)
				copy(v, val)
				val = v
			}
			if _, err := tx.Set(c.DB(), key, val, storage.SetOptions{}); err != nil {
				c.Err(err)
				return
			}
		}
		c.OK()
	})
}

// digest is DEBUG DIGEST's arithmetic (Redis's debug.c): 20 bytes to
// which unordered things are added by xoring their SHA1 (xor), ordered
// ones mixed in by hashing the result again (mix), so that the digest of
// a set does not depend on its order and a list's does.
type digest [sha1.Size]byte

func (d *digest) xor(b []byte) {
	h := sha1.Sum(b)
	for i := range d {
		d[i] ^= h[i]
	}
}

func (d *digest) mix(b []byte) {
	d.xor(b)
	*d = sha1.Sum(d[:])
}

func (d *digest) mixUint32(n uint32) { d.mix(binary.BigEndian.AppendUint32(nil, n)) }

func (d *digest) String() string { return hex.EncodeToString(d[:]) }

// redisObjectType is Redis's OBJ_* number of a type, which digests mix in.
var redisObjectType = map[codec.Type]uint32{
	codec.TypeString: 0, codec.TypeList: 1, codec.TypeSet: 2,
	codec.TypeZSet: 3, codec.TypeHash: 4, codec.TypeStream: 6,
}

// addValue adds key's value to d as Redis's xorObjectDigest does: its
// type, then its elements (mixed for ordered ones, xored for the rest,
// each hash field with its value and each sorted set member with its
// score as %.17g), and a mark when the key has a TTL.
func (d *digest) addValue(o *codec.DumpObject, expires bool) {
	d.mixUint32(redisObjectType[o.Type])
	switch o.Type {
	case codec.TypeString, codec.TypeList:
		for _, e := range o.Elems {
			d.mix(e)
		}
	case codec.TypeSet:
		for _, e := range o.Elems {
			d.xor(e)
		}
	case codec.TypeHash:
		for i := 0; i+1 < len(o.Elems); i += 2 {
			var ed digest
			ed.mix(o.Elems[i])
			ed.mix(o.Elems[i+1])
			d.xor(ed[:])
		}
	case codec.TypeZSet:
		for i, e := range o.Elems {
			var ed digest
			ed.mix(e)
			ed.mix([]byte(codec.FormatDouble(o.Scores[i])))
			d.xor(ed[:])
		}
	case codec.TypeStream:
		for _, e := range o.Stream.Entries {
			d.mix([]byte(strconv.FormatUint(e.ID.Ms, 10) + "." + strconv.FormatUint(e.ID.Seq, 10)))
			for _, f := range e.Fields {
				d.mix(f)
			}
		}
	}
	if expires {
		d.xor([]byte("!!expire!!"))
	}
}

// keyDigest adds key's value in db to d; false when key does not exist.
func keyDigest(tx *storage.Tx, db int, key []byte, d *digest) (bool, error) {
	o, err := tx.DumpObject(db, key)
	if err != nil || o == nil {
		return false, err
	}
	at, err := tx.ExpireAt(db, key)
	if err != nil {
		return false, err
	}
	d.addValue(o, at >= 0)
	return true, nil
}

// debugDigest is DIGEST: Redis's digest of the whole data set. For each
// database with keys, its number is mixed into the result, then each
// key's own digest (its name mixed, then its value) xored in.
func debugDigest(c *Call) {
	debugRead(c, false, func(tx *storage.Tx) {
		var final digest
		for db := 0; db < c.Srv.cfg.Databases(); db++ {
			mixed := false
			var from []byte
			for {
				page, err := tx.Scan(db, from, 1000, nil)
				if err != nil {
					c.Err(err)
					return
				}
				for _, key := range page.Keys {
					var kd digest
					kd.mix(key)
					ok, err := keyDigest(tx, db, key, &kd)
					if err != nil {
						c.Err(err)
						return
					}
					if !ok {
						continue
					}
					if !mixed {
						final.mixUint32(uint32(db))
						mixed = true
					}
					final.xor(kd[:])
				}
				if page.Next == nil {
					break
				}
				from = page.Next
			}
		}
		c.r.Status(final.String())
	})
}

// debugDigestValue is DIGEST-VALUE [key ...]: each key's value digest
// (without its name), all zeros for a missing key. Like Redis, it sees
// keys that expired but were not removed yet.
func debugDigestValue(c *Call) {
	debugRead(c, true, func(tx *storage.Tx) {
		c.r.Array(len(c.Args) - 2)
		for _, key := range c.Args[2:] {
			var d digest
			if _, err := keyDigest(tx, c.DB(), key, &d); err != nil {
				c.Err(err)
				continue
			}
			c.r.Status(d.String())
		}
	})
}

// debugProtocol is PROTOCOL <type>: one test value of each RESP type,
// in the client's protocol, as Redis writes them. An attribute is RESP3
// only, and never reaches a script (it is not a reply of its own).
func debugProtocol(c *Call) {
	r := c.r
	switch c.Arg(2) {
	case "string":
		r.BulkString("Hello World")
	case "integer":
		r.Int(12345)
	case "double":
		r.Double(3.141)
	case "bignum":
		r.BigNumber("1234567999999999999999999999999999999")
	case "null":
		r.Null()
	case "array":
		r.Array(3)
		for j := int64(0); j < 3; j++ {
			r.Int(j)
		}
	case "set":
		r.Set(3)
		for j := int64(0); j < 3; j++ {
			r.Int(j)
		}
	case "map":
		r.Map(3)
		for j := int64(0); j < 3; j++ {
			r.Int(j)
			r.Bool(j == 1)
		}
	case "attrib":
		if w, ok := r.(*respWriter); ok && w.v3() {
			w.header('|', 1)
			w.BulkString("key-popularity")
			w.Array(2)
			w.BulkString("key:123")
			w.Int(90)
		}
		r.BulkString("Some real reply following the attribute")
	case "push":
		if r.Resp() < 3 {
			c.Error("ERR RESP2 is not supported by this command")
			return
		}
		r.Push(2)
		r.BulkString("server-cpu-usage")
		r.Int(42)
		r.BulkString("Some real reply following the push reply")
	case "true":
		r.Bool(true)
	case "false":
		r.Bool(false)
	case "verbatim":
		r.Verbatim("txt", "This is a verbatim\nstring")
	default:
		c.Error("ERR Wrong protocol type name. Please use one of the following: string|integer|double|bignum|null|array|set|map|attrib|push|verbatim|true|false")
	}
}

// debugSleep is SLEEP <seconds>: decimals allowed, anything strtod reads
// as 0 or less not sleeping. Only this connection waits (or, inside EXEC
// or a script, whoever waits for its transaction); shutdown ends it.
func debugSleep(c *Call) {
	secs := strtod(string(c.Args[2]))
	if !(secs > 0) {
		c.OK()
		return
	}
	d := time.Duration(math.Min(secs*1e9, math.MaxInt64))
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-c.Srv.done:
	}
	c.OK()
}

// strtod is C's strtod without an end pointer: the longest leading
// number of s, after spaces, or 0.
func strtod(s string) float64 {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	for n := min(len(s), 64); n > 0; n-- {
		if f, err := strconv.ParseFloat(s[:n], 64); err == nil || isRangeErr(err) {
			return f
		}
	}
	return 0
}

func isRangeErr(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// atoi is C's atoi: a leading integer, or 0.
func atoi(b []byte) int64 {
	s := strings.TrimLeft(string(b), " \t\n\v\f\r")
	end := 0
	if end < len(s) && (s[end] == '-' || s[end] == '+') {
		end++
	}
	for end < len(s) && s[end] >= '0' && s[end] <= '9' {
		end++
	}
	n, _ := strconv.ParseInt(s[:end], 10, 32)
	return n
}

// debugSetActiveExpire is SET-ACTIVE-EXPIRE <0|1>: the expiry sweeper
// stops (0) or runs again; expired keys stay hidden from reads and are
// removed by the writes that meet them.
func debugSetActiveExpire(c *Call) {
	c.Srv.debug.activeExpireOff.Store(atoi(c.Args[2]) == 0)
	c.Srv.setActiveExpiry()
	c.OK()
}

// debugPauseCron is PAUSE-CRON <0|1>. Of Redis's cron, what changes the
// data set is active expiry, which it stops, as SET-ACTIVE-EXPIRE 0 does.
func debugPauseCron(c *Call) {
	c.Srv.debug.cronPaused.Store(atoi(c.Args[2]) != 0)
	c.Srv.setActiveExpiry()
	c.OK()
}

// debugPackedThreshold is QUICKLIST-PACKED-THRESHOLD's value (1gb until
// set), for DEBUG OBJECT's quicklist figures.
func (s *Server) debugPackedThreshold() uint64 {
	if t := s.debug.packedThreshold.Load(); t != 0 {
		return t
	}
	return 1 << 30
}

// debugQuicklistPackedThreshold is QUICKLIST-PACKED-THRESHOLD <size>:
// Redis's bounds (0 restores 1gb); Moonstone's lists have no nodes, so it
// only changes DEBUG OBJECT's figures.
func debugQuicklistPackedThreshold(c *Call) {
	sz, ok := paramMemtoull(string(c.Args[2]))
	if !ok || sz > 1<<32-1<<20 {
		c.Error("ERR argument must be a memory value bigger than 1 and smaller than 4gb")
		return
	}
	c.Srv.debug.packedThreshold.Store(sz)
	c.OK()
}

// debugError is ERROR <string>: the string as an error reply, as given
// (no ERR added; newlines become spaces). Redis writes it raw, so it is
// not counted in INFO errorstats.
func debugError(c *Call) {
	c.r.Error(string(c.Args[2]))
}

// debugHTStats is HTSTATS <dbid>: the database number is checked as
// Redis checks it; there are no hash tables to report on.
func debugHTStats(c *Call) {
	n, ok := c.Int(2)
	if !ok {
		return
	}
	if n < 0 || n >= int64(c.Srv.cfg.Databases()) {
		c.Error("ERR Out of range database")
		return
	}
	debugNoStructures(c)
}

// debugHTStatsKey is HTSTATS-KEY <key>: no value is a hash table in
// memory, which is Redis's answer for a value that is not one.
func debugHTStatsKey(c *Call) {
	debugRead(c, false, func(tx *storage.Tx) {
		t, err := tx.Type(c.DB(), c.Args[2])
		if err != nil {
			c.Err(err)
			return
		}
		if t == codec.TypeNone {
			c.Error(errNoSuchKey)
			return
		}
		c.Error("ERR The value stored at the specified key is not represented using an hash table")
	})
}

// debugChangeReplID is CHANGE-REPL-ID: a new random master_replid.
func debugChangeReplID(c *Call) {
	c.Srv.logf(levelWarning, "Changing replication IDs after receiving DEBUG change-repl-id")
	var b [20]byte
	for i := range b {
		b[i] = byte(rand.Uint32())
	}
	id := hex.EncodeToString(b[:])
	c.Srv.debug.replID.Store(&id)
	c.OK()
}

// debugStringmatchTest is STRINGMATCH-TEST: Redis's fuzz test of its
// glob matcher, run against Moonstone's (glob.go): random patterns
// against random strings, which must only not crash or hang.
func debugStringmatchTest(c *Call) {
	for i := 0; i < 100000; i++ {
		p := make([]byte, rand.IntN(32))
		s := make([]byte, rand.IntN(32))
		for j := range p {
			p[j] = byte(rand.IntN(256))
		}
		for j := range s {
			s[j] = byte(rand.IntN(256))
		}
		globMatch(p, s, false)
	}
	c.r.Status("Apparently Redis did not crash: test passed")
}

// debugSetDisableDenyScripts is SET-DISABLE-DENY-SCRIPTS <0|1>: with 1,
// scripts may call commands flagged noscript (scriptMayCall).
func debugSetDisableDenyScripts(c *Call) {
	c.Srv.debug.denyScriptsOff.Store(atoi(c.Args[2]) != 0)
	c.OK()
}

// scriptUnsafe are the noscript commands a script may not call even
// after SET-DISABLE-DENY-SCRIPTS 1: they take the write lock the script
// holds, run scripts of their own, or change the state of a connection
// that is not a client's (subscriptions, MONITOR, MULTI, tracking).
var scriptUnsafe = map[string]bool{
	"multi": true, "exec": true, "discard": true, "watch": true,
	"eval": true, "evalsha": true, "eval_ro": true, "evalsha_ro": true,
	"fcall": true, "fcall_ro": true, "function": true, "script": true,
	"subscribe": true, "psubscribe": true, "ssubscribe": true,
	"unsubscribe": true, "punsubscribe": true, "sunsubscribe": true,
	"monitor": true, "save": true, "bgsave": true, "checkpoint": true,
	"shutdown": true, "sync": true, "psync": true, "failover": true,
	"replicaof": true, "slaveof": true, "reset": true,
	"client|pause": true, "client|unpause": true, "client|reply": true,
	"client|tracking": true, "client|caching": true,
}

// scriptMayCall reports whether a script may call cmd, flagged noscript:
// only after DEBUG SET-DISABLE-DENY-SCRIPTS 1, and not the commands of
// scriptUnsafe.
func (s *Server) scriptMayCall(cmd *Command) bool {
	if !s.debug.denyScriptsOff.Load() {
		return false
	}
	name, _, _ := strings.Cut(cmd.Name, "|")
	return !scriptUnsafe[name] && !scriptUnsafe[cmd.Name]
}

// debugClientEviction is CLIENT-EVICTION: Redis's answer when client
// eviction is off; Moonstone has no eviction pools to show when it is on.
func debugClientEviction(c *Call) {
	if c.Srv.cfg.Get("maxmemory-clients") == "0" {
		c.Error("ERR maxmemory-clients is disabled.")
		return
	}
	debugNoStructures(c)
}

// debugReplyBuffer is REPLYBUFFER PEAK-RESET-TIME <NEVER|RESET|ms> and
// REPLYBUFFER RESIZING <0|1>: checked as Redis checks them. Moonstone's
// reply buffers are per request, so there is nothing to tune.
func debugReplyBuffer(c *Call) {
	switch c.Arg(2) {
	case "peak-reset-time":
		if !c.ArgIs(3, "never") && !c.ArgIs(3, "reset") {
			if _, ok := c.Int(3); !ok {
				return
			}
		}
	case "resizing":
	default:
		debugSyntaxError(c)
		return
	}
	c.OK()
}

// debugClusterLink is CLUSTERLINK KILL <to|from|all> <node-id>: cluster
// mode is always off.
func debugClusterLink(c *Call) {
	if !c.ArgIs(2, "kill") {
		debugSyntaxError(c)
		return
	}
	c.Error("ERR Debug option only available for cluster mode enabled setup!")
}

// debugCrash is SEGFAULT, PANIC, ASSERT and OOM: Redis's crash report
// header in the log, then the process dies from the signal Redis dies
// from (crashProcess). Every acknowledged write is in the WAL already, so
// the crash loses nothing a restart does not give back.
func debugCrash(c *Call) {
	s := c.Srv
	sig := sigABRT
	switch c.Arg(1) {
	case "segfault":
		sig = sigSEGV
		s.logf(levelWarning, "\n\n=== MOONSTONE BUG REPORT START: Cut & paste starting from here ===")
		s.logf(levelWarning, "Crashed by DEBUG SEGFAULT")
	case "panic":
		s.logf(levelWarning, "------------------------------------------------")
		s.logf(levelWarning, "!!! Software Failure. Press left mouse button to continue")
		s.logf(levelWarning, "Guru Meditation: DEBUG PANIC called at Unix time %d", time.Now().Unix())
	case "assert":
		s.logf(levelWarning, "=== ASSERTION FAILED ===")
		s.logf(levelWarning, "==> DEBUG ASSERT: '1 == 2' is not true")
	case "oom":
		s.logf(levelWarning, "Out Of Memory allocating %d bytes!", uint64(math.MaxUint64/2))
	}
	s.logf(levelWarning, "Moonstone is crashing on purpose (DEBUG %s): every acknowledged write is in the WAL", strings.ToUpper(string(c.Args[1])))
	crashProcess(sig)
}

func debugHelp(c *Call) {
	replyHelp(c, "DEBUG",
		"AOF-FLUSH-SLEEP <microsec>",
		"    Server will sleep before flushing the AOF, this is used for testing.",
		"ASSERT",
		"    Crash by assertion failed.",
		"CHANGE-REPL-ID",
		"    Change the replication IDs of the instance.",
		"    Dangerous: should be used only for testing the replication subsystem.",
		"CONFIG-REWRITE-FORCE-ALL",
		"    Like CONFIG REWRITE but writes all configuration options, including",
		"    keywords not listed in original configuration file or default values.",
		"CRASH-AND-RECOVER [<milliseconds>]",
		"    Hard crash and restart after a <milliseconds> delay (default 0).",
		"DIGEST",
		"    Output a hex signature representing the current DB content.",
		"DIGEST-VALUE <key> [<key> ...]",
		"    Output a hex signature of the values of all the specified keys.",
		"ERROR <string>",
		"    Return a Redis protocol error with <string> as message. Useful for clients",
		"    unit tests to simulate Redis errors.",
		"LEAK <string>",
		"    Create a memory leak of the input string.",
		"LOG <message>",
		"    Write <message> to the server log.",
		"HTSTATS <dbid>",
		"    Return hash table statistics of the specified Redis database.",
		"HTSTATS-KEY <key>",
		"    Like HTSTATS but for the hash table stored at <key>'s value.",
		"LOADAOF",
		"    Flush the AOF buffers on disk and reload the AOF in memory.",
		"REPLICATE <string>",
		"    Replicates the provided string to replicas, allowing data divergence.",
		"MALLCTL <key> [<val>]",
		"    Get or set a malloc tuning integer.",
		"MALLCTL-STR <key> [<val>]",
		"    Get or set a malloc tuning string.",
		"OBJECT <key>",
		"    Show low level info about `key` and associated value.",
		"DROP-CLUSTER-PACKET-FILTER <packet-type>",
		"    Drop all packets that match the filtered type. Set to -1 allow all packets.",
		"OOM",
		"    Crash the server simulating an out-of-memory error.",
		"PANIC",
		"    Crash the server simulating a panic.",
		"POPULATE <count> [<prefix>] [<size>]",
		"    Create <count> string keys named key:<num>. If <prefix> is specified then",
		"    it is used instead of the 'key' prefix. These are not propagated to",
		"    replicas. Cluster slots are not respected so keys not belonging to the",
		"    current node can be created in cluster mode.",
		"PROTOCOL <type>",
		"    Reply with a test value of the specified type. <type> can be: string,",
		"    integer, double, bignum, null, array, set, map, attrib, push, verbatim,",
		"    true, false.",
		"RELOAD [option ...]",
		"    Save the RDB on disk and reload it back to memory. Valid <option> values:",
		"    * MERGE: conflicting keys will be loaded from RDB.",
		"    * NOFLUSH: the existing database will not be removed before load, but",
		"      conflicting keys will generate an exception and kill the server.",
		"    * NOSAVE: the database will be loaded from an existing RDB file.",
		"    Examples:",
		"    * DEBUG RELOAD: verify that the server is able to persist, flush and reload",
		"      the database.",
		"    * DEBUG RELOAD NOSAVE: replace the current database with the contents of an",
		"      existing RDB file.",
		"    * DEBUG RELOAD NOSAVE NOFLUSH MERGE: add the contents of an existing RDB",
		"      file to the database.",
		"RESTART [<milliseconds>]",
		"    Graceful restart: save config, db, restart after a <milliseconds> delay (default 0).",
		"SDSLEN <key>",
		"    Show low level SDS string info representing `key` and value.",
		"SEGFAULT",
		"    Crash the server with sigsegv.",
		"SET-ACTIVE-EXPIRE <0|1>",
		"    Setting it to 0 disables expiring keys in background when they are not",
		"    accessed (otherwise the Redis behavior). Setting it to 1 reenables back the",
		"    default.",
		"QUICKLIST-PACKED-THRESHOLD <size>",
		"    Sets the threshold for elements to be inserted as plain vs packed nodes",
		"    Default value is 1GB, allows values up to 4GB. Setting to 0 restores to default.",
		"SET-SKIP-CHECKSUM-VALIDATION <0|1>",
		"    Enables or disables checksum checks for RDB files and RESTORE's payload.",
		"SLEEP <seconds>",
		"    Stop the server for <seconds>. Decimals allowed.",
		"STRINGMATCH-TEST",
		"    Run a fuzz tester against the stringmatchlen() function.",
		"STRUCTSIZE",
		"    Return the size of different Redis core C structures.",
		"LISTPACK <key>",
		"    Show low level info about the listpack encoding of <key>.",
		"QUICKLIST <key> [<0|1>]",
		"    Show low level info about the quicklist encoding of <key>.",
		"    The optional argument (0 by default) sets the level of detail",
		"CLIENT-EVICTION",
		"    Show low level client eviction pools info (maxmemory-clients).",
		"PAUSE-CRON <0|1>",
		"    Stop periodic cron job processing.",
		"REPLYBUFFER PEAK-RESET-TIME <NEVER||RESET|time>",
		"    Sets the time (in milliseconds) to wait between client reply buffer peak resets.",
		"    In case NEVER is provided the last observed peak will never be reset",
		"    In case RESET is provided the peak reset time will be restored to the default value",
		"REPLYBUFFER RESIZING <0|1>",
		"    Enable or disable the reply buffer resize cron job",
		"CLUSTERLINK KILL <to|from|all> <node-id>",
		"    Kills the link based on the direction to/from (both) with the provided node.",
	)
}
