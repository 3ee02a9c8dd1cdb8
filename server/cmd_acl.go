package server

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync/atomic"
)

// ACL. Moonstone has one user, Redis's "default", with every permission
// (on ~* &* +@all); its password is requirepass, as in Redis, where
// requirepass sets the default user's password. ACL answers as Redis does
// for such a server: WHOAMI, USERS, LIST, GETUSER and CAT describe it, CAT
// lists the categories COMMAND INFO gives each command, DRYRUN allows
// every command that exists, GENPASS draws from crypto/rand, LOG holds no
// entry (Moonstone has no denials to log), LOAD and SAVE have no ACL file.
//
// SETUSER default changes what Moonstone can keep: its password
// (>password, <password, #hash and !hash of that one password, resetpass,
// nopass), which becomes requirepass, and the sanitize-payload flag.
// Tokens that leave its permissions whole (on, ~*, &*, +@all and the
// like) are accepted. Anything that would leave it disabled, restricted,
// with selectors, with several passwords, with a password known only by
// its hash or with none, is refused whole with an error saying so, as is
// creating any other user. DELUSER of other users deletes nothing, as in
// Redis. See docs/compatibility.md.

const (
	defaultUser = "default"
	// aclGenpassMaxBits is Redis's GENPASS_MAX_BITS.
	aclGenpassMaxBits = 4096
	errACLNoFile      = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."
)

// aclDefaultUser is what the default user holds beyond requirepass.
type aclDefaultUser struct {
	// sanitizePayload is the sanitize-payload flag, set by SETUSER. It
	// is only shown: Moonstone always checks RESTORE payloads whole.
	sanitizePayload atomic.Bool
}

// aclHash is a password's hash as ACL shows it: SHA-256, in hex.
func aclHash(pass string) string {
	sum := sha256.Sum256([]byte(pass))
	return hex.EncodeToString(sum[:])
}

// defaultUserFlags are the default user's flags, in Redis's order.
func (s *Server) defaultUserFlags() []string {
	flags := []string{"on"}
	if s.cfg.RequirePass() == "" {
		flags = append(flags, "nopass")
	}
	if s.acl.sanitizePayload.Load() {
		flags = append(flags, "sanitize-payload")
	}
	return flags
}

// defaultUserPasswords are the hashes of the default user's passwords.
func (s *Server) defaultUserPasswords() []string {
	if pass := s.cfg.RequirePass(); pass != "" {
		return []string{aclHash(pass)}
	}
	return nil
}

func cmdACLWhoAmI(c *Call) { c.r.BulkString(defaultUser) }

func cmdACLUsers(c *Call) {
	c.r.Array(1)
	c.r.BulkString(defaultUser)
}

// cmdACLList is ACL LIST: the user in the ACL file's format.
func cmdACLList(c *Call) {
	var b strings.Builder
	b.WriteString("user " + defaultUser + " ")
	for _, f := range c.Srv.defaultUserFlags() {
		b.WriteString(f + " ")
	}
	for _, h := range c.Srv.defaultUserPasswords() {
		b.WriteString("#" + h + " ")
	}
	b.WriteString("~* &* +@all")
	c.r.Array(1)
	c.r.BulkString(b.String())
}

func cmdACLGetUser(c *Call) {
	if string(c.Args[2]) != defaultUser {
		c.r.Null()
		return
	}
	r := c.r
	r.Map(6)
	r.BulkString("flags")
	flags := c.Srv.defaultUserFlags()
	r.Set(len(flags))
	for _, f := range flags {
		r.BulkString(f)
	}
	r.BulkString("passwords")
	passwords := c.Srv.defaultUserPasswords()
	r.Array(len(passwords))
	for _, h := range passwords {
		r.BulkString(h)
	}
	for _, kv := range [][2]string{{"commands", "+@all"}, {"keys", "~*"}, {"channels", "&*"}} {
		r.BulkString(kv[0])
		r.BulkString(kv[1])
	}
	r.BulkString("selectors")
	r.Array(0)
}

// cmdACLCat is ACL CAT [category]: the categories, or the commands and
// subcommands in one, as COMMAND INFO gives them (aclCategories).
func cmdACLCat(c *Call) {
	if len(c.Args) == 2 {
		c.r.Array(len(aclCategoryNames))
		for _, n := range aclCategoryNames {
			c.r.BulkString(n)
		}
		return
	}
	if len(c.Args) > 3 {
		c.subcommandSyntax()
		return
	}
	cat, ok := aclCategory(string(c.Args[2]))
	if !ok {
		c.Error(sanitize(fmt.Sprintf("ERR Unknown category '%s'", truncate(string(c.Args[2]), 128))))
		return
	}
	var names []string
	for _, cmd := range c.Srv.allCommands() {
		if cmd.aclCategorySet()&cat != 0 {
			names = append(names, cmd.Name)
		}
	}
	c.r.Array(len(names))
	for _, n := range names {
		c.r.BulkString(n)
	}
}

