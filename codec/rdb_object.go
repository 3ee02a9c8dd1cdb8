package codec

import (
	"encoding/binary"
	"errors"
	"math"
)

// DUMP / RESTORE payloads of keys: one RDB object (a type byte and the
// type's encoding, rdb.c's rdbSaveObject / rdbLoadObject of Redis 7.0)
// followed by the payload footer (SealPayload).
//
// DecodeDump reads every encoding Redis 7.0 writes or still loads: strings
// (raw, integer, LZF), lists (plain, ziplist, quicklist of ziplists or of
// listpacks, plain nodes included), sets (plain, intset), hashes (plain,
// ziplist, listpack), sorted sets (plain with text or binary scores,
// ziplist, listpack) and streams (RDB types 15 and 19). Zipmap hashes
// (Redis 2.4) and module values are refused.
//
// EncodeDump writes the simplest form of each type that Redis 7.0 loads
// (docs/compatibility.md): a raw string, a plain list, set or hash, a
// sorted set with binary scores, a stream's listpacks. Redis converts them
// to its compact encodings on load by its own thresholds.

// RDB object types (rdb.h of Redis 7.0).
const (
	rdbTypeString          = 0
	rdbTypeList            = 1
	rdbTypeSet             = 2
	rdbTypeZSet            = 3
	rdbTypeHash            = 4
	rdbTypeZSet2           = 5
	rdbTypeListZiplist     = 10
	rdbTypeSetIntset       = 11
	rdbTypeZSetZiplist     = 12
	rdbTypeHashZiplist     = 13
	rdbTypeListQuicklist   = 14
	rdbTypeStreamListpacks = 15
	rdbTypeHashListpack    = 16
	rdbTypeZSetListpack    = 17
	rdbTypeListQuicklist2  = 18
	rdbTypeStream2         = 19

	quicklistNodePlain  = 1
	quicklistNodePacked = 2

	streamItemDeleted    = 1
	streamItemSameFields = 2
)

// ErrDumpPayload reports a payload whose footer (RDB version, CRC64) is
// wrong; ErrRDB reports one whose object cannot be decoded.
var ErrDumpPayload = errors.New("DUMP payload version or checksum are wrong")

// DumpObject is one key's value as a DUMP payload carries it.
type DumpObject struct {
	Type Type
	// Elems is a string's value (one element), a list's elements in
	// order, a set's members, a hash's fields and values alternating, or
	// a sorted set's members. Members are distinct.
	Elems [][]byte
	// Scores are a sorted set's scores, Scores[i] that of Elems[i].
	Scores []float64
	Stream *DumpStream
}

// DumpStream is a stream: its entries in id order (deleted ones left out),
// the listpack nodes they sat in, its counters and its consumer groups.
type DumpStream struct {
	Entries      []DumpStreamEntry
	Nodes        []DumpStreamNode
	LastID       StreamID
	FirstID      StreamID
	MaxDeleted   StreamID
	EntriesAdded int64
	// Legacy marks RDB type 15 (Redis before 7.0), which carries neither
	// FirstID, MaxDeleted, EntriesAdded nor the groups' EntriesRead: the
	// loader derives them as Redis does (EntriesAdded is the length,
	// EntriesRead is estimated).
	Legacy bool
	Groups []DumpStreamGroup
}

// DumpStreamEntry is one live stream entry, Fields alternating field names
// and values.
type DumpStreamEntry struct {
	ID     StreamID
	Fields [][]byte
}

// DumpStreamNode is one listpack node: its master id and fields, and how
// many of its entries are live or deleted. Bytes is the listpack's size.
type DumpStreamNode struct {
	Master         StreamID
	Fields         [][]byte
	Valid, Deleted int64
	Bytes          int64
	Last           StreamID // the id of its last entry, deleted or not
}

// DumpStreamGroup is a consumer group with its pending entries (in id
// order, each owned by one of Consumers).
type DumpStreamGroup struct {
	Name        []byte
	LastID      StreamID
	EntriesRead int64 // -1: unknown
	PEL         []DumpStreamNACK
	Consumers   []DumpStreamConsumer
}

// DumpStreamNACK is one pending entry.
type DumpStreamNACK struct {
	ID            StreamID
	DeliveryTime  int64
	DeliveryCount int64
	Consumer      []byte
}

// DumpStreamConsumer is one consumer; its pending ids are those of the
// group's PEL naming it.
type DumpStreamConsumer struct {
	Name     []byte
	SeenTime int64
}

