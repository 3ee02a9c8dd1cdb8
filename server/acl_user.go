package server

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
)

// ACL users and their rules, as Redis 7.0's acl.c keeps them.
//
// A user is a stable handle (aclUser) whose rules (aclRules) are immutable
// once published: ACL SETUSER copies the current rules, applies every
// modifier to the copy, and publishes the copy only when all of them were
// valid, as Redis stages changes on a temporary user. Connections hold
// the handle, so they see a SETUSER at once, and a permission check reads
// one consistent set of rules without a lock.
//
// Rules hold the user's flags and passwords (SHA-256 hashes, in hex) and
// its selectors: the root selector, which the rules outside parentheses
// change, then any added with "(...)". A selector holds the commands it
// allows (one bit per command and subcommand entry of the command table,
// numbered by aclCommands), the first arguments allowed for otherwise
// denied commands (+select|0), its key patterns with their read and write
// permissions, and its channel patterns. A command runs when one selector
// allows it and every key and channel it names (acl_check.go).

// Key pattern permissions (%R~, %W~; ~ is both).
const (
	aclRead  uint8 = 1
	aclWrite uint8 = 2
	aclAll         = aclRead | aclWrite
)

type aclKeyPattern struct {
	pattern string
	perm    uint8
}

// String is the pattern as ACL LIST writes it.
func (p aclKeyPattern) String() string {
	switch p.perm {
	case aclAll:
		return "~" + p.pattern
	case aclRead:
		return "%R~" + p.pattern
	case aclWrite:
		return "%W~" + p.pattern
	}
	panic("server: key pattern without permissions")
}

// aclSelector is one set of command, key and channel permissions.
type aclSelector struct {
	allKeys, allChannels, allCommands bool
	// bits has one bit per command id; future is Redis's reserved bit,
	// set only by +@all, which makes ACL LIST start from +@all.
	bits      []uint64
	future    bool
	firstArgs map[int][]string
	keys      []aclKeyPattern
	channels  []string
}

func (sel *aclSelector) bit(id int) bool { return sel.bits[id/64]&(1<<(id%64)) != 0 }

func (sel *aclSelector) setBit(id int, on bool) {
	if on {
		sel.bits[id/64] |= 1 << (id % 64)
		return
	}
	sel.bits[id/64] &^= 1 << (id % 64)
	sel.allCommands = false
}

func (sel *aclSelector) clone() *aclSelector {
	c := *sel
	c.bits = append([]uint64(nil), sel.bits...)
	c.keys = append([]aclKeyPattern(nil), sel.keys...)
	c.channels = append([]string(nil), sel.channels...)
	if sel.firstArgs != nil {
		c.firstArgs = make(map[int][]string, len(sel.firstArgs))
		for id, args := range sel.firstArgs {
			c.firstArgs[id] = append([]string(nil), args...)
		}
	}
	return &c
}

// User flags other than on/off: sanitize-payload is shown only (Moonstone
// checks every RESTORE payload whole).
const (
	aclSanitizeUnset = iota
	aclSanitize
	aclSkipSanitize
)

// aclRules is one published state of a user. Never modified once
// published: SETUSER publishes a modified clone.
type aclRules struct {
	enabled   bool
	nopass    bool
	sanitize  int
	passwords []string
	selectors []*aclSelector // [0] is the root selector
	// open: the root selector allows every command, key and channel, so
	// no check is needed (the default user's case: acl_check.go).
	open bool

	descOnce sync.Once
	desc     string
}

func (r *aclRules) clone() *aclRules {
	c := &aclRules{enabled: r.enabled, nopass: r.nopass, sanitize: r.sanitize,
		passwords: append([]string(nil), r.passwords...)}
	for _, sel := range r.selectors {
		c.selectors = append(c.selectors, sel.clone())
	}
	return c
}

func (r *aclRules) root() *aclSelector { return r.selectors[0] }

// seal computes what checks read before the rules are published.
func (r *aclRules) seal() *aclRules {
	root := r.root()
	r.open = root.allCommands && root.allKeys && root.allChannels
	return r
}

// flags are the user's flags in Redis's order (ACLUserFlags).
func (r *aclRules) flags() []string {
	var out []string
	if r.enabled {
		out = append(out, "on")
	} else {
		out = append(out, "off")
	}
	if r.nopass {
		out = append(out, "nopass")
	}
	switch r.sanitize {
	case aclSkipSanitize:
		out = append(out, "skip-sanitize-payload")
	case aclSanitize:
		out = append(out, "sanitize-payload")
	}
	return out
}

// aclUser is a user: its name and its current rules.
type aclUser struct {
	name  string
	rules atomic.Pointer[aclRules]
	// deleted is set by ACL DELUSER (and ACL LOAD replacing the user):
	// connections authenticated as it are closed.
	deleted atomic.Bool
}

