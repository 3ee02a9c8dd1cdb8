package storage

import (
	"errors"
	"math"

	"moonstone/codec"
)

// Streams: the metadata record holds the length (Count) and the stream's
// counters (codec.StreamState); each entry is one record keyed by its id
// under the stream's version, so a stream costs disk, not memory, and a
// range read is one ordered scan. Consumer groups, their pending entries
// and consumers are records too (stream_group.go). The layout is in
// codec/stream.go.
//
// Node records mirror the listpack nodes Redis would have built (same
// stream-node-max-entries / -max-bytes rules, with listpack sizes
// estimated), so that approximate trimming removes the same whole nodes as
// Redis and reports the same counts. Exact trimming, XDEL and XTRIM remove
// entry records at once; a node record only counts them.

// Errors of the stream commands (texts are Redis's).
var (
	ErrStreamIDTooSmall = errors.New("ERR The ID specified in XADD is equal or smaller than the target stream top item")
	ErrStreamExhausted  = errors.New("ERR The stream has exhausted the last possible ID, unable to add more items")
	ErrStreamTooLarge   = errors.New("ERR Elements are too large to be stored")
	ErrBusyGroup        = errors.New("BUSYGROUP Consumer Group name already exists")
	ErrXGroupNoKey      = errors.New("ERR The XGROUP subcommand requires the key to exist. Note that for CREATE you may want to use the MKSTREAM option to create an empty stream automatically.")
	ErrXSetIDTooSmall   = errors.New("ERR The ID specified in XSETID is smaller than the target stream top item")
	ErrXSetIDAdded      = errors.New("ERR The entries_added specified in XSETID is smaller than the target stream length")
	// ErrNoGroup reports a missing key or group; the server words the
	// NOGROUP reply, which differs from command to command.
	ErrNoGroup = errors.New("NOGROUP")
)

// StreamID is a stream entry id.
type StreamID = codec.StreamID

// StreamEntry is one entry: its id and alternating fields and values.
// Fields is nil for a pending entry whose stream entry was deleted (XREADGROUP
// history replies with a null there).
type StreamEntry struct {
	ID     StreamID
	Fields [][]byte
}

// Trim strategies.
const (
	TrimNone byte = iota
	TrimMaxLen
	TrimMinID
)

// StreamTrim is a MAXLEN / MINID trimming request (XADD, XTRIM).
type StreamTrim struct {
	Strategy byte
	Approx   bool
	Limit    int64 // 0: unlimited
	MaxLen   int64
	MinID    StreamID
}

// StreamNodeLimits are stream-node-max-entries and stream-node-max-bytes.
type StreamNodeLimits struct{ MaxEntries, MaxBytes int64 }

// XAddArgs is one XADD.
type XAddArgs struct {
	ID                StreamID
	IDGiven, SeqGiven bool
	NoMkStream        bool
	Trim              StreamTrim
	Fields            [][]byte
	Nodes             StreamNodeLimits

	// Trimmed is set by XAdd: how many entries Trim removed.
	Trimmed int64
}

// stream loads key's metadata as a stream (nil when absent).
func (tx *Tx) stream(db int, key []byte) (*Meta, error) {
	return tx.typed(db, key, codec.TypeStream)
}

