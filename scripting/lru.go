package scripting

import "container/list"

// evalLRU orders the scripts that arrived through EVAL, most recently used
// first. An entry may have no compiled script: a body persisted by an
// earlier run of the server, not used since the restart.
type evalLRU struct {
	order *list.List // of string (SHA1), front = most recent
	index map[string]*list.Element
}

func (l *evalLRU) init() {
	l.order = list.New()
	l.index = make(map[string]*list.Element)
}

func (l *evalLRU) len() int { return l.order.Len() }

// touch marks a cached script as just used.
func (l *evalLRU) touch(s *Script) { l.touchSHA(s.SHA, s) }

func (l *evalLRU) touchSHA(sha string, _ *Script) {
	if el, ok := l.index[sha]; ok {
		l.order.MoveToFront(el)
		return
	}
	l.index[sha] = l.order.PushFront(sha)
}

// addOldest records a script as the least recently used.
func (l *evalLRU) addOldest(sha string, _ *Script) {
	if _, ok := l.index[sha]; ok {
		return
	}
	l.index[sha] = l.order.PushBack(sha)
}

func (l *evalLRU) oldest() string { return l.order.Back().Value.(string) }

func (l *evalLRU) remove(sha string) {
	if el, ok := l.index[sha]; ok {
		l.order.Remove(el)
		delete(l.index, sha)
	}
}