// DecodeDump checks a DUMP payload's footer (ErrDumpPayload) and decodes
// its object (ErrRDB). Bytes after the object, before the footer, are
// ignored, as Redis ignores them.
func DecodeDump(payload []byte) (*DumpObject, error) {
	recs, ok := OpenPayload(payload)
	if !ok {
		return nil, ErrDumpPayload
	}
	r := NewRDBReader(recs)
	t, err := r.Byte()
	if err != nil {
		return nil, err
	}
	o, err := r.object(t)
	if err != nil {
		return nil, ErrRDB
	}
	return o, nil
}

// count reads a collection length; each element needs at least min bytes,
// so a length the rest of the payload cannot hold is refused before
// anything is allocated for it. Empty collections are refused too, as
// Redis 7.0 refuses empty keys.
func (r *RDBReader) count(min int) (int, error) {
	n, err := r.Length()
	if err != nil || n == 0 || n > uint64(r.Len()/min) {
		return 0, ErrRDB
	}
	return int(n), nil
}

func (r *RDBReader) object(t byte) (*DumpObject, error) {
	switch t {
	case rdbTypeString:
		s, err := r.String()
		return &DumpObject{Type: TypeString, Elems: [][]byte{s}}, err
	case rdbTypeList, rdbTypeSet:
		n, err := r.count(1)
		if err != nil {
			return nil, err
		}
		o := &DumpObject{Type: TypeList, Elems: make([][]byte, 0, n)}
		if t == rdbTypeSet {
			o.Type = TypeSet
		}
		for i := 0; i < n; i++ {
			s, err := r.String()
			if err != nil {
				return nil, err
			}
			o.Elems = append(o.Elems, s)
		}
		return o, o.checkDistinct()
	case rdbTypeHash:
		n, err := r.count(2)
		if err != nil {
			return nil, err
		}
		o := &DumpObject{Type: TypeHash, Elems: make([][]byte, 0, 2*n)}
		for i := 0; i < 2*n; i++ {
			s, err := r.String()
			if err != nil {
				return nil, err
			}
			o.Elems = append(o.Elems, s)
		}
		return o, o.checkDistinct()
	case rdbTypeZSet, rdbTypeZSet2:
		n, err := r.count(2)
		if err != nil {
			return nil, err
		}
		o := &DumpObject{Type: TypeZSet, Elems: make([][]byte, 0, n), Scores: make([]float64, 0, n)}
		for i := 0; i < n; i++ {
			s, err := r.String()
			if err != nil {
				return nil, err
			}
			f, err := r.score(t == rdbTypeZSet2)
			if err != nil {
				return nil, err
			}
			o.Elems, o.Scores = append(o.Elems, s), append(o.Scores, f)
		}
		return o, o.checkDistinct()
	case rdbTypeListQuicklist, rdbTypeListQuicklist2:
		return r.quicklist(t == rdbTypeListQuicklist2)
	case rdbTypeListZiplist, rdbTypeSetIntset, rdbTypeZSetZiplist, rdbTypeHashZiplist,
		rdbTypeHashListpack, rdbTypeZSetListpack:
		blob, err := r.String()
		if err != nil {
			return nil, err
		}
		return compactObject(t, blob)
	case rdbTypeStreamListpacks, rdbTypeStream2:
		return r.stream(t == rdbTypeStream2)
	}
	return nil, ErrRDB
}

// score reads a sorted-set score: 8 bytes little-endian (ZSET_2), or the
// old text form (a length byte, 253-255 for NaN, +inf, -inf).
func (r *RDBReader) score(binaryForm bool) (float64, error) {
	var f float64
	if binaryForm {
		p, err := r.take(8)
		if err != nil {
			return 0, err
		}
		f = math.Float64frombits(binary.LittleEndian.Uint64(p))
	} else {
		l, err := r.Byte()
		if err != nil {
			return 0, err
		}
		switch l {
		case 255:
			f = math.Inf(-1)
		case 254:
			f = math.Inf(1)
		case 253:
			f = math.NaN()
		default:
			p, err := r.take(int(l))
			if err != nil {
				return 0, err
			}
			v, n, _ := strtod(p)
			if n == 0 {
				return 0, ErrRDB
			}
			f = v
		}
	}
	if math.IsNaN(f) {
		return 0, ErrRDB
	}
	return f, nil
}

