package server

import (
	"strings"
	"time"
)

// Permission checks (acl.c's ACLCheckAllUserCommandPerm and friends).
//
// A command may run when one of the user's selectors allows the command
// (or its first argument), every key it names with the access the key
// specs give the key (keyspecs.go: "access" needs read permission,
// "insert", "update" and "delete" need write), and every channel it
// publishes or subscribes to. When none allows it, the denial reported is
// the "worst" one (a channel over a key over the command), and for equal
// ones the last argument, as Redis picks it.
//
// Cost: dispatch checks only users whose root selector is not open
// (aclRules.open: every command, key and channel). The default user is
// open unless someone restricts it, so the check costs a client two
// atomic pointer loads and a branch.

// aclDenial is why a check failed; the values are Redis's, whose order
// picks the denial reported.
type aclDenial int

const (
	aclOK            aclDenial = 0
	aclDeniedCmd     aclDenial = 1
	aclDeniedKey     aclDenial = 2
	aclDeniedAuth    aclDenial = 3
	aclDeniedChannel aclDenial = 4
)

// Channel arguments (Redis's commands_with_channels): where they are and
// whether they are patterns. UNSUBSCRIBE and friends name channels too,
// but are never refused.
var aclChannelArgs = map[string]struct {
	pattern bool
	all     bool // every argument from the first; else just the first
}{
	"subscribe":  {all: true},
	"ssubscribe": {all: true},
	"psubscribe": {pattern: true, all: true},
	"publish":    {},
	"spublish":   {},
}

// aclOpen reports whether cn's user may run anything, without looking at
// the command: the hot path's test.
func (cn *Conn) aclOpen() bool {
	return cn.user.Load().current().open
}

// keyPerm is the permission the i-th key of cmd's call needs.
func keyPerm(cmd *Command, args [][]byte, i int) uint8 {
	var perm uint8
	for _, f := range keyFlags(cmd, args, i) {
		switch f {
		case "access":
			perm |= aclRead
		case "insert", "update", "delete":
			perm |= aclWrite
		}
	}
	return perm
}

// aclKeys are a call's key positions, found once for all selectors.
type aclKeys struct {
	done bool
	pos  []int
}

// checkKey reports whether sel may use key with perm (ACLSelectorCheckKey).
func (sel *aclSelector) checkKey(key []byte, perm uint8) bool {
	if sel.allKeys {
		return true
	}
	for _, p := range sel.keys {
		if p.perm&perm == perm && globMatch([]byte(p.pattern), key, false) {
			return true
		}
	}
	return false
}

// checkChannel reports whether a channel list allows channel: a pattern
// (PSUBSCRIBE's) must be one of the list literally, a channel must match
// one of its patterns (ACLCheckChannelAgainstList).
func checkChannel(list []string, channel []byte, pattern bool) bool {
	for _, p := range list {
		if pattern && p == string(channel) || !pattern && globMatch([]byte(p), channel, false) {
			return true
		}
	}
	return false
}

// check is one selector's verdict on a call, with the argument at fault
// for a key or channel (ACLSelectorCheckCmd).
func (sel *aclSelector) check(cmd *Command, args [][]byte, keys *aclKeys) (aclDenial, int) {
	if !sel.allCommands && !cmd.Is(flagNoAuth) && !sel.bit(cmd.aclID) {
		first := sel.firstArgs[cmd.aclID]
		if len(args) < 2 || first == nil {
			return aclDeniedCmd, 0
		}
		idx := 1
		if strings.Contains(cmd.Name, "|") {
			idx = 2
		}
		ok := false
		for _, a := range first {
			if idx < len(args) && strings.EqualFold(string(args[idx]), a) {
				ok = true
				break
			}
		}
		if !ok {
			return aclDeniedCmd, 0
		}
	}
	if !sel.allKeys && cmd.hasKeys() {
		if !keys.done {
			keys.pos, keys.done = cmd.KeyPositions(args), true
		}
		for i, p := range keys.pos {
			if !sel.checkKey(args[p], keyPerm(cmd, args, i)) {
				return aclDeniedKey, p
			}
		}
	}
	if spec, ok := aclChannelArgs[cmd.Name]; ok && !sel.allChannels {
		end := min(2, len(args))
		if spec.all {
			end = len(args)
		}
		for i := 1; i < end; i++ {
			if !checkChannel(sel.channels, args[i], spec.pattern) {
				return aclDeniedChannel, i
			}
		}
	}
	return aclOK, 0
}

// check is the user's verdict on a call: allowed when one selector allows
// it, else the most relevant denial and its argument's index
// (ACLCheckAllUserCommandPerm).
func (r *aclRules) check(cmd *Command, args [][]byte) (aclDenial, int) {
	if r.open {
		return aclOK, 0
	}
	worst, last, idx := aclDeniedCmd, 0, 0
	var keys aclKeys
	for _, sel := range r.selectors {
		res, i := sel.check(cmd, args, &keys)
		if res == aclOK {
			return aclOK, 0
		}
		if res != aclDeniedCmd {
			idx = i
		}
		if res > worst || res == worst && idx > last {
			worst, last = res, idx
		}
	}
	return worst, last
}

// NOPERM texts of a refused command (processCommand).
func errNoPerm(res aclDenial, cmd *Command) string {
	switch res {
	case aclDeniedCmd:
		return "NOPERM this user has no permissions to run the '" + cmd.Name + "' command"
	case aclDeniedKey:
		return "NOPERM this user has no permissions to access one of the keys used as arguments"
	case aclDeniedChannel:
		return "NOPERM this user has no permissions to access one of the channels used as arguments"
	}
	return "no permission"
}

