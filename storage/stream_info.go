package storage

import (
	"moonstone/codec"
)

// XINFO's views of a stream.

// StreamSummary is XINFO STREAM without FULL (First/Last nil when empty).
type StreamSummary struct {
	Length      int64
	Nodes       int64
	RaxNodes    int64
	State       codec.StreamState
	Groups      int64
	First, Last *StreamEntry
}

// GroupInfo is one group as XINFO GROUPS shows it.
type GroupInfo struct {
	Name        []byte
	Consumers   int64
	Pending     int64
	LastID      StreamID
	EntriesRead int64 // -1: null
	Lag         int64
	LagKnown    bool
}

// ConsumerInfo is one consumer of a group.
type ConsumerInfo struct {
	Name     []byte
	Pending  int64
	SeenTime int64
	PEL      []PendingEntry // XINFO STREAM FULL only
}

// GroupFull is one group as XINFO STREAM FULL shows it.
type GroupFull struct {
	GroupInfo
	PEL       []PendingEntry
	Consumers []ConsumerInfo
}

// StreamFull is XINFO STREAM FULL.
type StreamFull struct {
	Length   int64
	Nodes    int64
	RaxNodes int64
	State    codec.StreamState
	Entries  []StreamEntry
	Groups   []GroupFull
}

// raxNodeCountLimit bounds the node records radixNodes reads: past it the
// count is estimated.
const raxNodeCountLimit = 100000

// radixNodes is the number of nodes of the radix tree Redis would keep for
// the stream's node master ids (XINFO's radix-tree-nodes): a rax is a
// compressed trie over the 16-byte big-endian ids, canonical for a given
// key set.
func (tx *Tx) radixNodes(m *Meta) (int64, error) {
	if m.Stream.Nodes > raxNodeCountLimit {
		return 2*m.Stream.Nodes + 1, nil
	}
	prefix := codec.StreamNodePrefix(m.Version)
	it, err := tx.iter(prefix, codec.PrefixEnd(prefix))
	if err != nil {
		return 0, err
	}
	var keys [][]byte
	for ok := it.First(); ok; ok = it.Next() {
		keys = append(keys, append([]byte(nil), it.Key()[len(prefix):]...))
	}
	if err := it.Close(); err != nil {
		return 0, err
	}
	if len(keys) == 0 {
		return 1, nil
	}
	return raxCount(keys, 0), nil
}

// raxCount counts the rax nodes below the trie position at depth d shared
// by keys (sorted, distinct, all 16 bytes).
func raxCount(keys [][]byte, d int) int64 {
	if d == 16 {
		return 1 // the key's leaf
	}
	first, last := keys[0], keys[len(keys)-1]
	l := 0
	for d+l < 16 && first[d+l] == last[d+l] {
		l++
	}
	var n int64
	if l > 0 {
		// A compressed node holds the common run.
		n = 1
		d += l
		if d == 16 {
			return n + 1
		}
	}
	n++ // the branching node
	for i := 0; i < len(keys); {
		j := i + 1
		for j < len(keys) && keys[j][d] == keys[i][d] {
			j++
		}
		n += raxCount(keys[i:j], d+1)
		i = j
	}
	return n
}

// XInfoStream reads XINFO STREAM's summary; ErrNoSuchKey when absent.
func (tx *Tx) XInfoStream(db int, key []byte) (StreamSummary, error) {
	m, err := tx.streamOrNoKey(db, key)
	if err != nil {
		return StreamSummary{}, err
	}
	ss := StreamSummary{Length: m.Count, Nodes: m.Stream.Nodes, State: m.Stream, Groups: m.Stream.Groups}
	if ss.RaxNodes, err = tx.radixNodes(m); err != nil {
		return ss, err
	}
	first, err := tx.streamRange(m, StreamID{}, codec.MaxStreamID, 1, false)
	if err != nil {
		return ss, err
	}
	last, err := tx.streamRange(m, StreamID{}, codec.MaxStreamID, 1, true)
	if err != nil {
		return ss, err
	}
	if len(first) > 0 {
		ss.First, ss.Last = &first[0], &last[0]
	}
	return ss, nil
}