// quicklist reads a list of ziplist nodes (v2: listpack nodes, each with
// a container kind: packed, or plain for one large element).
func (r *RDBReader) quicklist(v2 bool) (*DumpObject, error) {
	n, err := r.count(2)
	if err != nil {
		return nil, err
	}
	o := &DumpObject{Type: TypeList}
	for i := 0; i < n; i++ {
		container := uint64(quicklistNodePacked)
		if v2 {
			if container, err = r.Length(); err != nil {
				return nil, err
			}
			if container != quicklistNodePlain && container != quicklistNodePacked {
				return nil, ErrRDB
			}
		}
		blob, err := r.String()
		if err != nil || len(blob) == 0 {
			return nil, ErrRDB
		}
		if container == quicklistNodePlain {
			o.Elems = append(o.Elems, blob)
			continue
		}
		var elems []lpElem
		if v2 {
			elems, err = decodeListpack(blob)
		} else {
			elems, err = decodeZiplist(blob)
		}
		if err != nil {
			return nil, err
		}
		for _, e := range elems {
			o.Elems = append(o.Elems, e.bytes())
		}
	}
	if len(o.Elems) == 0 {
		return nil, ErrRDB
	}
	return o, nil
}

// compactObject decodes a collection held in one ziplist, listpack or
// intset.
func compactObject(t byte, blob []byte) (*DumpObject, error) {
	if t == rdbTypeSetIntset {
		m, err := decodeIntset(blob)
		if err != nil || len(m) == 0 {
			return nil, ErrRDB
		}
		return &DumpObject{Type: TypeSet, Elems: m}, nil
	}
	var elems []lpElem
	var err error
	if t == rdbTypeHashListpack || t == rdbTypeZSetListpack {
		elems, err = decodeListpack(blob)
	} else {
		elems, err = decodeZiplist(blob)
	}
	if err != nil || len(elems) == 0 {
		return nil, ErrRDB
	}
	o := &DumpObject{Type: TypeList}
	switch t {
	case rdbTypeListZiplist:
		for _, e := range elems {
			o.Elems = append(o.Elems, e.bytes())
		}
		return o, nil
	case rdbTypeHashZiplist, rdbTypeHashListpack:
		if len(elems)%2 != 0 {
			return nil, ErrRDB
		}
		o.Type = TypeHash
		for _, e := range elems {
			o.Elems = append(o.Elems, e.bytes())
		}
		return o, o.checkDistinct()
	}
	// Sorted sets: member, score pairs; a score is an integer or text
	// that Redis reads with strtod (zzlStrtod, at most 128 bytes).
	if len(elems)%2 != 0 {
		return nil, ErrRDB
	}
	o.Type = TypeZSet
	for i := 0; i < len(elems); i += 2 {
		var f float64
		if e := elems[i+1]; e.isInt {
			f = float64(e.n)
		} else {
			s := e.s
			if len(s) > 128 {
				s = s[:128]
			}
			var n int
			if f, n, _ = strtod(s); n == 0 || math.IsNaN(f) {
				return nil, ErrRDB
			}
		}
		o.Elems, o.Scores = append(o.Elems, elems[i].bytes()), append(o.Scores, f)
	}
	return o, o.checkDistinct()
}

// checkDistinct refuses duplicate set members, hash fields or sorted-set
// members (Redis: "Duplicate ... detected", a bad format).
func (o *DumpObject) checkDistinct() error {
	step := 1
	switch o.Type {
	case TypeHash:
		step = 2
	case TypeSet, TypeZSet:
	default:
		return nil
	}
	seen := make(map[string]struct{}, len(o.Elems)/step)
	for i := 0; i < len(o.Elems); i += step {
		if _, dup := seen[string(o.Elems[i])]; dup {
			return ErrRDB
		}
		seen[string(o.Elems[i])] = struct{}{}
	}
	return nil
}

func (r *RDBReader) streamID() (StreamID, error) {
	ms, err := r.Length()
	if err != nil {
		return StreamID{}, err
	}
	seq, err := r.Length()
	return StreamID{ms, seq}, err
}

// millis reads an RDB millisecond time: 8 bytes little-endian.
func (r *RDBReader) millis() (int64, error) {
	p, err := r.take(8)
	if err != nil {
		return 0, err
	}
	return int64(binary.LittleEndian.Uint64(p)), nil
}

func (r *RDBReader) rawStreamID() (StreamID, error) {
	p, err := r.take(16)
	if err != nil {
		return StreamID{}, err
	}
	return DecodeStreamID(p), nil
}