// aclReason is getAclErrorMessage, for scripts' refusals.
func aclReason(res aclDenial) string {
	switch res {
	case aclDeniedCmd:
		return "can't run this command or subcommand"
	case aclDeniedKey:
		return "can't access at least one of the keys mentioned in the command arguments"
	case aclDeniedChannel:
		return "can't publish to the channel mentioned in the command"
	}
	return "lacking the permissions for the command"
}

// aclObject is what the ACL log names for a denial: the command, or the
// key or channel argument.
func aclObject(res aclDenial, cmd *Command, args [][]byte, idx int) string {
	if res == aclDeniedCmd {
		return cmd.Name
	}
	return string(args[idx])
}

// aclRefuse is dispatch's check: the NOPERM error for a call cn's user
// may not make (logged), or "". Unauthenticated clients get NOAUTH
// later, and no_multi commands inside MULTI their own refusal, as Redis
// checks those first.
func (s *Server) aclRefuse(cn *Conn, cmd *Command, args [][]byte) string {
	if cn.needsAuth() || cn.multi != nil && cmd.Is(flagNoMulti) {
		return ""
	}
	res, idx := cn.user.Load().current().check(cmd, args)
	if res == aclOK {
		return ""
	}
	ctx := aclCtxTopLevel
	if cn.multi != nil {
		ctx = aclCtxMulti
	}
	// As in Redis, the client's last command is the refused one, which
	// the log's client-info shows.
	cn.setLastCmd(cmd.Name, time.Now())
	s.acl.log.addDenial(s, cn, args, res, ctx, cn.userName(), aclObject(res, cmd, args, idx))
	return errNoPerm(res, cmd)
}

// aclRefuseQueued is EXEC's check of a queued command, in case the rules
// changed since it was queued (execCommand).
func (s *Server) aclRefuseQueued(c *Call) string {
	cn := c.Conn
	res, idx := cn.user.Load().current().check(c.Cmd, c.Args)
	if res == aclOK {
		return ""
	}
	s.acl.log.addDenial(s, cn, c.Args, res, aclCtxMulti, cn.userName(), aclObject(res, c.Cmd, c.Args, idx))
	reason := "no permission"
	switch res {
	case aclDeniedCmd:
		reason = "no permission to execute the command or subcommand"
	case aclDeniedKey:
		reason = "no permission to touch the specified keys"
	case aclDeniedChannel:
		reason = "no permission to access one of the channels used as arguments"
	}
	return "NOPERM ACLs rules changed between the moment the transaction was accumulated and the EXEC call. This command is no longer allowed for the following reason: " + reason
}

// killRevokedSubscribers closes u's connections subscribed to a channel,
// pattern or shard channel that the new rules no longer allow, when the
// new rules' channels are not a superset of the old ones'
// (ACLKillPubsubClientsIfNeeded).
func (s *Server) killRevokedSubscribers(u *aclUser, old, now *aclRules) {
	var allowed []string
	for _, sel := range now.selectors {
		if sel.allChannels {
			return
		}
		allowed = append(allowed, sel.channels...)
	}
	superset := true
	for _, sel := range old.selectors {
		if sel.allChannels {
			superset = false
			break
		}
		for _, ch := range sel.channels {
			if !containsString(allowed, ch) {
				superset = false
			}
		}
	}
	if superset {
		return
	}
	for _, cn := range s.clients() {
		if cn.user.Load() != u {
			continue
		}
		if s.subscribedOutside(cn, allowed) {
			cn.kill()
		}
	}
}

// subscribedOutside reports whether cn holds a subscription that allowed
// does not cover.
func (s *Server) subscribedOutside(cn *Conn, allowed []string) bool {
	reg := &s.pubsub
	reg.mu.RLock()
	defer reg.mu.RUnlock()
	ps := cn.ps
	if ps == nil {
		return false
	}
	for _, p := range ps.patterns.items {
		if !checkChannel(allowed, []byte(p), true) {
			return true
		}
	}
	for _, set := range []*orderedSet{&ps.channels, &ps.shard} {
		for _, ch := range set.items {
			if !checkChannel(allowed, []byte(ch), false) {
				return true
			}
		}
	}
	return false
}

// aclRefuse is a script's check of a command it calls, as the user that
// runs the script (scriptVerifyACL): the error redis.call raises, or "".
func (h *scriptHost) aclRefuse(cmd *Command, args [][]byte) string {
	cn := h.conn
	res, idx := cn.user.Load().current().check(cmd, args)
	if res == aclOK {
		return ""
	}
	caller := h.caller
	h.srv.acl.log.insert(h.srv, &aclLogEntry{reason: res, context: aclCtxLua, username: cn.userName(),
		object: aclObject(res, cmd, args, idx), clientInfo: caller.Conn.info(caller)})
	return "ERR The user executing the script " + aclReason(res)
}

// mayReadAnyKey reports whether the user may run the call and read every
// key, as SORT's BY and GET patterns need: one selector allows the call
// and has ~* or %R~* (ACLUserCheckCmdWithUnrestrictedKeyAccess).
func (c *Call) mayReadAnyKey() bool {
	r := c.Conn.user.Load().current()
	if r.open {
		return true
	}
	var keys aclKeys
	for _, sel := range r.selectors {
		if res, _ := sel.check(c.Cmd, c.Args, &keys); res != aclOK {
			continue
		}
		if sel.allKeys {
			return true
		}
		for _, p := range sel.keys {
			if p.perm&aclRead != 0 && p.pattern == "*" {
				return true
			}
		}
	}
	return false
}