// cmdACLGenPass is ACL GENPASS [bits]: random hex digits, 4 bits each.
func cmdACLGenPass(c *Call) {
	if len(c.Args) > 3 {
		c.subcommandSyntax()
		return
	}
	bits := int64(256)
	if len(c.Args) == 3 {
		n, ok := c.Int(2)
		if !ok {
			return
		}
		bits = n
	}
	if bits <= 0 || bits > aclGenpassMaxBits {
		c.Error(fmt.Sprintf("ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to %d", aclGenpassMaxBits))
		return
	}
	chars := (bits + 3) / 4
	buf := make([]byte, (chars+1)/2)
	rand.Read(buf)
	c.r.BulkString(hex.EncodeToString(buf)[:chars])
}

// cmdACLLog is ACL LOG [count | RESET]. Redis logs commands, keys and
// channels a user was denied and failed AUTHs; Moonstone's one user is
// denied nothing, and failed AUTHs are not logged (docs/compatibility.md).
func cmdACLLog(c *Call) {
	if len(c.Args) > 3 {
		c.subcommandSyntax()
		return
	}
	if len(c.Args) == 3 {
		if c.ArgIs(2, "reset") {
			c.OK()
			return
		}
		if _, ok := c.Int(2); !ok {
			return
		}
	}
	c.r.Array(0)
}

// cmdACLDryRun is ACL DRYRUN user command [arg ...]: the default user may
// run every command, so it checks that the command exists and has a valid
// number of arguments, as Redis does.
func cmdACLDryRun(c *Call) {
	if string(c.Args[2]) != defaultUser {
		c.Error(fmt.Sprintf("ERR User '%s' not found", c.Args[2]))
		return
	}
	args := c.Args[3:]
	cmd := c.Srv.command(c.Srv.commands, args[0])
	if cmd != nil && cmd.Subcommands != nil && len(args) > 1 {
		cmd = c.Srv.command(cmd.Subcommands, args[1])
	}
	if cmd == nil {
		c.Error(fmt.Sprintf("ERR Command '%s' not found", args[0]))
		return
	}
	if !cmd.arityOK(len(args)) {
		c.Error(errArity(cmd.Name))
		return
	}
	c.OK()
}

// cmdACLLoadSave is ACL LOAD and ACL SAVE: Moonstone keeps no ACL file.
// Redis's answer when none is configured; with aclfile set (accepted but
// never read), an error saying Moonstone has none.
func cmdACLLoadSave(c *Call) {
	if c.Srv.cfg.Get("aclfile") == "" {
		c.Error(errACLNoFile)
		return
	}
	c.Error("ERR Unsupported ACL " + strings.ToUpper(string(c.Args[1])) + ": Moonstone has no ACL file, only the default user, whose password is requirepass")
}

func cmdACLDelUser(c *Call) {
	for _, a := range c.Args[2:] {
		if string(a) == defaultUser {
			c.Error("ERR The 'default' user cannot be removed")
			return
		}
	}
	// No other user exists.
	c.r.Int(0)
}

// defaultUserEdit is the default user as ACL SETUSER's modifiers change it,
// before Moonstone checks that it can keep the result.
type defaultUserEdit struct {
	on, nopass                        bool
	passwords                         []aclPassword
	allKeys, allChannels, allCommands bool
	selectors                         bool
	sanitize, skipSanitize            bool
}

// aclPassword is one password: its hash, and its text when known.
type aclPassword struct {
	hash, clear string
	known       bool
}

func (e *defaultUserEdit) findPassword(hash string) int {
	for i, p := range e.passwords {
		if p.hash == hash {
			return i
		}
	}
	return -1
}

// ACL SETUSER's errors, Redis's texts (ACLSetUserStringError).
const (
	errACLSyntax      = "Syntax error"
	errACLUnknown     = "Unknown command or category name in ACL"
	errACLKeysAll     = "Adding a pattern after the * pattern (or the 'allkeys' flag) is not valid and does not have any effect. Try 'resetkeys' to start with an empty list of patterns"
	errACLChannelsAll = "Adding a pattern after the * pattern (or the 'allchannels' flag) is not valid and does not have any effect. Try 'resetchannels' to start with an empty list of channels"
	errACLNoPassword  = "The password you are trying to remove from the user does not exist"
	errACLBadHash     = "The password hash must be exactly 64 characters and contain only lowercase hexadecimal characters"
	errACLFirstArg    = "Allowing first-arg of a subcommand is not supported"
)

