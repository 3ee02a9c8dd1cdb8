package server

import (
	"strconv"
	"sync"
	"time"
)

// The ACL log (ACL LOG): commands, keys and channels users were denied,
// and failed AUTHs, newest first, at most acllog-max-len entries. As in
// Redis, a denial like one of the ten newest entries (same reason,
// context, object and user, within a minute) bumps that entry's count and
// moves it to the front instead of adding one.

// Where a denial happened (ACL_LOG_CTX_*).
const (
	aclCtxTopLevel = iota
	aclCtxMulti
	aclCtxLua
)

var aclCtxNames = [...]string{"toplevel", "multi", "lua"}

// aclLogGroupWindow is ACL_LOG_GROUPING_MAX_TIME_DELTA.
const aclLogGroupWindow = 60 * time.Second

type aclLogEntry struct {
	count      int64
	reason     aclDenial
	context    int
	object     string
	username   string
	at         time.Time
	clientInfo string
}

type aclLog struct {
	mu      sync.Mutex
	entries []*aclLogEntry // newest first
}

func aclReasonName(r aclDenial) string {
	switch r {
	case aclDeniedCmd:
		return "command"
	case aclDeniedKey:
		return "key"
	case aclDeniedChannel:
		return "channel"
	case aclDeniedAuth:
		return "auth"
	}
	return "unknown"
}

// addDenial logs a denied command, key or channel of cn's request args.
func (l *aclLog) addDenial(s *Server, cn *Conn, args [][]byte, res aclDenial, ctx int, user, object string) {
	info := cn.info(&Call{Conn: cn, Args: args, Srv: s})
	l.insert(s, &aclLogEntry{reason: res, context: ctx, object: object, username: user, clientInfo: info})
}

// add logs a failed AUTH by c's client (addACLLogEntry with
// ACL_DENIED_AUTH): the object is the command as the client wrote it.
func (l *aclLog) add(c *Call, res aclDenial, ctx int, user, object string) {
	l.insert(c.Srv, &aclLogEntry{reason: res, context: ctx, object: object, username: user, clientInfo: c.Conn.info(c)})
}

func (l *aclLog) insert(s *Server, e *aclLogEntry) {
	e.count, e.at = 1, time.Now()
	max, _ := strconv.Atoi(s.cfg.Get("acllog-max-len"))
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := 0; i < len(l.entries) && i < 10; i++ {
		old := l.entries[i]
		d := e.at.Sub(old.at)
		if d < 0 {
			d = -d
		}
		if old.reason == e.reason && old.context == e.context && d <= aclLogGroupWindow &&
			old.object == e.object && old.username == e.username {
			old.clientInfo, old.at = e.clientInfo, e.at
			old.count++
			copy(l.entries[1:i+1], l.entries[:i])
			l.entries[0] = old
			return
		}
	}
	l.entries = append([]*aclLogEntry{e}, l.entries...)
	if len(l.entries) > max {
		l.entries = l.entries[:max]
	}
}

func (l *aclLog) reset() {
	l.mu.Lock()
	l.entries = nil
	l.mu.Unlock()
}

// write is ACL LOG's reply: the count newest entries.
func (l *aclLog) write(r Reply, count int64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := int(min(count, int64(len(l.entries))))
	now := time.Now()
	r.Array(n)
	for _, e := range l.entries[:n] {
		r.Map(7)
		r.BulkString("count")
		r.Int(e.count)
		r.BulkString("reason")
		r.BulkString(aclReasonName(e.reason))
		r.BulkString("context")
		r.BulkString(aclCtxNames[e.context])
		r.BulkString("object")
		r.BulkString(e.object)
		r.BulkString("username")
		r.BulkString(e.username)
		r.BulkString("age-seconds")
		r.Double(float64(now.Sub(e.at).Milliseconds()) / 1000)
		r.BulkString("client-info")
		r.BulkString(e.clientInfo)
	}
}