// XAdd appends an entry and trims; ok is false when NOMKSTREAM found no
// stream.
func (tx *Tx) XAdd(db int, key []byte, a *XAddArgs) (id StreamID, ok bool, err error) {
	prev, err := tx.stream(db, key)
	if err != nil {
		return id, false, err
	}
	var m *Meta
	if prev == nil {
		if a.NoMkStream {
			return id, false, nil
		}
		if m, err = tx.newCollection(codec.TypeStream); err != nil {
			return id, false, err
		}
	} else {
		next := *prev
		m = &next
	}
	s := &m.Stream
	if s.LastID == codec.MaxStreamID {
		return id, false, ErrStreamExhausted
	}
	switch {
	case a.IDGiven && a.SeqGiven:
		id = a.ID
	case a.IDGiven:
		id = a.ID
		if s.LastID.Ms == a.ID.Ms {
			if s.LastID.Seq == math.MaxUint64 {
				// Redis fails here without setting errno; the reply it
				// sends then is this one.
				return id, false, ErrStreamTooLarge
			}
			id = StreamID{Ms: a.ID.Ms, Seq: s.LastID.Seq + 1}
		}
	default:
		now := uint64(tx.now)
		if now > s.LastID.Ms {
			id = StreamID{Ms: now}
		} else {
			id, _ = s.LastID.Incr()
		}
	}
	if id.Compare(s.LastID) <= 0 {
		return id, false, ErrStreamIDTooSmall
	}
	var total int64
	for _, f := range a.Fields {
		total += int64(len(f))
	}
	if total > streamListpackMax {
		return id, false, ErrStreamTooLarge
	}
	if err := tx.set(codec.StreamEntryKey(m.Version, id), codec.EncodeStreamFields(a.Fields)); err != nil {
		return id, false, err
	}
	if err := tx.nodeAppend(m, id, a.Fields, total, a.Nodes); err != nil {
		return id, false, err
	}
	s.LastID = id
	s.EntriesAdded++
	m.Count++
	if m.Count == 1 {
		s.FirstID = id
	}
	if a.Trimmed, err = tx.streamTrim(m, &a.Trim); err != nil {
		return id, false, err
	}
	return id, true, tx.putMeta(db, key, prev, m)
}

// streamListpackMax is Redis's STREAM_LISTPACK_MAX_SIZE.
const streamListpackMax = 1 << 30

// streamNodeRecord is a node record with its master id and master fields.
type streamNodeRecord struct {
	master StreamID
	n      codec.StreamNode
	fields [][]byte // master entry's field names
}

func encodeNodeRecord(r *streamNodeRecord) []byte {
	return append(codec.EncodeStreamNode(r.n), codec.EncodeStreamFields(r.fields)...)
}

func decodeNodeRecord(k, v []byte) (*streamNodeRecord, error) {
	if len(v) < 40 {
		return nil, codec.ErrCorruptStream
	}
	n, err := codec.DecodeStreamNode(v[:40])
	if err != nil {
		return nil, err
	}
	f, err := codec.DecodeStreamFields(v[40:])
	if err != nil {
		return nil, err
	}
	return &streamNodeRecord{master: codec.StreamIDFromNodeKey(k), n: n, fields: f}, nil
}

// lastNode reads the tail node (nil if there is none).
func (tx *Tx) lastNode(v uint64) (*streamNodeRecord, error) {
	prefix := codec.StreamNodePrefix(v)
	it, err := tx.iter(prefix, codec.PrefixEnd(prefix))
	if err != nil {
		return nil, err
	}
	defer it.Close()
	if !it.Last() {
		return nil, it.Error()
	}
	return decodeNodeRecord(it.Key(), it.Value())
}

// nodeOf reads the node holding id (nil if none).
func (tx *Tx) nodeOf(v uint64, id StreamID) (*streamNodeRecord, error) {
	prefix := codec.StreamNodePrefix(v)
	it, err := tx.iter(prefix, append(codec.StreamNodeKey(v, id), 0))
	if err != nil {
		return nil, err
	}
	defer it.Close()
	if !it.Last() {
		return nil, it.Error()
	}
	return decodeNodeRecord(it.Key(), it.Value())
}

func (tx *Tx) putNode(v uint64, r *streamNodeRecord) error {
	return tx.set(codec.StreamNodeKey(v, r.master), encodeNodeRecord(r))
}

// Listpack size estimates (Redis's listpack encoding: an element is its
// encoding header, its data and a back-length byte or two).
func lpStrSize(l int) int64 {
	switch {
	case l < 64:
		return int64(l) + 2
	case l < 4096:
		return int64(l) + 3 + lpBacklen(l+2)
	}
	return int64(l) + 5 + lpBacklen(l+5)
}

func lpBacklen(l int) int64 {
	if l < 128 {
		return 1
	}
	return 2
}

func lpIntSize(v int64) int64 {
	switch {
	case v >= 0 && v <= 127:
		return 2
	case v >= -4096 && v <= 4095:
		return 3
	case v >= -32768 && v <= 32767:
		return 4
	case v >= -8388608 && v <= 8388607:
		return 5
	case v >= math.MinInt32 && v <= math.MaxInt32:
		return 6
	}
	return 10
}