// apply applies one modifier, or returns Redis's reason for refusing it
// (ACLSetUser).
func (e *defaultUserEdit) apply(s *Server, op string) string {
	switch strings.ToLower(op) {
	case "":
	case "on":
		e.on = true
	case "off":
		e.on = false
	case "skip-sanitize-payload":
		e.skipSanitize, e.sanitize = true, false
	case "sanitize-payload":
		e.skipSanitize, e.sanitize = false, true
	case "nopass":
		e.nopass, e.passwords = true, nil
	case "resetpass":
		e.nopass, e.passwords = false, nil
	case "clearselectors":
		e.selectors = false
	case "reset":
		e.nopass, e.passwords = false, nil
		e.allKeys = false
		e.allChannels = s.cfg.Get("acl-pubsub-default") == "allchannels"
		e.on, e.skipSanitize, e.sanitize = false, false, true
		e.selectors = false
		e.allCommands = false
	default:
		switch {
		case op[0] == '>' || op[0] == '#':
			p := aclPassword{hash: op[1:]}
			if op[0] == '>' {
				p = aclPassword{hash: aclHash(op[1:]), clear: op[1:], known: true}
			} else if !validACLHash(p.hash) {
				return errACLBadHash
			}
			if i := e.findPassword(p.hash); i < 0 {
				e.passwords = append(e.passwords, p)
			} else if p.known {
				e.passwords[i] = p
			}
			e.nopass = false
		case op[0] == '<' || op[0] == '!':
			hash := op[1:]
			if op[0] == '<' {
				hash = aclHash(op[1:])
			} else if !validACLHash(hash) {
				return errACLBadHash
			}
			i := e.findPassword(hash)
			if i < 0 {
				return errACLNoPassword
			}
			e.passwords = append(e.passwords[:i:i], e.passwords[i+1:]...)
		case op[0] == '(' && strings.HasSuffix(op, ")"):
			// A selector: its rules are checked on a selector of their own.
			sel := defaultUserEdit{allChannels: s.cfg.Get("acl-pubsub-default") == "allchannels"}
			rules, _ := splitInline([]byte(op[1 : len(op)-1]))
			for _, r := range rules {
				if msg := sel.applySelectorRule(s, string(r)); msg != "" {
					return msg
				}
			}
			e.selectors = true
		default:
			return e.applySelectorRule(s, op)
		}
	}
	return ""
}

// applySelectorRule applies a key, channel or command rule
// (ACLSetSelector).
func (e *defaultUserEdit) applySelectorRule(s *Server, op string) string {
	switch strings.ToLower(op) {
	case "allkeys", "~*":
		e.allKeys = true
		return ""
	case "resetkeys":
		e.allKeys = false
		return ""
	case "allchannels", "&*":
		e.allChannels = true
		return ""
	case "resetchannels":
		e.allChannels = false
		return ""
	case "allcommands", "+@all":
		e.allCommands = true
		return ""
	case "nocommands", "-@all":
		e.allCommands = false
		return ""
	case "":
		return errACLSyntax
	}
	switch op[0] {
	case '~', '%':
		if e.allKeys {
			return errACLKeysAll
		}
		pattern := op[1:]
		if op[0] == '%' {
			rest, ok := aclKeyFlags(op[1:])
			if !ok {
				return errACLSyntax
			}
			pattern = rest
		}
		if hasACLSpaces(pattern) {
			return errACLSyntax
		}
	case '&':
		if e.allChannels {
			return errACLChannelsAll
		}
		if hasACLSpaces(op[1:]) {
			return errACLSyntax
		}
	case '+', '-':
		return e.applyCommandRule(s, op)
	default:
		return errACLSyntax
	}
	return ""
}

// applyCommandRule applies +command, -command, +@category, -@category and
// +command|first-arg. Allowing more when every command is allowed changes
// nothing; anything else takes the user's all-commands permission away.
func (e *defaultUserEdit) applyCommandRule(s *Server, op string) string {
	allow, name := op[0] == '+', op[1:]
	if strings.HasPrefix(name, "@") {
		if _, ok := aclCategory(name[1:]); !ok {
			return errACLUnknown
		}
	} else if i := strings.LastIndexByte(name, '|'); allow && i >= 0 {
		base := s.findCommand(name[:i])
		switch {
		case base == nil:
			return errACLUnknown
		case strings.Contains(base.Name, "|"):
			return errACLFirstArg
		case i == len(name)-1:
			return errACLSyntax
		case base.Subcommands != nil && s.findCommand(name) == nil:
			return errACLUnknown
		}
	} else if s.findCommand(name) == nil {
		return errACLUnknown
	}
	if !allow {
		e.allCommands = false
	}
	return ""
}