// stream reads RDB_TYPE_STREAM_LISTPACKS (v2 false) or _2.
func (r *RDBReader) stream(v2 bool) (*DumpObject, error) {
	s := &DumpStream{Legacy: !v2}
	nodes, err := r.Length()
	if err != nil || nodes > uint64(r.Len()) {
		return nil, ErrRDB
	}
	var prev *StreamID
	for i := uint64(0); i < nodes; i++ {
		key, err := r.String()
		if err != nil || len(key) != 16 {
			return nil, ErrRDB
		}
		lp, err := r.String()
		if err != nil {
			return nil, err
		}
		node, entries, err := decodeStreamNode(DecodeStreamID(key), lp)
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			if prev != nil && e.ID.Compare(*prev) <= 0 {
				return nil, ErrRDB
			}
			id := e.ID
			prev = &id
		}
		if len(s.Nodes) > 0 && node.Master.Compare(s.Nodes[len(s.Nodes)-1].Last) <= 0 {
			return nil, ErrRDB
		}
		s.Nodes = append(s.Nodes, node)
		s.Entries = append(s.Entries, entries...)
	}
	length, err := r.Length()
	if err != nil || length != uint64(len(s.Entries)) {
		return nil, ErrRDB
	}
	if s.LastID, err = r.streamID(); err != nil {
		return nil, err
	}
	if prev != nil && prev.Compare(s.LastID) > 0 {
		return nil, ErrRDB
	}
	if v2 {
		if s.FirstID, err = r.streamID(); err != nil {
			return nil, err
		}
		if s.MaxDeleted, err = r.streamID(); err != nil {
			return nil, err
		}
		added, err := r.Length()
		if err != nil || added > math.MaxInt64 {
			return nil, ErrRDB
		}
		s.EntriesAdded = int64(added)
	} else {
		s.EntriesAdded = int64(len(s.Entries))
		if len(s.Entries) > 0 {
			s.FirstID = s.Entries[0].ID
		}
	}
	groups, err := r.Length()
	if err != nil || groups > uint64(r.Len()) {
		return nil, ErrRDB
	}
	names := map[string]bool{}
	for i := uint64(0); i < groups; i++ {
		g, err := r.streamGroup(v2)
		if err != nil {
			return nil, err
		}
		if names[string(g.Name)] {
			return nil, ErrRDB
		}
		names[string(g.Name)] = true
		s.Groups = append(s.Groups, g)
	}
	return &DumpObject{Type: TypeStream, Stream: s}, nil
}

func (r *RDBReader) streamGroup(v2 bool) (DumpStreamGroup, error) {
	var g DumpStreamGroup
	var err error
	if g.Name, err = r.String(); err != nil {
		return g, err
	}
	if g.LastID, err = r.streamID(); err != nil {
		return g, err
	}
	g.EntriesRead = -1
	if v2 {
		n, err := r.Length()
		if err != nil {
			return g, err
		}
		g.EntriesRead = int64(n) // SCG_INVALID_ENTRIES_READ is -1 as a uint64
	}
	pel, err := r.Length()
	if err != nil || pel > uint64(r.Len()/25) {
		return g, ErrRDB
	}
	index := make(map[StreamID]int, pel)
	for i := uint64(0); i < pel; i++ {
		var n DumpStreamNACK
		if n.ID, err = r.rawStreamID(); err != nil {
			return g, err
		}
		if n.DeliveryTime, err = r.millis(); err != nil {
			return g, err
		}
		count, err := r.Length()
		if err != nil {
			return g, err
		}
		n.DeliveryCount = int64(count)
		if _, dup := index[n.ID]; dup || (i > 0 && n.ID.Compare(g.PEL[i-1].ID) <= 0) {
			return g, ErrRDB
		}
		index[n.ID] = len(g.PEL)
		g.PEL = append(g.PEL, n)
	}
	consumers, err := r.Length()
	if err != nil || consumers > uint64(r.Len()/10) {
		return g, ErrRDB
	}
	names := map[string]bool{}
	for i := uint64(0); i < consumers; i++ {
		var c DumpStreamConsumer
		if c.Name, err = r.String(); err != nil {
			return g, err
		}
		if names[string(c.Name)] {
			return g, ErrRDB
		}
		names[string(c.Name)] = true
		if c.SeenTime, err = r.millis(); err != nil {
			return g, err
		}
		owned, err := r.Length()
		if err != nil || owned > uint64(r.Len()/16) {
			return g, ErrRDB
		}
		for j := uint64(0); j < owned; j++ {
			id, err := r.rawStreamID()
			if err != nil {
				return g, err
			}
			k, ok := index[id]
			if !ok || g.PEL[k].Consumer != nil {
				return g, ErrRDB // not in the group's PEL, or owned twice
			}
			g.PEL[k].Consumer = c.Name
		}
		g.Consumers = append(g.Consumers, c)
	}
	// Every pending entry must have an owner (Redis checks it when it
	// sanitizes payloads; Moonstone's PEL records name their consumer).
	for _, n := range g.PEL {
		if n.Consumer == nil {
			return g, ErrRDB
		}
	}
	return g, nil
}