// nodeAppend accounts entry id in the tail node, or opens a new node where
// Redis would.
func (tx *Tx) nodeAppend(m *Meta, id StreamID, fv [][]byte, total int64, lim StreamNodeLimits) error {
	tail, err := tx.lastNode(m.Version)
	if err != nil {
		return err
	}
	if tail != nil {
		maxBytes := lim.MaxBytes
		if maxBytes == 0 || maxBytes > streamListpackMax {
			maxBytes = streamListpackMax
		}
		if tail.n.Bytes+total >= maxBytes ||
			(lim.MaxEntries > 0 && tail.n.Valid+tail.n.Deleted >= lim.MaxEntries) {
			tail = nil
		}
	}
	if tail == nil {
		tail = &streamNodeRecord{master: id}
		for i := 0; i < len(fv); i += 2 {
			tail.fields = append(tail.fields, fv[i])
		}
		// Header, end byte, count, deleted, field count, fields, the
		// master entry's terminator.
		tail.n.Bytes = 6 + 1 + 2 + 2 + lpIntSize(int64(len(tail.fields))) + 2
		for _, f := range tail.fields {
			tail.n.Bytes += lpStrSize(len(f))
		}
		if m.Stream.Nodes == 0 {
			m.Stream.HeadNode = id
		}
		m.Stream.Nodes++
	}
	same := len(fv)/2 == len(tail.fields)
	for i := 0; same && i < len(fv); i += 2 {
		same = string(fv[i]) == string(tail.fields[i/2])
	}
	b := int64(2) + lpIntSize(int64(id.Ms-tail.master.Ms)) + lpIntSize(int64(id.Seq-tail.master.Seq)) + 2
	for i, f := range fv {
		if same && i%2 == 0 {
			continue
		}
		b += lpStrSize(len(f))
	}
	if !same {
		b += lpIntSize(int64(len(fv) / 2))
	}
	tail.n.Bytes += b
	tail.n.Valid++
	tail.n.Last = id
	return tx.putNode(m.Version, tail)
}

// nextHeadNode records the first node after gone (deleted in this
// transaction) as the head node.
func (tx *Tx) nextHeadNode(m *Meta, gone StreamID) error {
	m.Stream.HeadNode = StreamID{}
	if m.Stream.Nodes == 0 {
		return nil
	}
	prefix := codec.StreamNodePrefix(m.Version)
	it, err := tx.iter(codec.StreamNodeKey(m.Version, gone), codec.PrefixEnd(prefix))
	if err != nil {
		return err
	}
	if it.First() {
		m.Stream.HeadNode = codec.StreamIDFromNodeKey(it.Key())
	}
	return it.Close()
}

// nodeDeleted accounts the removal of entry id from its node. A node left
// without valid entries goes away, as Redis frees such a listpack.
func (tx *Tx) nodeDeleted(m *Meta, id StreamID) error {
	r, err := tx.nodeOf(m.Version, id)
	if err != nil || r == nil {
		return err
	}
	r.n.Valid--
	r.n.Deleted++
	if r.n.Valid <= 0 {
		m.Stream.Nodes--
		if err := tx.del(codec.StreamNodeKey(m.Version, r.master)); err != nil {
			return err
		}
		if r.master == m.Stream.HeadNode {
			return tx.nextHeadNode(m, r.master)
		}
		return nil
	}
	return tx.putNode(m.Version, r)
}

