package server

import (
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// Pub/sub: who listens to what, and how a message reaches a subscriber.
//
// Subscriptions live in the server's pubsub registry under one RWMutex:
// channel -> subscribers, pattern -> subscribers, shard channel ->
// subscribers, and on each subscribing connection its own ordered sets.
// A connection changes its own subscriptions (under the lock, so CLIENT
// LIST and publishers see a consistent state) and reads them without it.
//
// Delivery. A connection's goroutine spends its idle time blocked reading
// the socket, so messages need another writer: a connection that ever
// subscribed gets a bounded queue and a small goroutine that drains it
// (pushLoop). A publisher only appends to queues, so it never waits for a
// slow subscriber's socket; a queue over the pubsub class of
// client-output-buffer-limit gets its connection closed, as Redis does.
// The connection's output lock (Conn.out) is held by the connection's
// goroutine from the start of a command until its replies are flushed, and
// by pushLoop while it writes, so a message lands between two replies,
// never inside one. When the connection's goroutine starts a command it
// takes what is queued, and the batch pushLoop holds, into its reply
// buffer (drainPushes), so a message queued before a command was read is
// written before its reply, as Redis orders its output buffer. Before
// writing, pushLoop waits until every commit made so far is durable: a
// message about committed data (a keyspace event, a PUBLISH from a script)
// is never seen before that data is on disk under appendfsync always, the
// same promise replies keep.
//
// Messages are formatted by pushLoop under the output lock, where the
// connection's protocol version can be read safely: a frame is an array
// in RESP2 and a push (">") in RESP3.

type pubsubRegistry struct {
	mu       sync.RWMutex
	channels map[string]map[*Conn]struct{}
	patterns map[string]map[*Conn]struct{}
	shard    map[string]map[*Conn]struct{}

	// Limits of the pubsub client class (client-output-buffer-limit),
	// read by publishers on every message.
	limits queueLimits
	// notify is notify-keyspace-events as Redis's flag bits (notify.go).
	notify atomic.Int64
}

// queueLimits are one client class's client-output-buffer-limit, applied
// to a delivery queue: closed past hard bytes, or past soft bytes for more
// than softSeconds (0 disables a limit).
type queueLimits struct {
	hard, soft, softSeconds atomic.Int64
}

// connPubSub is a subscribing connection's side: its subscriptions and its
// delivery queue. It exists only for connections that subscribed, or that
// monitor (monitor.go), which use the queue alone.
type connPubSub struct {
	channels, patterns, shard orderedSet

	mu   sync.Mutex
	msgs []pushMsg
	// inflight is the batch pushLoop took and has not written yet.
	inflight  []pushMsg
	bytes     int64     // queued plus being written
	softSince time.Time // when the queue first went over the soft limit
	dead      bool      // closed for going over the limit
	wake      chan struct{}
	done      chan struct{}
	exited    chan struct{}
}

// orderedSet is a set of strings that remembers insertion order, so
// UNSUBSCRIBE without arguments answers in subscription order.
type orderedSet struct {
	idx   map[string]int
	items []string
}

func (s *orderedSet) has(k string) bool { _, ok := s.idx[k]; return ok }
func (s *orderedSet) len() int          { return len(s.items) }

func (s *orderedSet) add(k string) bool {
	if s.has(k) {
		return false
	}
	if s.idx == nil {
		s.idx = make(map[string]int)
	}
	s.idx[k] = len(s.items)
	s.items = append(s.items, k)
	return true
}

func (s *orderedSet) remove(k string) bool {
	i, ok := s.idx[k]
	if !ok {
		return false
	}
	delete(s.idx, k)
	copy(s.items[i:], s.items[i+1:])
	s.items = s.items[:len(s.items)-1]
	for j := i; j < len(s.items); j++ {
		s.idx[s.items[j]] = j
	}
	return true
}

// pushMsg is one message waiting for a subscriber. Its byte slices are
// shared by every subscriber of one publish and never modified.
type pushMsg struct {
	kind    string // "message", "pmessage", "smessage", or pushRaw
	pattern string
	channel []byte
	payload []byte
}

// size is what the message counts against the output buffer limit.
func (m *pushMsg) size() int64 {
	return int64(len(m.pattern)+len(m.channel)+len(m.payload)) + 48
}

// appendPushHeader appends the header of a pub/sub frame of n elements: a
// push in RESP3, an array in RESP2.
func appendPushHeader(b []byte, resp, n int) []byte {
	if resp == 3 {
		b = append(b, '>')
	} else {
		b = append(b, '*')
	}
	b = strconv.AppendInt(b, int64(n), 10)
	return append(b, '\r', '\n')
}

func appendBulk(b, s []byte) []byte {
	b = append(b, '$')
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, '\r', '\n')
	b = append(b, s...)
	return append(b, '\r', '\n')
}