func (u *aclUser) current() *aclRules { return u.rules.Load() }

// aclHash is a password's hash as ACL shows it: SHA-256, in hex.
func aclHash(pass string) string {
	sum := sha256.Sum256([]byte(pass))
	return hex.EncodeToString(sum[:])
}

func validACLHash(h string) bool {
	if len(h) != sha256.Size*2 {
		return false
	}
	for i := 0; i < len(h); i++ {
		if (h[i] < 'a' || h[i] > 'f') && (h[i] < '0' || h[i] > '9') {
			return false
		}
	}
	return true
}

// hasACLSpaces is Redis's ACLStringHasSpaces: C's isspace, or a NUL.
func hasACLSpaces(s string) bool {
	return strings.ContainsAny(s, " \t\n\v\f\r\x00")
}

// ACL SETUSER's errors, Redis's texts (ACLSetUserStringError).
var (
	errACLSyntax      = errors.New("Syntax error")
	errACLUnknown     = errors.New("Unknown command or category name in ACL")
	errACLKeysAll     = errors.New("Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns")
	errACLChannelsAll = errors.New("Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels")
	errACLNoPassword  = errors.New("The password you are trying to remove from the user does not exist")
	errACLBadHash     = errors.New("The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters")
	errACLFirstArg    = errors.New("Allowing first-arg of a subcommand is not supported")
	errACLDuplicate   = errors.New("Duplicate user found. A user can only be defined once in config files")
)

// newSelector is an empty selector: no command, key or channel, except
// every channel under acl-pubsub-default allchannels (ACLCreateSelector).
func (t *aclTable) newSelector() *aclSelector {
	return &aclSelector{
		bits:        make([]uint64, (len(t.cmds)+63)/64),
		allChannels: t.pubsubDefault(),
	}
}

// newRules are a new user's rules: off, no password, no permission.
func (t *aclTable) newRules() *aclRules {
	return &aclRules{selectors: []*aclSelector{t.newSelector()}}
}

// applyUser applies one user modifier to r (ACLSetUser).
func (t *aclTable) applyUser(r *aclRules, op string) error {
	if op == "" {
		return nil
	}
	switch strings.ToLower(op) {
	case "on":
		r.enabled = true
		return nil
	case "off":
		r.enabled = false
		return nil
	case "skip-sanitize-payload":
		r.sanitize = aclSkipSanitize
		return nil
	case "sanitize-payload":
		r.sanitize = aclSanitize
		return nil
	case "nopass":
		r.nopass, r.passwords = true, nil
		return nil
	case "resetpass":
		r.nopass, r.passwords = false, nil
		return nil
	case "clearselectors":
		r.selectors = r.selectors[:1]
		return nil
	case "reset":
		r.nopass, r.passwords = false, nil
		root := r.root()
		t.applySelector(root, "resetkeys")
		t.applySelector(root, "resetchannels")
		if t.pubsubDefault() {
			t.applySelector(root, "allchannels")
		}
		r.enabled = false
		r.sanitize = aclSanitize
		r.selectors = r.selectors[:1]
		t.applySelector(root, "-@all")
		return nil
	}
	switch op[0] {
	case '>', '#':
		hash, err := passwordHash(op)
		if err != nil {
			return err
		}
		if !containsString(r.passwords, hash) {
			r.passwords = append(r.passwords, hash)
		}
		r.nopass = false
		return nil
	case '<', '!':
		hash, err := passwordHash(op)
		if err != nil {
			return err
		}
		for i, h := range r.passwords {
			if h == hash {
				r.passwords = append(r.passwords[:i:i], r.passwords[i+1:]...)
				return nil
			}
		}
		return errACLNoPassword
	case '(':
		if op[len(op)-1] == ')' {
			sel := t.newSelector()
			rules, _ := splitInline([]byte(op[1 : len(op)-1]))
			for _, rule := range rules {
				if err := t.applySelector(sel, string(rule)); err != nil {
					return err
				}
			}
			r.selectors = append(r.selectors, sel)
			return nil
		}
	}
	return t.applySelector(r.root(), op)
}

// passwordHash is the hash a password modifier names: of the password
// given in clear (>pass, <pass), or given itself (#hash, !hash).
func passwordHash(op string) (string, error) {
	if op[0] == '>' || op[0] == '<' {
		return aclHash(op[1:]), nil
	}
	if !validACLHash(op[1:]) {
		return "", errACLBadHash
	}
	return op[1:], nil
}