// streamTrim trims m's entries (Redis's streamTrim) and returns how many
// went. m's count, first id and node count are updated; the caller stores m.
func (tx *Tx) streamTrim(m *Meta, t *StreamTrim) (int64, error) {
	if t.Strategy == TrimNone {
		return 0, nil
	}
	prefix := codec.StreamNodePrefix(m.Version)
	it, err := tx.iter(codec.StreamNodeKey(m.Version, m.Stream.HeadNode), codec.PrefixEnd(prefix))
	if err != nil {
		return 0, err
	}
	var nodes []*streamNodeRecord // removed whole
	var partial *streamNodeRecord // trimmed inside
	var deleted int64
	for ok := it.First(); ok; ok = it.Next() {
		if t.Strategy == TrimMaxLen && m.Count <= t.MaxLen {
			break
		}
		r, err := decodeNodeRecord(it.Key(), it.Value())
		if err != nil {
			it.Close()
			return 0, err
		}
		entries := r.n.Valid
		if t.Limit > 0 && deleted+entries > t.Limit {
			break
		}
		var remove bool
		if t.Strategy == TrimMaxLen {
			remove = m.Count-entries >= t.MaxLen
		} else {
			remove = r.n.Last.Compare(t.MinID) < 0
		}
		if remove {
			nodes = append(nodes, r)
			m.Count -= entries
			deleted += entries
			continue
		}
		if !t.Approx {
			partial = r
		}
		break
	}
	if err := it.Close(); err != nil {
		return 0, err
	}
	for _, r := range nodes {
		lo := codec.StreamEntryKey(m.Version, r.master)
		hi := append(codec.StreamEntryKey(m.Version, r.n.Last), 0)
		if err := tx.deleteEntries(lo, hi, nil); err != nil {
			return 0, err
		}
		if err := tx.del(codec.StreamNodeKey(m.Version, r.master)); err != nil {
			return 0, err
		}
		m.Stream.Nodes--
	}
	if len(nodes) > 0 {
		if err := tx.nextHeadNode(m, nodes[len(nodes)-1].master); err != nil {
			return 0, err
		}
	}
	if r := partial; r != nil {
		lo := codec.StreamEntryKey(m.Version, r.master)
		hi := append(codec.StreamEntryKey(m.Version, r.n.Last), 0)
		var n int64
		if err := tx.deleteEntries(lo, hi, func(id StreamID) bool {
			if t.Strategy == TrimMaxLen && m.Count-n <= t.MaxLen ||
				t.Strategy == TrimMinID && id.Compare(t.MinID) >= 0 {
				return false
			}
			n++
			return true
		}); err != nil {
			return 0, err
		}
		if n > 0 {
			// Like Redis, a partly trimmed node stays even if it is
			// left without valid entries.
			r.n.Valid -= n
			r.n.Deleted += n
			if err := tx.putNode(m.Version, r); err != nil {
				return 0, err
			}
			m.Count -= n
			deleted += n
		}
	}
	if m.Count == 0 {
		m.Stream.FirstID = StreamID{}
	} else if deleted > 0 {
		first, ok, err := tx.edgeEntryFrom(m, false, m.Stream.FirstID)
		if err != nil {
			return 0, err
		}
		if ok {
			m.Stream.FirstID = first
		}
	}
	return deleted, nil
}

// deleteEntries deletes the entry records in [lo, hi) in order while keep
// (nil: always) says so.
func (tx *Tx) deleteEntries(lo, hi []byte, keep func(StreamID) bool) error {
	it, err := tx.iter(lo, hi)
	if err != nil {
		return err
	}
	var keys [][]byte
	for ok := it.First(); ok; ok = it.Next() {
		if keep != nil && !keep(codec.StreamIDFromEntryKey(it.Key())) {
			break
		}
		keys = append(keys, append([]byte(nil), it.Key()...))
	}
	if err := it.Close(); err != nil {
		return err
	}
	for _, k := range keys {
		if err := tx.del(k); err != nil {
			return err
		}
	}
	return nil
}

// edgeEntry returns the id of the first (or, with last, the last) entry.
func (tx *Tx) edgeEntry(m *Meta, last bool) (StreamID, bool, error) {
	return tx.edgeEntryFrom(m, last, StreamID{})
}

// edgeEntryFrom is edgeEntry knowing that no entry lies below from. The
// head of a stream that is trimmed as it grows is a run of deleted records
// until compaction drops them: a scan must start past it, not cross it.
func (tx *Tx) edgeEntryFrom(m *Meta, last bool, from StreamID) (StreamID, bool, error) {
	prefix := codec.MemberPrefix(codec.TagStreamEntry, m.Version)
	it, err := tx.iter(codec.StreamEntryKey(m.Version, from), codec.PrefixEnd(prefix))
	if err != nil {
		return StreamID{}, false, err
	}
	defer it.Close()
	var ok bool
	if last {
		ok = it.Last()
	} else {
		ok = it.First()
	}
	if !ok {
		return StreamID{}, false, it.Error()
	}
	return codec.StreamIDFromEntryKey(it.Key()), true, nil
}

