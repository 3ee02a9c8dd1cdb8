package scripting

import "container/list"

// evalLRU orders the scripts that arrived through EVAL, most recently used
// first, and adds up their sizes. An entry may have no compiled script in
// memory: a body persisted by an earlier run of the server, not used since
// the restart.
type evalLRU struct {
	order *list.List // of lruEntry, front = most recent
	index map[string]*list.Element
	bytes int64
}

type lruEntry struct {
	sha  string
	size int
}

func (l *evalLRU) init() {
	l.order = list.New()
	l.index = make(map[string]*list.Element)
	l.bytes = 0
}

func (l *evalLRU) len() int { return l.order.Len() }

// touch marks a script as just used, adding it if it is new.
func (l *evalLRU) touch(sha string, size int) {
	if el, ok := l.index[sha]; ok {
		l.order.MoveToFront(el)
		return
	}
	l.index[sha] = l.order.PushFront(lruEntry{sha, size})
	l.bytes += int64(size)
}

// addOldest records a script as the least recently used.
func (l *evalLRU) addOldest(sha string, size int) {
	if _, ok := l.index[sha]; ok {
		return
	}
	l.index[sha] = l.order.PushBack(lruEntry{sha, size})
	l.bytes += int64(size)
}

func (l *evalLRU) oldest() string { return l.order.Back().Value.(lruEntry).sha }

func (l *evalLRU) remove(sha string) {
	if el, ok := l.index[sha]; ok {
		l.bytes -= int64(el.Value.(lruEntry).size)
		l.order.Remove(el)
		delete(l.index, sha)
	}
}
