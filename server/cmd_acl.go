package server

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
)

// ACL, the command family: users and their rules (acl_user.go), the users
// table (acl_users.go), permission checks (acl_check.go), the log
// (acl_log.go) and the ACL file (acl_file.go). Replies and errors are
// Redis 7.0's; ACL LIST and GETUSER write single-command rules in name
// order where Redis uses its hash table's order (docs/compatibility.md).

const (
	// aclGenpassMaxBits is Redis's GENPASS_MAX_BITS.
	aclGenpassMaxBits = 4096
	errACLNoFile      = "ERR This Redis instance is not configured to use an ACL file. You may want to specify users via the ACL SETUSER command and then issue a CONFIG REWRITE (assuming you have a Redis configuration file set) in order to store users in the Redis configuration."
)

func cmdACLWhoAmI(c *Call) { c.r.BulkString(c.Conn.userName()) }

func cmdACLUsers(c *Call) {
	users := c.Srv.acl.sortedUsers()
	c.r.Array(len(users))
	for _, u := range users {
		c.r.BulkString(u.name)
	}
}

// cmdACLList is ACL LIST: the users in the ACL file's format.
func cmdACLList(c *Call) {
	t := c.Srv.acl
	users := t.sortedUsers()
	c.r.Array(len(users))
	for _, u := range users {
		c.r.BulkString("user " + u.name + " " + t.describe(u.current()))
	}
}

func cmdACLGetUser(c *Call) {
	t := c.Srv.acl
	u := t.user(string(c.Args[2]))
	if u == nil {
		c.r.Null()
		return
	}
	rules := u.current()
	r := c.r
	r.Map(6)
	r.BulkString("flags")
	flags := rules.flags()
	r.Set(len(flags))
	for _, f := range flags {
		r.BulkString(f)
	}
	r.BulkString("passwords")
	r.Array(len(rules.passwords))
	for _, h := range rules.passwords {
		r.BulkString(h)
	}
	t.writeSelector(r, rules.root())
	r.BulkString("selectors")
	r.Array(len(rules.selectors) - 1)
	for _, sel := range rules.selectors[1:] {
		r.Map(3)
		t.writeSelector(r, sel)
	}
}

// writeSelector writes a selector's commands, keys and channels as ACL
// GETUSER shows them (aclAddReplySelectorDescription).
func (t *aclTable) writeSelector(r Reply, sel *aclSelector) {
	r.BulkString("commands")
	r.BulkString(t.describeCommands(sel))
	r.BulkString("keys")
	r.BulkString(sel.keysString())
	r.BulkString("channels")
	r.BulkString(sel.channelsString())
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

// cmdACLLog is ACL LOG [count | RESET].
func cmdACLLog(c *Call) {
	if len(c.Args) > 3 {
		c.subcommandSyntax()
		return
	}
	count := int64(10)
	if len(c.Args) == 3 {
		if c.ArgIs(2, "reset") {
			c.Srv.acl.log.reset()
			c.OK()
			return
		}
		n, ok := c.Int(2)
		if !ok {
			return
		}
		count = max(n, 0)
	}
	c.Srv.acl.log.write(c.r, count)
}

// cmdACLDryRun is ACL DRYRUN user command [arg ...]: whether the user may
// run the command, without running it.
func cmdACLDryRun(c *Call) {
	u := c.Srv.acl.user(string(c.Args[2]))
	if u == nil {
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
	switch res, idx := u.current().check(cmd, args); res {
	case aclOK:
		c.OK()
	case aclDeniedCmd:
		c.r.BulkString("This user has no permissions to run the '" + cmd.Name + "' command")
	case aclDeniedKey:
		c.r.BulkString("This user has no permissions to access the '" + string(args[idx]) + "' key")
	default:
		c.r.BulkString("This user has no permissions to access the '" + string(args[idx]) + "' channel")
	}
}

// cmdACLLoad is ACL LOAD: the ACL file replaces every user, or nothing
// changes (acl_file.go).
func cmdACLLoad(c *Call) {
	path := c.Srv.cfg.Get("aclfile")
	if path == "" {
		c.Error(errACLNoFile)
		return
	}
	if msg := c.Srv.acl.loadFile(c, path); msg != "" {
		c.Error("ERR " + msg)
		return
	}
	c.OK()
}

// cmdACLSave is ACL SAVE: every user written to the ACL file.
func cmdACLSave(c *Call) {
	path := c.Srv.cfg.Get("aclfile")
	if path == "" {
		c.Error(errACLNoFile)
		return
	}
	if err := c.Srv.acl.saveFile(path); err != nil {
		c.Srv.logf(levelWarning, "Saving the ACL file for ACL SAVE: %v", err)
		c.Error("ERR There was an error trying to save the ACLs. Please check the server logs for more information")
		return
	}
	c.OK()
}

func cmdACLDelUser(c *Call) {
	names := make([]string, 0, len(c.Args)-2)
	for _, a := range c.Args[2:] {
		if string(a) == defaultUser {
			c.Error("ERR The 'default' user cannot be removed")
			return
		}
		names = append(names, string(a))
	}
	c.r.Int(int64(c.Srv.acl.deleteUsers(c, names)))
}

// cmdACLSetUser is ACL SETUSER username [modifier ...].
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
	if msg := c.Srv.acl.setUser(name, ops); msg != "" {
		c.Error(sanitize("ERR " + msg))
		return
	}
	c.OK()
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