// XLen is the number of entries (0 for an absent key).
func (tx *Tx) XLen(db int, key []byte) (int64, error) {
	m, err := tx.stream(db, key)
	if err != nil || m == nil {
		return 0, err
	}
	return m.Count, nil
}

// XRange returns up to count entries (count <= 0: all) with ids in
// [start, end], in reverse order with rev.
func (tx *Tx) XRange(db int, key []byte, start, end StreamID, count int64, rev bool) ([]StreamEntry, error) {
	m, err := tx.stream(db, key)
	if err != nil || m == nil {
		return nil, err
	}
	return tx.streamRange(m, start, end, count, rev)
}

func (tx *Tx) streamRange(m *Meta, start, end StreamID, count int64, rev bool) ([]StreamEntry, error) {
	if m.Count == 0 {
		return nil, nil
	}
	// Nothing lies below the first entry but deleted records.
	if start.Compare(m.Stream.FirstID) < 0 {
		start = m.Stream.FirstID
	}
	if start.Compare(end) > 0 {
		return nil, nil
	}
	it, err := tx.iter(codec.StreamEntryKey(m.Version, start), append(codec.StreamEntryKey(m.Version, end), 0))
	if err != nil {
		return nil, err
	}
	var out []StreamEntry
	var ok bool
	if rev {
		ok = it.Last()
	} else {
		ok = it.First()
	}
	for ; ok && (count <= 0 || int64(len(out)) < count); ok = step(it.Next, it.Prev, rev) {
		f, err := codec.DecodeStreamFields(it.Value())
		if err != nil {
			it.Close()
			return nil, err
		}
		out = append(out, StreamEntry{ID: codec.StreamIDFromEntryKey(it.Key()), Fields: f})
	}
	return out, it.Close()
}

func step(next, prev func() bool, rev bool) bool {
	if rev {
		return prev()
	}
	return next()
}

// streamEntry reads one entry (ok false when absent).
func (tx *Tx) streamEntry(m *Meta, id StreamID) (StreamEntry, bool, error) {
	v, ok, err := tx.get(codec.StreamEntryKey(m.Version, id))
	if err != nil || !ok {
		return StreamEntry{}, false, err
	}
	f, err := codec.DecodeStreamFields(v)
	return StreamEntry{ID: id, Fields: f}, err == nil, err
}

// XDel deletes entries by id and returns how many existed.
func (tx *Tx) XDel(db int, key []byte, ids []StreamID) (int64, error) {
	prev, err := tx.stream(db, key)
	if err != nil || prev == nil {
		return 0, err
	}
	m := *prev
	s := &m.Stream
	var deleted int64
	firstGone := false
	for _, id := range ids {
		k := codec.StreamEntryKey(m.Version, id)
		ok, err := tx.has(k)
		if err != nil {
			return 0, err
		}
		if !ok {
			continue
		}
		if err := tx.del(k); err != nil {
			return 0, err
		}
		if err := tx.nodeDeleted(&m, id); err != nil {
			return 0, err
		}
		m.Count--
		if id == s.FirstID {
			firstGone = true
		}
		if id.Compare(s.MaxDeleted) > 0 {
			s.MaxDeleted = id
		}
		deleted++
	}
	if deleted == 0 {
		return 0, nil
	}
	if m.Count == 0 {
		s.FirstID = StreamID{}
	} else if firstGone {
		if s.FirstID, _, err = tx.edgeEntryFrom(&m, false, s.FirstID); err != nil {
			return 0, err
		}
	}
	return deleted, tx.putMeta(db, key, prev, &m)
}

// XTrim trims a stream and returns how many entries went.
func (tx *Tx) XTrim(db int, key []byte, t *StreamTrim) (int64, error) {
	prev, err := tx.stream(db, key)
	if err != nil || prev == nil {
		return 0, err
	}
	m := *prev
	n, err := tx.streamTrim(&m, t)
	if err != nil || n == 0 {
		return n, err
	}
	return n, tx.putMeta(db, key, prev, &m)
}

// StreamInfo is what XREAD and XREADGROUP need to know about one key
// before reading: whether it exists, its last generated id, whether it has
// entries after a given id, and the group's last delivered id.
type StreamInfo struct {
	Exists      bool
	Length      int64
	LastID      StreamID
	LastValidID StreamID // id of the last entry (when Length > 0)
	GroupExists bool
	GroupLastID StreamID
}