func appendBulkString(b []byte, s string) []byte {
	b = append(b, '$')
	b = strconv.AppendInt(b, int64(len(s)), 10)
	b = append(b, '\r', '\n')
	b = append(b, s...)
	return append(b, '\r', '\n')
}

// pushRaw is the kind of a message whose payload is written as it is: a
// MONITOR line, the same in both protocols, or an invalidation message
// already written for its connection (tracking.go).
const pushRaw = "raw"

func (m *pushMsg) appendFrame(b []byte, resp int) []byte {
	if m.kind == pushRaw {
		return append(b, m.payload...)
	}
	if m.kind == "pmessage" {
		b = appendPushHeader(b, resp, 4)
		b = appendBulkString(b, m.kind)
		b = appendBulkString(b, m.pattern)
	} else {
		b = appendPushHeader(b, resp, 3)
		b = appendBulkString(b, m.kind)
	}
	b = appendBulk(b, m.channel)
	return appendBulk(b, m.payload)
}

// subscriptionCount is what (P)SUBSCRIBE confirmations report: channels
// plus patterns. Only cn's own goroutine calls it.
func (cn *Conn) subscriptionCount() int {
	if cn.ps == nil {
		return 0
	}
	return cn.ps.channels.len() + cn.ps.patterns.len()
}

// inPubSub reports whether cn is in subscribed mode (Redis's
// CLIENT_PUBSUB): subscribed to at least one channel, pattern or shard
// channel.
func (cn *Conn) inPubSub() bool {
	return cn.ps != nil && cn.ps.channels.len()+cn.ps.patterns.len()+cn.ps.shard.len() > 0
}

// pubsubCounts returns cn's channel, pattern and shard channel counts, for
// CLIENT LIST from any goroutine.
func (cn *Conn) pubsubCounts() (sub, psub, ssub int) {
	reg := &cn.srv.pubsub
	reg.mu.RLock()
	defer reg.mu.RUnlock()
	if cn.ps == nil {
		return 0, 0, 0
	}
	return cn.ps.channels.len(), cn.ps.patterns.len(), cn.ps.shard.len()
}

// pubsubState returns cn's pub/sub side, creating it (and starting its
// writer) on first use. The caller holds the registry lock.
func (cn *Conn) pubsubStateLocked() *connPubSub {
	if cn.ps == nil {
		ps := &connPubSub{
			wake:   make(chan struct{}, 1),
			done:   make(chan struct{}),
			exited: make(chan struct{}),
		}
		cn.ps = ps
		go cn.pushLoop(ps)
	}
	return cn.ps
}

// registryFor returns the server-side map for a kind of subscription.
func (reg *pubsubRegistry) table(kind int) *map[string]map[*Conn]struct{} {
	switch kind {
	case subPattern:
		return &reg.patterns
	case subShard:
		return &reg.shard
	}
	return &reg.channels
}

const (
	subChannel = iota
	subPattern
	subShard
)

func (ps *connPubSub) set(kind int) *orderedSet {
	switch kind {
	case subPattern:
		return &ps.patterns
	case subShard:
		return &ps.shard
	}
	return &ps.channels
}

// subscribe adds name to cn's subscriptions of the given kind.
func (s *Server) subscribe(cn *Conn, kind int, name string) {
	reg := &s.pubsub
	reg.mu.Lock()
	defer reg.mu.Unlock()
	ps := cn.pubsubStateLocked()
	if !ps.set(kind).add(name) {
		return
	}
	t := reg.table(kind)
	if *t == nil {
		*t = make(map[string]map[*Conn]struct{})
	}
	subs := (*t)[name]
	if subs == nil {
		subs = make(map[*Conn]struct{})
		(*t)[name] = subs
	}
	subs[cn] = struct{}{}
}

