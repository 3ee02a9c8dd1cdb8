package server

import (
	"sort"
	"strings"
)

// COMMAND and its subcommands, generated from the command table.

func (s *Server) sortedCommands() []*Command {
	out := make([]*Command, 0, len(s.commands))
	for _, cmd := range s.commands {
		out = append(out, cmd)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// allCommands lists every command and subcommand entry, by name.
func (s *Server) allCommands() []*Command {
	var out []*Command
	for _, cmd := range s.sortedCommands() {
		out = append(out, cmd)
		out = append(out, sortedSubs(cmd)...)
	}
	return out
}

func sortedSubs(cmd *Command) []*Command {
	out := make([]*Command, 0, len(cmd.Subcommands))
	for _, sub := range cmd.Subcommands {
		out = append(out, sub)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// aclCategoryNames are Redis's ACL categories, in Redis's order: ACL CAT
// lists them so, and COMMAND INFO lists a command's categories so.
var aclCategoryNames = []string{
	"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string", "bitmap",
	"hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking", "dangerous",
	"connection", "transaction", "scripting",
}

// aclCategorySet holds ACL categories, bit i for aclCategoryNames[i].
type aclCategorySet uint32

// aclCategory returns the category named name (without '@', any case).
func aclCategory(name string) (aclCategorySet, bool) {
	for i, n := range aclCategoryNames {
		if strings.EqualFold(n, name) {
			return 1 << i, true
		}
	}
	return 0, false
}

func mustACLCategories(names string) aclCategorySet {
	var set aclCategorySet
	for _, n := range strings.Fields(names) {
		cat, ok := aclCategory(n)
		if !ok {
			panic("server: unknown ACL category " + n)
		}
		set |= cat
	}
	return set
}

// groupCategories is the category a command's group gives it when the
// table names none (Command.ACL). Containers get none, as in Redis.
var groupCategories = map[string]string{
	"string": "string", "hash": "hash", "list": "list", "set": "set",
	"sorted-set": "sortedset", "generic": "keyspace", "connection": "connection",
	"scripting": "scripting", "transactions": "transaction",
	"stream": "stream", "bitmap": "bitmap", "geo": "geo", "hyperloglog": "hyperloglog",
}

// aclCategorySet is the command's ACL categories: those the table names
// (or its group's), plus those Redis derives from flags
// (setImplicitACLCategories): write, read (not for scripting commands),
// admin and dangerous, pubsub, fast or else slow, blocking.
func (cmd *Command) aclCategorySet() aclCategorySet {
	cats := cmd.ACL
	if cats == 0 && cmd.Subcommands == nil {
		if g := groupCategories[cmd.Group]; g != "" {
			cats = mustACLCategories(g)
		}
	}
	implied := []struct {
		f    Flags
		cats string
	}{
		{flagWrite, "write"}, {flagAdmin, "admin dangerous"}, {flagPubSub, "pubsub"},
		{flagFast, "fast"}, {flagBlocking, "blocking"},
	}
	for _, im := range implied {
		if cmd.Is(im.f) {
			cats |= mustACLCategories(im.cats)
		}
	}
	if cmd.Is(flagReadOnly) && cats&mustACLCategories("scripting") == 0 {
		cats |= mustACLCategories("read")
	}
	if cats&mustACLCategories("fast") == 0 {
		cats |= mustACLCategories("slow")
	}
	return cats
}

// aclCategories names the command's ACL categories, '@' first, in Redis's
// order.
func (cmd *Command) aclCategories() []string {
	set := cmd.aclCategorySet()
	var out []string
	for i, n := range aclCategoryNames {
		if set&(1<<i) != 0 {
			out = append(out, "@"+n)
		}
	}
	return out
}

// writeInfo writes one COMMAND INFO entry: Redis 7's ten fields.
func (cmd *Command) writeInfo(r Reply) {
	r.Array(10)
	r.BulkString(cmd.Name)
	r.Int(int64(cmd.Arity))
	var flags []string
	for _, fn := range flagNames {
		// Redis 7.0 keeps may_replicate out of COMMAND's flags on purpose.
		if cmd.Is(fn.f) && fn.f != flagMayReplicate {
			flags = append(flags, fn.name)
		}
	}
	r.Set(len(flags))
	for _, f := range flags {
		r.Status(f)
	}
	r.Int(int64(cmd.FirstKey))
	r.Int(int64(cmd.LastKey))
	r.Int(int64(cmd.Step))
	cats := cmd.aclCategories()
	r.Set(len(cats))
	for _, cat := range cats {
		r.Status(cat)
	}
	tips := cmd.tips()
	r.Set(len(tips))
	for _, tip := range tips {
		r.BulkString(tip)
	}
	cmd.writeKeySpecs(r)
	// Absent subcommands are a set, as in Redis (addReplyCommandSubCommands).
	subs := sortedSubs(cmd)
	if len(subs) == 0 {
		r.Set(0)
	} else {
		r.Array(len(subs))
	}
	for _, sub := range subs {
		sub.writeInfo(r)
	}
}

func cmdCommand(c *Call) {
	cmds := c.Srv.sortedCommands()
	c.r.Array(len(cmds))
	for _, cmd := range cmds {
		cmd.writeInfo(c.r)
	}
}

func cmdCommandCount(c *Call) { c.r.Int(int64(len(c.Srv.commands))) }

// findCommand resolves "name" or "parent|sub" for COMMAND INFO and DOCS.
func (s *Server) findCommand(name string) *Command {
	name = strings.ToLower(name)
	parent, sub, hasSub := strings.Cut(name, "|")
	cmd := s.commands[parent]
	if cmd == nil || !hasSub {
		return cmd
	}
	return cmd.Subcommands[sub]
}

func cmdCommandInfo(c *Call) {
	if len(c.Args) == 2 {
		cmdCommand(c)
		return
	}
	c.r.Array(len(c.Args) - 2)
	for _, a := range c.Args[2:] {
		if cmd := c.Srv.findCommand(string(a)); cmd != nil {
			cmd.writeInfo(c.r)
		} else {
			c.r.Null()
		}
	}
}

func cmdCommandDocs(c *Call) {
	var cmds []*Command
	if len(c.Args) == 2 {
		cmds = c.Srv.sortedCommands()
	} else {
		for _, a := range c.Args[2:] {
			if cmd := c.Srv.findCommand(string(a)); cmd != nil {
				cmds = append(cmds, cmd)
			}
		}
	}
	c.r.Map(len(cmds))
	for _, cmd := range cmds {
		c.r.BulkString(cmd.Name)
		cmd.writeDocs(c.r)
	}
}

func cmdCommandList(c *Call) {
	var filter func(*Command) bool
	if len(c.Args) > 2 {
		if len(c.Args) != 5 || !c.ArgIs(2, "filterby") {
			c.Error(errSyntax)
			return
		}
		v := string(c.Args[4])
		switch c.Arg(3) {
		case "module":
			filter = func(*Command) bool { return false }
		case "aclcat":
			filter = func(cmd *Command) bool {
				for _, cat := range cmd.aclCategories() {
					if strings.EqualFold(cat[1:], v) {
						return true
					}
				}
				return false
			}
		case "pattern":
			filter = func(cmd *Command) bool { return globMatch([]byte(v), []byte(cmd.Name), true) }
		default:
			c.Error(errSyntax)
			return
		}
	}
	var names []string
	for _, cmd := range c.Srv.sortedCommands() {
		if filter == nil || filter(cmd) {
			names = append(names, cmd.Name)
		}
		for _, sub := range sortedSubs(cmd) {
			if filter == nil || filter(sub) {
				names = append(names, sub.Name)
			}
		}
	}
	c.r.Array(len(names))
	for _, n := range names {
		c.r.BulkString(n)
	}
}

// cmdCommandGetKeys is COMMAND GETKEYS and GETKEYSANDFLAGS, with Redis's
// checks in its order: the command, whether it has keys at all, its arity,
// then the keys of this call (none is an error unless the command is
// flagged no_mandatory_keys, as EVAL with numkeys 0).
func cmdCommandGetKeys(c *Call) {
	s := c.Srv
	args := c.Args[2:]
	cmd := s.command(s.commands, args[0])
	if cmd != nil && cmd.Subcommands != nil && len(args) > 1 {
		cmd = s.command(cmd.Subcommands, args[1])
	}
	switch {
	case cmd == nil:
		c.Error("ERR Invalid command specified")
		return
	case !cmd.hasKeys():
		c.Error("ERR The command has no key arguments")
		return
	case !cmd.arityOK(len(args)):
		c.Error("ERR Invalid number of arguments specified for command")
		return
	}
	pos := cmd.KeyPositions(args)
	if len(pos) == 0 && !cmd.Is(flagNoMandatoryKeys) {
		c.Error("ERR Invalid arguments specified for command")
		return
	}
	withFlags := c.Cmd.Name == "command|getkeysandflags"
	c.r.Array(len(pos))
	for i, p := range pos {
		if !withFlags {
			c.r.Bulk(args[p])
			continue
		}
		c.r.Array(2)
		c.r.Bulk(args[p])
		flags := keyFlags(cmd, args, i)
		c.r.Set(len(flags))
		for _, f := range flags {
			c.r.Status(f)
		}
	}
}

func cmdCommandHelp(c *Call) {
	replyHelp(c, "COMMAND",
		"(no subcommand)",
		"    Return details about all Redis commands.",
		"COUNT",
		"    Return the total number of commands in this Redis server.",
		"LIST",
		"    Return a list of all commands in this Redis server.",
		"INFO [<command-name> ...]",
		"    Return details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"DOCS [<command-name> ...]",
		"    Return documentation details about multiple Redis commands.",
		"    If no command names are given, documentation details for all",
		"    commands are returned.",
		"GETKEYS <full-command>",
		"    Return the keys from a full Redis command.",
		"GETKEYSANDFLAGS <full-command>",
		"    Return the keys and the access flags from a full Redis command.",
	)
}