// XStreamInfo loads StreamInfo for key (and group, when not nil).
func (tx *Tx) XStreamInfo(db int, key, group []byte) (StreamInfo, error) {
	m, err := tx.stream(db, key)
	if err != nil || m == nil {
		return StreamInfo{}, err
	}
	si := StreamInfo{Exists: true, Length: m.Count, LastID: m.Stream.LastID}
	if m.Count > 0 {
		if si.LastValidID, _, err = tx.edgeEntry(m, true); err != nil {
			return si, err
		}
	}
	if group != nil {
		g, ok, err := tx.loadGroup(m.Version, group)
		if err != nil {
			return si, err
		}
		si.GroupExists, si.GroupLastID = ok, g.LastID
	}
	return si, nil
}

// XRead returns up to count entries (count <= 0: all) with ids above after.
func (tx *Tx) XRead(db int, key []byte, after StreamID, count int64) ([]StreamEntry, error) {
	m, err := tx.stream(db, key)
	if err != nil || m == nil {
		return nil, err
	}
	start, ok := after.Incr()
	if !ok {
		return nil, nil
	}
	return tx.streamRange(m, start, codec.MaxStreamID, count, false)
}

// XSetID sets a stream's last id and, when given (>= 0 / non-zero), its
// entries-added counter and max deleted id.
func (tx *Tx) XSetID(db int, key []byte, id StreamID, entriesAdded int64, maxDeleted StreamID) error {
	prev, err := tx.stream(db, key)
	if err != nil {
		return err
	}
	if prev == nil {
		return ErrNoSuchKey
	}
	m := *prev
	if m.Count > 0 {
		last, _, err := tx.edgeEntry(&m, true)
		if err != nil {
			return err
		}
		if id.Compare(last) < 0 {
			return ErrXSetIDTooSmall
		}
		if entriesAdded != -1 && m.Count > entriesAdded {
			return ErrXSetIDAdded
		}
	}
	m.Stream.LastID = id
	if entriesAdded != -1 {
		m.Stream.EntriesAdded = entriesAdded
	}
	if !maxDeleted.IsZero() {
		m.Stream.MaxDeleted = maxDeleted
	}
	return tx.putMeta(db, key, prev, &m)
}

// rangeHasTombstones is Redis's streamRangeHasTombstones (end nil: to the
// largest id).
func rangeHasTombstones(m *Meta, start StreamID, end *StreamID) bool {
	s := &m.Stream
	if m.Count == 0 || s.MaxDeleted.IsZero() {
		return false
	}
	if s.FirstID.Compare(s.MaxDeleted) > 0 {
		return false
	}
	e := codec.MaxStreamID
	if end != nil {
		e = *end
	}
	return start.Compare(s.MaxDeleted) <= 0 && s.MaxDeleted.Compare(e) <= 0
}

// estimateDistance is Redis's streamEstimateDistanceFromFirstEverEntry:
// id's logical read counter, or -1 when it cannot be known.
func estimateDistance(m *Meta, id StreamID) int64 {
	s := &m.Stream
	if s.EntriesAdded == 0 {
		return 0
	}
	if m.Count == 0 && id.Compare(s.LastID) < 1 {
		return s.EntriesAdded
	}
	switch id.Compare(s.LastID) {
	case 0:
		return s.EntriesAdded
	case 1:
		return -1
	}
	cmpFirst := id.Compare(s.FirstID)
	if s.MaxDeleted.IsZero() || s.MaxDeleted.Compare(s.FirstID) < 0 {
		if cmpFirst < 0 {
			return s.EntriesAdded - m.Count
		} else if cmpFirst == 0 {
			return s.EntriesAdded - m.Count + 1
		}
	}
	return -1
}

// groupLag is Redis's streamReplyWithCGLag: ok false means unknown (null).
func groupLag(m *Meta, g *codec.StreamGroup) (int64, bool) {
	s := &m.Stream
	if s.EntriesAdded == 0 {
		return 0, true
	}
	if g.EntriesRead != -1 && !rangeHasTombstones(m, g.LastID, nil) {
		return s.EntriesAdded - g.EntriesRead, true
	}
	if read := estimateDistance(m, g.LastID); read != -1 {
		return s.EntriesAdded - read, true
	}
	return 0, false
}
