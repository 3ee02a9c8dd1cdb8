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

// aclCategories derives a command's ACL categories from its group and
// flags, the way Redis assigns them.
func (cmd *Command) aclCategories() []string {
	var cats []string
	if cmd.Is(flagWrite) {
		cats = append(cats, "@write")
	}
	if cmd.Is(flagReadOnly) && cmd.Group != "scripting" {
		// Redis keeps scripting commands out of @read.
		cats = append(cats, "@read")
	}
	if g := map[string]string{
		"string": "@string", "hash": "@hash", "list": "@list", "set": "@set",
		"sorted-set": "@sortedset", "generic": "@keyspace", "connection": "@connection",
		"scripting": "@scripting", "pubsub": "@pubsub", "transactions": "@transaction",
		"stream": "@stream", "bitmap": "@bitmap", "geo": "@geo", "hyperloglog": "@hyperloglog",
	}[cmd.Group]; g != "" {
		cats = append(cats, g)
	}
	if cmd.Is(flagAdmin) {
		cats = append(cats, "@admin", "@dangerous")
	}
	if cmd.Is(flagFast) {
		cats = append(cats, "@fast")
	} else {
		cats = append(cats, "@slow")
	}
	if cmd.Is(flagBlocking) {
		cats = append(cats, "@blocking")
	}
	// Redis lists them in the order of its category table.
	sort.SliceStable(cats, func(i, j int) bool { return aclCategoryOrder[cats[i]] < aclCategoryOrder[cats[j]] })
	return cats
}

// aclCategoryOrder is the order of Redis 7.0's ACL category table, in
// which COMMAND INFO lists a command's categories.
var aclCategoryOrder = func() map[string]int {
	m := map[string]int{}
	for i, c := range []string{"keyspace", "read", "write", "set", "sortedset", "list", "hash", "string",
		"bitmap", "hyperloglog", "geo", "stream", "pubsub", "admin", "fast", "slow", "blocking",
		"dangerous", "connection", "transaction", "scripting"} {
		m["@"+c] = i
	}
	return m
}()

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
	r.Set(0) // tips
	// Key specs are a set, and so are absent subcommands
	// (addReplyCommandKeySpecs, addReplyCommandSubCommands).
	if cmd.FirstKey > 0 {
		r.Set(1)
		r.Map(3)
		r.BulkString("flags")
		r.Set(0)
		r.BulkString("begin_search")
		r.Map(2)
		r.BulkString("type")
		r.BulkString("index")
		r.BulkString("spec")
		r.Map(1)
		r.BulkString("index")
		r.Int(int64(cmd.FirstKey))
		r.BulkString("find_keys")
		r.Map(2)
		r.BulkString("type")
		r.BulkString("range")
		r.BulkString("spec")
		r.Map(3)
		r.BulkString("lastkey")
		last := cmd.LastKey
		if last > 0 {
			last -= cmd.FirstKey
		}
		r.Int(int64(last))
		r.BulkString("keystep")
		r.Int(int64(cmd.Step))
		r.BulkString("limit")
		r.Int(0)
	} else {
		r.Set(0)
	}
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

func (cmd *Command) writeDocs(r Reply) {
	subs := sortedSubs(cmd)
	n := 4
	if len(subs) > 0 {
		n++
	}
	r.Map(n)
	r.BulkString("summary")
	r.BulkString(cmd.Summary)
	r.BulkString("since")
	r.BulkString(cmd.Since)
	r.BulkString("group")
	r.BulkString(cmd.Group)
	r.BulkString("complexity")
	r.BulkString("")
	if len(subs) > 0 {
		r.BulkString("subcommands")
		r.Map(len(subs))
		for _, sub := range subs {
			r.BulkString(sub.Name)
			sub.writeDocs(r)
		}
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