func (tx *Tx) streamOrNoKey(db int, key []byte) (*Meta, error) {
	m, err := tx.stream(db, key)
	if err != nil {
		return nil, err
	}
	if m == nil {
		return nil, ErrNoSuchKey
	}
	return m, nil
}

// XInfoGroups lists a stream's groups in name order.
func (tx *Tx) XInfoGroups(db int, key []byte) ([]GroupInfo, error) {
	m, err := tx.streamOrNoKey(db, key)
	if err != nil {
		return nil, err
	}
	return tx.groupInfos(m)
}

func (tx *Tx) groupInfos(m *Meta) ([]GroupInfo, error) {
	prefix := codec.StreamGroupPrefix(m.Version)
	it, err := tx.iter(prefix, codec.PrefixEnd(prefix))
	if err != nil {
		return nil, err
	}
	var out []GroupInfo
	for ok := it.First(); ok; ok = it.Next() {
		g, err := codec.DecodeStreamGroup(it.Value())
		if err != nil {
			it.Close()
			return nil, err
		}
		gi := GroupInfo{
			Name:      append([]byte{}, codec.StreamGroupFromKey(it.Key())...),
			Consumers: g.Consumers, Pending: g.Pending, LastID: g.LastID, EntriesRead: g.EntriesRead,
		}
		gi.Lag, gi.LagKnown = groupLag(m, &g)
		out = append(out, gi)
	}
	return out, it.Close()
}

// XInfoConsumers lists a group's consumers in name order; ErrNoGroup when
// the group is absent.
func (tx *Tx) XInfoConsumers(db int, key, group []byte) ([]ConsumerInfo, error) {
	m, err := tx.streamOrNoKey(db, key)
	if err != nil {
		return nil, err
	}
	_, ok, err := tx.loadGroup(m.Version, group)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrNoGroup
	}
	var out []ConsumerInfo
	err = tx.eachConsumer(m.Version, group, func(name []byte, c codec.StreamConsumer) {
		out = append(out, ConsumerInfo{Name: append([]byte{}, name...), Pending: c.Pending, SeenTime: c.SeenTime})
	})
	return out, err
}

// XInfoStreamFull reads XINFO STREAM FULL: up to count entries and PEL
// entries per group and consumer (count 0: all).
func (tx *Tx) XInfoStreamFull(db int, key []byte, count int64) (StreamFull, error) {
	m, err := tx.streamOrNoKey(db, key)
	if err != nil {
		return StreamFull{}, err
	}
	sf := StreamFull{Length: m.Count, Nodes: m.Stream.Nodes, State: m.Stream}
	if sf.RaxNodes, err = tx.radixNodes(m); err != nil {
		return sf, err
	}
	if sf.Entries, err = tx.streamRange(m, StreamID{}, codec.MaxStreamID, count, false); err != nil {
		return sf, err
	}
	infos, err := tx.groupInfos(m)
	if err != nil {
		return sf, err
	}
	limit := count
	if limit <= 0 {
		limit = 1<<63 - 1
	}
	for _, gi := range infos {
		g, _, err := tx.loadGroup(m.Version, gi.Name)
		if err != nil {
			return sf, err
		}
		gc := &groupCtx{tx: tx, m: m, name: gi.Name, g: g, consumers: map[string]*consumerRec{}}
		gf := GroupFull{GroupInfo: gi}
		if gf.PEL, err = gc.pendingRange(StreamID{}, codec.MaxStreamID, limit, 0, nil); err != nil {
			return sf, err
		}
		var cons []ConsumerInfo
		if err := tx.eachConsumer(m.Version, gi.Name, func(name []byte, c codec.StreamConsumer) {
			cons = append(cons, ConsumerInfo{Name: append([]byte{}, name...), Pending: c.Pending, SeenTime: c.SeenTime})
		}); err != nil {
			return sf, err
		}
		for i := range cons {
			if cons[i].PEL, err = gc.pendingRange(StreamID{}, codec.MaxStreamID, limit, 0, cons[i].Name); err != nil {
				return sf, err
			}
		}
		gf.Consumers = cons
		sf.Groups = append(sf.Groups, gf)
	}
	return sf, nil
}