// decodeStreamNode reads one stream listpack (t_stream.c's layout): the
// master entry (count, deleted, master field count and names, 0), then
// entries (flags, ms and seq relative to the master id, then the values
// alone when they use the master fields, else a field count and
// field/value pairs, then the entry's element count).
func decodeStreamNode(master StreamID, lp []byte) (DumpStreamNode, []DumpStreamEntry, error) {
	node := DumpStreamNode{Master: master, Bytes: int64(len(lp))}
	el, err := decodeListpack(lp)
	if err != nil {
		return node, nil, err
	}
	pos := 0
	next := func() (lpElem, bool) {
		if pos >= len(el) {
			return lpElem{}, false
		}
		pos++
		return el[pos-1], true
	}
	nextInt := func() (int64, bool) {
		e, ok := next()
		if !ok {
			return 0, false
		}
		return e.integer()
	}
	valid, ok1 := nextInt()
	deleted, ok2 := nextInt()
	nf, ok3 := nextInt()
	if !ok1 || !ok2 || !ok3 || valid < 0 || deleted < 0 || nf < 0 || nf > int64(len(el)) || valid+deleted == 0 {
		return node, nil, ErrRDB
	}
	for i := int64(0); i < nf; i++ {
		e, ok := next()
		if !ok {
			return node, nil, ErrRDB
		}
		node.Fields = append(node.Fields, e.bytes())
	}
	if z, ok := nextInt(); !ok || z != 0 {
		return node, nil, ErrRDB
	}
	var entries []DumpStreamEntry
	for pos < len(el) {
		flags, ok1 := nextInt()
		msd, ok2 := nextInt()
		seqd, ok3 := nextInt()
		if !ok1 || !ok2 || !ok3 {
			return node, nil, ErrRDB
		}
		id := StreamID{master.Ms + uint64(msd), master.Seq + uint64(seqd)}
		var fv [][]byte
		if flags&streamItemSameFields != 0 {
			for _, f := range node.Fields {
				v, ok := next()
				if !ok {
					return node, nil, ErrRDB
				}
				fv = append(fv, f, v.bytes())
			}
		} else {
			n, ok := nextInt()
			if !ok || n < 0 || n > int64(len(el)-pos)/2 {
				return node, nil, ErrRDB
			}
			for i := int64(0); i < 2*n; i++ {
				e, _ := next()
				fv = append(fv, e.bytes())
			}
		}
		if _, ok := nextInt(); !ok { // lp-count
			return node, nil, ErrRDB
		}
		if len(entries) > 0 && id.Compare(entries[len(entries)-1].ID) <= 0 ||
			node.Valid+node.Deleted > 0 && id.Compare(node.Last) <= 0 || id.Compare(master) < 0 {
			return node, nil, ErrRDB
		}
		node.Last = id
		if flags&streamItemDeleted != 0 {
			node.Deleted++
			continue
		}
		node.Valid++
		entries = append(entries, DumpStreamEntry{ID: id, Fields: fv})
	}
	if node.Valid != valid || node.Deleted != deleted {
		return node, nil, ErrRDB
	}
	return node, entries, nil
}

// EncodeDump serializes o as a DUMP payload.
func EncodeDump(o *DumpObject) []byte {
	var b []byte
	switch o.Type {
	case TypeString:
		b = AppendRDBString(append(b, rdbTypeString), o.Elems[0])
	case TypeList, TypeSet, TypeHash:
		t := map[Type]byte{TypeList: rdbTypeList, TypeSet: rdbTypeSet, TypeHash: rdbTypeHash}[o.Type]
		n := len(o.Elems)
		if o.Type == TypeHash {
			n /= 2
		}
		b = AppendRDBLen(append(b, t), uint64(n))
		for _, e := range o.Elems {
			b = AppendRDBString(b, e)
		}
	case TypeZSet:
		b = AppendRDBLen(append(b, rdbTypeZSet2), uint64(len(o.Elems)))
		for i, e := range o.Elems {
			b = AppendRDBString(b, e)
			b = binary.LittleEndian.AppendUint64(b, math.Float64bits(o.Scores[i]))
		}
	case TypeStream:
		b = appendStream(append(b, rdbTypeStream2), o.Stream)
	}
	return SealPayload(b)
}