// unsubscribe removes name from cn's subscriptions of the given kind and
// reports whether it was there.
func (s *Server) unsubscribe(cn *Conn, kind int, name string) bool {
	if cn.ps == nil {
		return false
	}
	reg := &s.pubsub
	reg.mu.Lock()
	defer reg.mu.Unlock()
	return s.unsubscribeLocked(cn, kind, name)
}

func (s *Server) unsubscribeLocked(cn *Conn, kind int, name string) bool {
	if !cn.ps.set(kind).remove(name) {
		return false
	}
	t := *s.pubsub.table(kind)
	subs := t[name]
	delete(subs, cn)
	if len(subs) == 0 {
		delete(t, name)
	}
	return true
}

// unsubscribeAll drops every subscription of cn (RESET, disconnect),
// without replies.
func (s *Server) unsubscribeAll(cn *Conn) {
	if cn.ps == nil {
		return
	}
	reg := &s.pubsub
	reg.mu.Lock()
	defer reg.mu.Unlock()
	for kind := subChannel; kind <= subShard; kind++ {
		for _, name := range append([]string(nil), cn.ps.set(kind).items...) {
			s.unsubscribeLocked(cn, kind, name)
		}
	}
}

// receivers counts who a publish to channel would reach now: channel
// subscribers plus, for non-shard channels, one per matching pattern
// subscription.
func (s *Server) receivers(channel []byte, shard bool) int {
	reg := &s.pubsub
	reg.mu.RLock()
	defer reg.mu.RUnlock()
	if shard {
		return len(reg.shard[string(channel)])
	}
	n := len(reg.channels[string(channel)])
	for pat, subs := range reg.patterns {
		if globMatch([]byte(pat), channel, false) {
			n += len(subs)
		}
	}
	return n
}

// publish queues msg for every subscriber of channel (and of matching
// patterns unless shard) and returns how many it reached. channel and msg
// must not be modified afterwards.
func (s *Server) publish(channel, msg []byte, shard bool) int {
	reg := &s.pubsub
	reg.mu.RLock()
	defer reg.mu.RUnlock()
	n := 0
	if shard {
		m := pushMsg{kind: "smessage", channel: channel, payload: msg}
		for cn := range reg.shard[string(channel)] {
			cn.ps.push(cn, m, &reg.limits)
			n++
		}
		return n
	}
	m := pushMsg{kind: "message", channel: channel, payload: msg}
	for cn := range reg.channels[string(channel)] {
		cn.ps.push(cn, m, &reg.limits)
		n++
	}
	for pat, subs := range reg.patterns {
		if !globMatch([]byte(pat), channel, false) {
			continue
		}
		pm := pushMsg{kind: "pmessage", pattern: pat, channel: channel, payload: msg}
		for cn := range subs {
			cn.ps.push(cn, pm, &reg.limits)
			n++
		}
	}
	return n
}

// publishCall is PUBLISH / SPUBLISH from a command: the receivers are
// counted now, and the message is delivered when the call's write
// transaction commits (a script, MULTI/EXEC), or at once when the call
// runs outside one.
func (c *Call) publishCall(channel, msg []byte, shard bool) int {
	s := c.Srv
	ch := append([]byte(nil), channel...)
	m := append([]byte(nil), msg...)
	if c.Tx != nil && c.Tx.Writable() {
		n := s.receivers(ch, shard)
		c.Tx.AfterCommit(func() { s.publish(ch, m, shard) })
		return n
	}
	return s.publish(ch, m, shard)
}

// push queues m for cn, closing cn when its queue goes over limits (the
// pubsub class for messages, the normal class for MONITOR lines). It never
// blocks on the network.
func (ps *connPubSub) push(cn *Conn, m pushMsg, limits *queueLimits) {
	size := m.size()
	ps.mu.Lock()
	if ps.dead {
		ps.mu.Unlock()
		return
	}
	ps.bytes += size
	over := false
	if hard := limits.hard.Load(); hard > 0 && ps.bytes > hard {
		over = true
	}
	if soft := limits.soft.Load(); soft > 0 && ps.bytes > soft {
		// As Redis: the first time over the soft limit starts the clock;
		// still over it more than soft_seconds later closes the client.
		now := time.Now()
		if ps.softSince.IsZero() {
			ps.softSince = now
		} else if now.Sub(ps.softSince) > time.Duration(limits.softSeconds.Load())*time.Second {
			over = true
		}
	} else {
		ps.softSince = time.Time{}
	}
	if over {
		ps.dead = true
		ps.msgs = nil
		ps.mu.Unlock()
		cn.srv.logf(levelWarning, "Client id=%d addr=%s closed for overcoming of output buffer limits.", cn.id, cn.addr)
		cn.kill()
		return
	}
	ps.msgs = append(ps.msgs, m)
	ps.mu.Unlock()
	select {
	case ps.wake <- struct{}{}:
	default:
	}
}