func containsString(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// applySelector applies a command, key or channel rule to sel
// (ACLSetSelector).
func (t *aclTable) applySelector(sel *aclSelector, op string) error {
	switch strings.ToLower(op) {
	case "allkeys", "~*":
		sel.allKeys, sel.keys = true, nil
		return nil
	case "resetkeys":
		sel.allKeys, sel.keys = false, nil
		return nil
	case "allchannels", "&*":
		sel.allChannels, sel.channels = true, nil
		return nil
	case "resetchannels":
		sel.allChannels, sel.channels = false, nil
		return nil
	case "allcommands", "+@all":
		for i := range sel.bits {
			sel.bits[i] = ^uint64(0)
		}
		sel.future, sel.allCommands, sel.firstArgs = true, true, nil
		return nil
	case "nocommands", "-@all":
		for i := range sel.bits {
			sel.bits[i] = 0
		}
		sel.future, sel.allCommands, sel.firstArgs = false, false, nil
		return nil
	}
	if op == "" {
		return errACLSyntax
	}
	switch {
	case op[0] == '~' || op[0] == '%':
		return sel.addKeyPattern(op)
	case op[0] == '&':
		if sel.allChannels {
			return errACLChannelsAll
		}
		if hasACLSpaces(op[1:]) {
			return errACLSyntax
		}
		if !containsString(sel.channels, op[1:]) {
			sel.channels = append(sel.channels, op[1:])
		}
		sel.allChannels = false
		return nil
	case len(op) > 1 && op[1] == '@' && (op[0] == '+' || op[0] == '-'):
		cat, ok := aclCategory(op[2:])
		if !ok {
			return errACLUnknown
		}
		t.setCategory(sel, cat, op[0] == '+')
		return nil
	case op[0] == '+':
		return t.allowCommand(sel, op[1:])
	case op[0] == '-':
		cmd := t.srv.findCommand(op[1:])
		if cmd == nil {
			return errACLUnknown
		}
		t.changePerm(sel, cmd, false)
		return nil
	}
	return errACLSyntax
}

// addKeyPattern adds ~pattern or %RW~pattern.
func (sel *aclSelector) addKeyPattern(op string) error {
	if sel.allKeys {
		return errACLKeysAll
	}
	perm, i := aclAll, 1
	if op[0] == '%' {
		perm = 0
		for ; i < len(op); i++ {
			switch {
			case (op[i] == 'R' || op[i] == 'r') && perm&aclRead == 0:
				perm |= aclRead
			case (op[i] == 'W' || op[i] == 'w') && perm&aclWrite == 0:
				perm |= aclWrite
			case op[i] == '~':
				i++
				goto done
			default:
				return errACLSyntax
			}
		}
	}
done:
	pattern := op[min(i, len(op)):]
	if perm == 0 || hasACLSpaces(pattern) {
		return errACLSyntax
	}
	for j := range sel.keys {
		if sel.keys[j].pattern == pattern {
			sel.keys[j].perm |= perm
			return nil
		}
	}
	sel.keys = append(sel.keys, aclKeyPattern{pattern: pattern, perm: perm})
	return nil
}

// allowCommand applies +command, +command|subcommand and
// +command|first-arg.
func (t *aclTable) allowCommand(sel *aclSelector, name string) error {
	i := strings.LastIndexByte(name, '|')
	if i < 0 {
		cmd := t.srv.findCommand(name)
		if cmd == nil {
			return errACLUnknown
		}
		t.changePerm(sel, cmd, true)
		return nil
	}
	base, sub := t.srv.findCommand(name[:i]), name[i+1:]
	switch {
	case base == nil:
		return errACLUnknown
	case strings.Contains(base.Name, "|"):
		return errACLFirstArg
	case sub == "":
		return errACLSyntax
	case base.Subcommands != nil:
		cmd := t.srv.findCommand(name)
		if cmd == nil {
			return errACLUnknown
		}
		t.changePerm(sel, cmd, true)
		return nil
	}
	t.srv.logf(levelWarning, "Deprecation warning: Allowing a first arg of an otherwise blocked command is a misuse of ACL and may get disabled in the future (offender: +%s)", name)
	if sel.firstArgs == nil {
		sel.firstArgs = make(map[int][]string)
	}
	for _, a := range sel.firstArgs[base.aclID] {
		if strings.EqualFold(a, sub) {
			return nil
		}
	}
	sel.firstArgs[base.aclID] = append(sel.firstArgs[base.aclID], sub)
	return nil
}

// changePerm allows or denies cmd and, for a container, every
// subcommand (ACLChangeSelectorPerm).
func (t *aclTable) changePerm(sel *aclSelector, cmd *Command, allow bool) {
	sel.setBit(cmd.aclID, allow)
	delete(sel.firstArgs, cmd.aclID)
	for _, sub := range cmd.Subcommands {
		sel.setBit(sub.aclID, allow)
	}
}

// setCategory allows or denies every command and subcommand in cat.
func (t *aclTable) setCategory(sel *aclSelector, cat aclCategorySet, allow bool) {
	for _, cmd := range t.cmds {
		if t.cats[cmd.aclID]&cat != 0 {
			t.changePerm(sel, cmd, allow)
		}
	}
}

// countCategory counts the commands in cat that sel allows and denies.
func (t *aclTable) countCategory(sel *aclSelector, cat aclCategorySet) (on, off int) {
	for _, cmd := range t.cmds {
		if t.cats[cmd.aclID]&cat != 0 {
			if sel.bit(cmd.aclID) {
				on++
			} else {
				off++
			}
		}
	}
	return on, off
}

// describeCommands is the selector's command rules as Redis writes them
// (ACLDescribeSelectorCommandRules): +@all or -@all, then the categories
// that fit best, then single commands to make up the difference. The
// single commands come in name order (Redis: its hash table's order).
func (t *aclTable) describeCommands(sel *aclSelector) string {
	var b strings.Builder
	fake := &aclSelector{bits: make([]uint64, len(sel.bits))}
	additive := !sel.future
	if additive {
		b.WriteString("-@all ")
		t.applySelector(fake, "-@all")
	} else {
		b.WriteString("+@all ")
		t.applySelector(fake, "+@all")
	}
	temp := &aclSelector{bits: append([]uint64(nil), sel.bits...)}
	var applied [32]bool
	for {
		best, minDiff, maxSame := -1, int(^uint(0)>>1), 0
		for j := range aclCategoryNames {
			if applied[j] {
				continue
			}
			on, off := t.countCategory(temp, 1<<j)
			diff, same := on, off
			if additive {
				diff, same = off, on
			}
			if same > diff && (diff < minDiff || diff == minDiff && same > maxSame) {
				best, minDiff, maxSame = j, diff, same
			}
		}
		if best < 0 {
			break
		}
		t.setCategory(fake, 1<<best, additive)
		t.setCategory(temp, 1<<best, !additive)
		if additive {
			b.WriteString("+@")
		} else {
			b.WriteString("-@")
		}
		b.WriteString(aclCategoryNames[best] + " ")
		applied[best] = true
	}
	for _, cmd := range t.srv.sortedCommands() {
		t.describeSingle(&b, sel, fake, cmd)
		for _, sub := range sortedSubs(cmd) {
			t.describeSingle(&b, sel, fake, sub)
		}
	}
	return strings.TrimSuffix(b.String(), " ")
}

func (t *aclTable) describeSingle(b *strings.Builder, sel, fake *aclSelector, cmd *Command) {
	user := sel.bit(cmd.aclID)
	if user != fake.bit(cmd.aclID) {
		if user {
			b.WriteString("+")
		} else {
			b.WriteString("-")
		}
		b.WriteString(cmd.Name + " ")
		t.changePerm(fake, cmd, user)
	}
	if !user {
		for _, a := range sel.firstArgs[cmd.aclID] {
			b.WriteString("+" + cmd.Name + "|" + a + " ")
		}
	}
}

// keysString and channelsString are a selector's key and channel
// patterns as ACL GETUSER shows them.
func (sel *aclSelector) keysString() string {
	if sel.allKeys {
		return "~*"
	}
	parts := make([]string, len(sel.keys))
	for i, k := range sel.keys {
		parts[i] = k.String()
	}
	return strings.Join(parts, " ")
}

func (sel *aclSelector) channelsString() string {
	if sel.allChannels {
		return "&*"
	}
	parts := make([]string, len(sel.channels))
	for i, c := range sel.channels {
		parts[i] = "&" + c
	}
	return strings.Join(parts, " ")
}

// describeSelector is a selector in ACL LIST's form (ACLDescribeSelector).
func (t *aclTable) describeSelector(sel *aclSelector) string {
	var b strings.Builder
	if sel.allKeys {
		b.WriteString("~* ")
	} else {
		for _, k := range sel.keys {
			b.WriteString(k.String() + " ")
		}
	}
	if sel.allChannels {
		b.WriteString("&* ")
	} else {
		b.WriteString("resetchannels ")
		for _, c := range sel.channels {
			b.WriteString("&" + c + " ")
		}
	}
	b.WriteString(t.describeCommands(sel))
	return b.String()
}

// describe is the user's rules in ACL LIST's and the ACL file's form
// (ACLDescribeUser), computed once per published state.
func (t *aclTable) describe(r *aclRules) string {
	r.descOnce.Do(func() {
		var b strings.Builder
		for _, f := range r.flags() {
			b.WriteString(f + " ")
		}
		for _, h := range r.passwords {
			b.WriteString("#" + h + " ")
		}
		for i, sel := range r.selectors {
			if i == 0 {
				b.WriteString(t.describeSelector(sel))
			} else {
				b.WriteString(" (" + t.describeSelector(sel) + ")")
			}
		}
		r.desc = b.String()
	})
	return r.desc
}