func appendRDBStreamID(b []byte, id StreamID) []byte {
	return AppendRDBLen(AppendRDBLen(b, id.Ms), id.Seq)
}

// appendStream writes RDB_TYPE_STREAM_LISTPACKS_2. Each node's listpack
// holds the node's live entries (Moonstone keeps no deleted ones); its
// master fields are those of its first entry.
func appendStream(b []byte, s *DumpStream) []byte {
	type chunk struct {
		master  StreamID
		entries []DumpStreamEntry
	}
	// Entries go to the node with the greatest master id not above them.
	var chunks []chunk
	e := s.Entries
	for i, n := range s.Nodes {
		end := len(e)
		if i+1 < len(s.Nodes) {
			end = 0
			for end < len(e) && e[end].ID.Compare(s.Nodes[i+1].Master) < 0 {
				end++
			}
		}
		if end > 0 {
			chunks = append(chunks, chunk{n.Master, e[:end]})
		}
		e = e[end:]
	}
	if len(e) > 0 { // entries without a node record: one node of their own
		chunks = append(chunks, chunk{e[0].ID, e})
	}
	b = AppendRDBLen(b, uint64(len(chunks)))
	for _, c := range chunks {
		master := c.master
		if c.entries[0].ID.Compare(master) < 0 {
			master = c.entries[0].ID
		}
		b = AppendRDBString(b, AppendStreamID(nil, master))
		b = AppendRDBString(b, encodeStreamNode(master, c.entries))
	}
	b = AppendRDBLen(b, uint64(len(s.Entries)))
	b = appendRDBStreamID(b, s.LastID)
	b = appendRDBStreamID(b, s.FirstID)
	b = appendRDBStreamID(b, s.MaxDeleted)
	b = AppendRDBLen(b, uint64(s.EntriesAdded))
	b = AppendRDBLen(b, uint64(len(s.Groups)))
	for _, g := range s.Groups {
		b = AppendRDBString(b, g.Name)
		b = appendRDBStreamID(b, g.LastID)
		b = AppendRDBLen(b, uint64(g.EntriesRead))
		b = AppendRDBLen(b, uint64(len(g.PEL)))
		for _, n := range g.PEL {
			b = AppendStreamID(b, n.ID)
			b = binary.LittleEndian.AppendUint64(b, uint64(n.DeliveryTime))
			b = AppendRDBLen(b, uint64(n.DeliveryCount))
		}
		b = AppendRDBLen(b, uint64(len(g.Consumers)))
		for _, c := range g.Consumers {
			b = AppendRDBString(b, c.Name)
			b = binary.LittleEndian.AppendUint64(b, uint64(c.SeenTime))
			var owned []StreamID
			for _, n := range g.PEL {
				if string(n.Consumer) == string(c.Name) {
					owned = append(owned, n.ID)
				}
			}
			b = AppendRDBLen(b, uint64(len(owned)))
			for _, id := range owned {
				b = AppendStreamID(b, id)
			}
		}
	}
	return b
}

// encodeStreamNode builds one node's listpack as t_stream.c's
// streamAppendItem does.
func encodeStreamNode(master StreamID, entries []DumpStreamEntry) []byte {
	w := newListpackWriter()
	w.appendInt(int64(len(entries)))
	w.appendInt(0)
	first := entries[0].Fields
	w.appendInt(int64(len(first) / 2))
	for i := 0; i < len(first); i += 2 {
		w.appendString(first[i])
	}
	w.appendInt(0)
	for _, e := range entries {
		same := len(e.Fields) == len(first)
		for i := 0; same && i < len(first); i += 2 {
			same = string(e.Fields[i]) == string(first[i])
		}
		nf := int64(len(e.Fields) / 2)
		flags := int64(0)
		if same {
			flags = streamItemSameFields
		}
		w.appendInt(flags)
		w.appendInt(int64(e.ID.Ms - master.Ms))
		w.appendInt(int64(e.ID.Seq - master.Seq))
		if same {
			for i := 1; i < len(e.Fields); i += 2 {
				w.appendString(e.Fields[i])
			}
			w.appendInt(nf + 3)
			continue
		}
		w.appendInt(nf)
		for _, f := range e.Fields {
			w.appendString(f)
		}
		w.appendInt(2*nf + 4)
	}
	return w.finish()
}