// pushLoop writes cn's queued messages until the connection closes. The
// batch it takes stays in ps.inflight until it holds the output lock: a
// command that must answer after every message queued before it (a
// monitor's RESET) takes that batch too (drainPushes), and pushLoop then
// finds nothing left to write.
func (cn *Conn) pushLoop(ps *connPubSub) {
	defer close(ps.exited)
	db := cn.srv.db
	var buf []byte
	for {
		select {
		case <-ps.wake:
		case <-ps.done:
			return
		}
		ps.mu.Lock()
		// inflight is empty here: every round, or drainPushes, ends it.
		ps.inflight, ps.msgs = ps.msgs, nil
		n := len(ps.inflight)
		ps.mu.Unlock()
		if n == 0 {
			continue
		}
		if err := db.Wait(db.ReadBarrier()); err != nil {
			// Never reveal what may not be on disk.
			cn.kill()
			return
		}
		cn.out.Lock()
		ps.mu.Lock()
		msgs := ps.inflight
		ps.inflight = nil
		ps.mu.Unlock()
		if len(msgs) == 0 {
			cn.out.Unlock()
			continue
		}
		var size int64
		buf = buf[:0]
		for i := range msgs {
			buf = msgs[i].appendFrame(buf, cn.resp)
			size += msgs[i].size()
		}
		_, err := cn.write(buf)
		cn.out.Unlock()
		ps.mu.Lock()
		ps.bytes -= size
		ps.mu.Unlock()
		if err != nil {
			cn.kill()
			return
		}
		if cap(buf) > 1<<20 {
			buf = nil
		}
	}
}

// drainPushes moves the messages queued for cn (pub/sub messages, MONITOR
// lines, invalidations: tracking.go), and the batches its writers hold,
// into its reply buffer, so they go out before the reply of the command it
// is about to run, as Redis orders its output buffer. The connection's
// goroutine calls it holding the output lock, when it starts a command;
// the reply then waits, as the messages would have, for the commits made
// before them.
func (cn *Conn) drainPushes() {
	cn.drainQueue(cn.ps)
	cn.drainQueue(cn.trackq.Load())
}

// drainQueue moves what ps holds into the reply buffer.
func (cn *Conn) drainQueue(ps *connPubSub) {
	if ps == nil || ps == closedPushQueue {
		return
	}
	ps.mu.Lock()
	msgs := append(ps.inflight, ps.msgs...)
	ps.inflight, ps.msgs = nil, nil
	ps.mu.Unlock()
	if len(msgs) == 0 {
		return
	}
	var size int64
	var buf []byte
	for i := range msgs {
		buf = msgs[i].appendFrame(buf, cn.resp)
		size += msgs[i].size()
	}
	cn.w.WriteRaw(buf)
	cn.await(cn.srv.db.ReadBarrier())
	ps.mu.Lock()
	ps.bytes -= size
	ps.mu.Unlock()
}

// closePubSub ends cn's subscriptions and its writer; the socket is
// already closed, so a write in progress fails at once.
func (cn *Conn) closePubSub() {
	if cn.ps == nil {
		return
	}
	cn.srv.unsubscribeAll(cn)
	close(cn.ps.done)
	<-cn.ps.exited
}

// setOutputLimits applies client-output-buffer-limit: the pubsub class to
// subscribers' queues, the normal class to monitors' (monitor.go).
func (s *Server) setOutputLimits(value string) {
	limits := map[string]paramOBufLimit{}
	if paramParseOutputBufferLimit(limits, value) != nil {
		return
	}
	for class, q := range map[string]*queueLimits{"pubsub": &s.pubsub.limits, "normal": &s.monitors.limits} {
		l, ok := limits[class]
		if !ok {
			continue
		}
		q.hard.Store(int64(l.hard))
		q.soft.Store(int64(l.soft))
		q.softSeconds.Store(int64(l.seconds))
	}
}
