package server

import (
	"crypto/subtle"
	"sort"
	"strings"
	"sync"
)

// The users table: every ACL user by name, the default user among them,
// and what ties users to connections (authentication, DELUSER, the
// requirepass parameter).
//
// Every connection starts as the default user, authenticated when that
// user is on and has nopass; AUTH and HELLO AUTH switch it to the user
// they name. requirepass is the default user's one password, as in Redis:
// setting it replaces the default user's passwords with it ("" means
// nopass), and ACL SETUSER default leaves requirepass as configured.

const defaultUser = "default"

type aclTable struct {
	srv *Server
	// cmds lists every command and subcommand entry, indexed by aclID;
	// cats holds each one's ACL categories.
	cmds []*Command
	cats []aclCategorySet

	mu    sync.RWMutex
	users map[string]*aclUser
	def   *aclUser // the default user, never deleted

	log aclLog // acl_log.go
}

// newACLTable numbers the command table's entries and creates the
// default user: on, nopass, every permission (ACLCreateDefaultUser).
func newACLTable(s *Server) *aclTable {
	t := &aclTable{srv: s, users: make(map[string]*aclUser)}
	for i, cmd := range s.allCommands() {
		cmd.aclID = i
		t.cmds = append(t.cmds, cmd)
		t.cats = append(t.cats, cmd.aclCategorySet())
	}
	t.def = &aclUser{name: defaultUser}
	t.def.rules.Store(t.defaultRules().seal())
	t.users[defaultUser] = t.def
	return t
}

func (t *aclTable) defaultRules() *aclRules {
	r := t.newRules()
	for _, op := range []string{"+@all", "~*", "&*", "on", "nopass"} {
		t.applyUser(r, op)
	}
	return r
}

// pubsubDefault is acl-pubsub-default: whether new selectors get every
// channel.
func (t *aclTable) pubsubDefault() bool {
	return t.srv.cfg.Get("acl-pubsub-default") == "allchannels"
}

// user returns the user named name, or nil.
func (t *aclTable) user(name string) *aclUser {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.users[name]
}

// names lists the users in name order (Redis's rax order).
func (t *aclTable) sortedUsers() []*aclUser {
	t.mu.RLock()
	defer t.mu.RUnlock()
	out := make([]*aclUser, 0, len(t.users))
	for _, u := range t.users {
		out = append(out, u)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// setUser applies modifiers to the user named name, creating it if need
// be, all or nothing (ACLStringSetUser). It returns Redis's error text.
func (t *aclTable) setUser(name string, ops []string) string {
	merged, unclosed := mergeSelectors(ops)
	if unclosed != "" {
		return "Unmatched parenthesis in acl selector starting at '" + unclosed + "'."
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	u := t.users[name]
	var r *aclRules
	if u != nil {
		r = u.current().clone()
	} else {
		r = t.newRules()
	}
	for _, op := range merged {
		if err := t.applyUser(r, op); err != nil {
			return "Error in ACL SETUSER modifier '" + op + "': " + err.Error()
		}
	}
	r.seal()
	if u == nil {
		u = &aclUser{name: name}
		u.rules.Store(r)
		t.users[name] = u
		return ""
	}
	old := u.current()
	u.rules.Store(r)
	t.srv.killRevokedSubscribers(u, old, r)
	return ""
}

// mergeSelectors joins the arguments of a selector written over several
// arguments, "(~key*" "+get)", into one, as Redis does; it returns the
// argument that opens an unclosed one (ACLMergeSelectorArguments).
func mergeSelectors(args []string) ([]string, string) {
	var out []string
	open := -1
	for i, a := range args {
		switch {
		case open < 0 && strings.HasPrefix(a, "(") && !strings.HasSuffix(a, ")"):
			open = i
			out = append(out, a)
		case open >= 0:
			out[len(out)-1] += " " + a
			if strings.HasSuffix(a, ")") {
				open = -1
			}
		default:
			out = append(out, a)
		}
	}
	if open >= 0 {
		return nil, args[open]
	}
	return out, ""
}

// deleteUsers removes the named users and closes their connections;
// the default user cannot be removed (the caller checks).
func (t *aclTable) deleteUsers(c *Call, names []string) int {
	t.mu.Lock()
	var gone []*aclUser
	for _, n := range names {
		if u := t.users[n]; u != nil {
			delete(t.users, n)
			gone = append(gone, u)
		}
	}
	t.mu.Unlock()
	for _, u := range gone {
		t.srv.disconnectUser(c, u)
	}
	return len(gone)
}

// disconnectUser closes every connection authenticated as u, which was
// deleted (ACLFreeUserAndKillClients): each goes back to the default
// user, unauthenticated, and is closed; the caller's own after its reply.
func (s *Server) disconnectUser(c *Call, u *aclUser) {
	u.deleted.Store(true)
	for _, cn := range s.clients() {
		if cn.user.Load() != u {
			continue
		}
		cn.user.Store(s.acl.def)
		cn.authed.Store(false)
		if c != nil {
			c.killClient(cn)
		} else {
			cn.kill()
		}
	}
}

// setRequirePass makes pass the default user's only password, or makes
// it nopass when pass is "" (ACLUpdateDefaultUserPassword).
func (t *aclTable) setRequirePass(pass string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	r := t.def.current().clone()
	t.applyUser(r, "resetpass")
	if pass != "" {
		t.applyUser(r, ">"+pass)
	} else {
		t.applyUser(r, "nopass")
	}
	t.def.rules.Store(r.seal())
}

// defaultOpen reports whether connections need no AUTH: the default user
// is on and has nopass (Redis's authRequired).
func (t *aclTable) defaultOpen() bool {
	r := t.def.current()
	return r.enabled && r.nopass
}

// needsAuth reports whether cn must authenticate before running commands
// not flagged no_auth.
func (cn *Conn) needsAuth() bool {
	return !cn.authed.Load() && !cn.srv.acl.defaultOpen()
}

// authenticate checks a user name and password (ACLCheckUserCredentials)
// and returns the user when they match: the user exists, is on, and has
// nopass or a password whose hash matches.
func (t *aclTable) authenticate(name, pass []byte) *aclUser {
	u := t.user(string(name))
	if u == nil {
		return nil
	}
	r := u.current()
	if !r.enabled {
		return nil
	}
	if r.nopass {
		return u
	}
	h := aclHash(string(pass))
	for _, p := range r.passwords {
		if subtle.ConstantTimeCompare([]byte(p), []byte(h)) == 1 {
			return u
		}
	}
	return nil
}

// auth is AUTH's and HELLO AUTH's check: on success cn becomes the user;
// on failure the attempt is logged (reason auth) and false returned.
func (c *Call) auth(name, pass []byte) bool {
	t := c.Srv.acl
	u := t.authenticate(name, pass)
	if u == nil {
		// Run by EXEC (the only caller that cannot block: AUTH is
		// noscript), the attempt is in a transaction, as in Redis.
		ctx := aclCtxTopLevel
		if c.Conn.multi != nil || !c.canBlock {
			ctx = aclCtxMulti
		}
		t.log.add(c, aclDeniedAuth, ctx, string(name), string(c.Args[0]))
		return false
	}
	c.Conn.user.Store(u)
	c.Conn.authed.Store(true)
	return true
}

// userName is the name of cn's user, for CLIENT LIST and ACL WHOAMI.
func (cn *Conn) userName() string {
	if u := cn.user.Load(); u != nil {
		return u.name
	}
	return defaultUser
}