// aclKeyFlags parses the R and W of %RW~pattern, returning the pattern.
func aclKeyFlags(s string) (string, bool) {
	r, w := false, false
	for i := 0; i < len(s); i++ {
		switch {
		case (s[i] == 'R' || s[i] == 'r') && !r:
			r = true
		case (s[i] == 'W' || s[i] == 'w') && !w:
			w = true
		case s[i] == '~':
			return s[i+1:], true
		default:
			return "", false
		}
	}
	return "", true
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

// mergeSelectors joins the arguments of a selector written over several
// arguments, "(~key*" "+get)", into one, as Redis does; it returns the
// argument that opens an unclosed one.
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

// cmdACLSetUser is ACL SETUSER username [modifier ...]: see the top of the
// file for what Moonstone keeps.
func cmdACLSetUser(c *Call) {
	name := string(c.Args[2])
	if hasACLSpaces(name) {
		c.Error("ERR Usernames can't contain spaces or null characters")
		return
	}
	ops := make([]string, 0, len(c.Args)-3)
	for _, a := range c.Args[3:] {
		ops = append(ops, string(a))
	}
	ops, unclosed := mergeSelectors(ops)
	if unclosed != "" {
		c.Error(sanitize(fmt.Sprintf("ERR Unmatched parenthesis in acl selector starting at '%s'.", unclosed)))
		return
	}
	s := c.Srv
	pass := s.cfg.RequirePass()
	e := defaultUserEdit{
		on: true, nopass: pass == "", allKeys: true, allChannels: true, allCommands: true,
		sanitize: s.acl.sanitizePayload.Load(),
	}
	if pass != "" {
		e.passwords = []aclPassword{{hash: aclHash(pass), clear: pass, known: true}}
	}
	if name != defaultUser {
		// Redis creates the user from nothing; modifiers are still checked.
		e = defaultUserEdit{allChannels: s.cfg.Get("acl-pubsub-default") == "allchannels"}
	}
	for _, op := range ops {
		if msg := e.apply(s, op); msg != "" {
			c.Error(sanitize(fmt.Sprintf("ERR Error in ACL SETUSER modifier '%s': %s", op, msg)))
			return
		}
	}
	if msg := e.unsupported(name); msg != "" {
		c.Error(msg)
		return
	}
	clear := ""
	if !e.nopass {
		clear = e.passwords[0].clear
	}
	if clear != pass {
		if err := s.cfg.set([][]byte{[]byte("requirepass"), []byte(clear)}); err != nil {
			c.Err(err)
			return
		}
	}
	s.acl.sanitizePayload.Store(e.sanitize)
	c.OK()
}

// unsupported says why Moonstone cannot keep the edited user, or "".
func (e *defaultUserEdit) unsupported(name string) string {
	prefix := "ERR Unsupported ACL SETUSER for '" + name + "': "
	switch {
	case name != defaultUser:
		return prefix + "Moonstone has only the default user"
	case !e.on || !e.allKeys || !e.allChannels || !e.allCommands || e.selectors:
		return prefix + "Moonstone's default user keeps every permission (on ~* &* +@all); only its password can change"
	case e.skipSanitize:
		return prefix + "Moonstone always sanitizes RESTORE payloads (no skip-sanitize-payload)"
	case e.nopass:
		return ""
	case len(e.passwords) != 1 || !e.passwords[0].known:
		return prefix + "Moonstone's default user has one password, given in clear (>password), which is requirepass, or none (nopass)"
	}
	return ""
}

func cmdACLHelp(c *Call) {
	replyHelp(c, "ACL",
		"CAT [<category>]",
		"    List all commands that belong to <category>, or all command categories",
		"    when no category is specified.",
		"DELUSER <username> [<username> ...]",
		"    Delete a list of users.",
		"DRYRUN <username> <command> [<arg> ...]",
		"    Returns whether the user can execute the given command without executing the command.",
		"GETUSER <username>",
		"    Get the user's details.",
		"GENPASS [<bits>]",
		"    Generate a secure 256-bit user password. The optional `bits` argument can",
		"    be used to specify a different size.",
		"LIST",
		"    Show users details in config file format.",
		"LOAD",
		"    Reload users from the ACL file.",
		"LOG [<count> | RESET]",
		"    Show the ACL log entries.",
		"SAVE",
		"    Save the current config to the ACL file.",
		"SETUSER <username> <attribute> [<attribute> ...]",
		"    Create or modify a user with the specified attributes.",
		"USERS",
		"    List all the registered usernames.",
		"WHOAMI",
		"    Return the current connection username.",
	)
}
