package server

import "strings"

// Key specs, tips and COMMAND DOCS. Redis 7 describes each command with
// key specs (where its keys are and how it uses them), tips for cluster
// clients, and documentation (summary, complexity, history, arguments)
// that redis-cli reads for its hints. These are facts about Redis's
// commands, not Moonstone's choices: scripts/gencommanddocs reads them from
// a running redis-server into commanddocs_gen.go, and commanddocs_moonstone.go
// adds Moonstone's own commands in the same form. The command table
// (commands.go) keeps name, arity, flags, key range, group, since and ACL
// categories; a command's entry here is found by its name. An entry whose
// command Moonstone does not have is never served.
//
// The writers below give each field in the order Redis's
// addReplyCommandKeySpecs, addReplyCommandDocs and addReplyCommandArgList
// do, and only when Redis would (the generator refuses a reply in any
// other order), so the replies are Redis's byte for byte in RESP2 and RESP3.

// commandDocs is one command's or subcommand's entry.
type commandDocs struct {
	Summary         string
	Complexity      string
	DocFlags        string // space separated: deprecated, syscmd
	DeprecatedSince string
	ReplacedBy      string
	History         [][2]string // {version, change}
	Tips            string      // space separated, COMMAND INFO's 8th field
	KeySpecs        []keySpec
	Args            []docArg
}

// keySpec is one Redis key spec: where a run of keys begins (BeginSearch)
// and how many follow (FindKeys), with flags saying how the command uses
// those keys (RO/RW/OW/RM, access, update, insert, delete, ...).
type keySpec struct {
	Notes string
	Flags string // space separated, in Redis's order
	Begin beginSearch
	Find  findKeys
}

// beginSearch is a key spec's begin_search: "index" (the argument at
// Index), "keyword" (the argument after Keyword, searched from StartFrom;
// negative counts from the end) or "unknown".
type beginSearch struct {
	Type      string
	Index     int
	Keyword   string
	StartFrom int
}

// findKeys is a key spec's find_keys: "range" (LastKey relative to the
// first key, -1 the last argument; KeyStep; Limit), "keynum" (the count at
// KeyNumIdx, keys from FirstKey, KeyStep) or "unknown".
type findKeys struct {
	Type                    string
	LastKey, KeyStep, Limit int
	KeyNumIdx, FirstKey     int
}

var (
	bsUnknown = beginSearch{Type: "unknown"}
	fkUnknown = findKeys{Type: "unknown"}
)

func bsIndex(i int) beginSearch { return beginSearch{Type: "index", Index: i} }

func bsKeyword(kw string, from int) beginSearch {
	return beginSearch{Type: "keyword", Keyword: kw, StartFrom: from}
}

func fkRange(last, step, limit int) findKeys {
	return findKeys{Type: "range", LastKey: last, KeyStep: step, Limit: limit}
}

func fkKeyNum(idx, first, step int) findKeys {
	return findKeys{Type: "keynum", KeyNumIdx: idx, FirstKey: first, KeyStep: step}
}

// docArg is one argument in COMMAND DOCS. Args are the alternatives of a
// "oneof" and the parts of a "block".
type docArg struct {
	Name, Type      string
	KeySpec         *int // the key spec of a key (or SORT's patterns)
	Token           string
	Summary         string
	Since           string
	DeprecatedSince string
	Flags           string // space separated: optional, multiple, multiple_token
	Args            []docArg
}

func ks(i int) *int { return &i }

// docs returns the command's entry, nil for a command that has none (only
// commands tests add).
func (cmd *Command) docs() *commandDocs {
	if d := moonstoneCommandDocs[cmd.Name]; d != nil {
		return d
	}
	return redisCommandDocs[cmd.Name]
}

// keySpecs returns the command's key specs.
func (cmd *Command) keySpecs() []keySpec {
	if d := cmd.docs(); d != nil {
		return d.KeySpecs
	}
	return nil
}

// tips returns the command's tips.
func (cmd *Command) tips() []string {
	if d := cmd.docs(); d != nil {
		return strings.Fields(d.Tips)
	}
	return nil
}

// writeStatusSet writes space-separated words as a set of status replies.
func writeStatusSet(r Reply, words string) {
	w := strings.Fields(words)
	r.Set(len(w))
	for _, s := range w {
		r.Status(s)
	}
}

// writeKeySpecs writes COMMAND INFO's 9th field (addReplyCommandKeySpecs).
func (cmd *Command) writeKeySpecs(r Reply) {
	specs := cmd.keySpecs()
	r.Set(len(specs))
	for _, ks := range specs {
		n := 3
		if ks.Notes != "" {
			n++
		}
		r.Map(n)
		if ks.Notes != "" {
			r.BulkString("notes")
			r.BulkString(ks.Notes)
		}
		r.BulkString("flags")
		writeStatusSet(r, ks.Flags)
		r.BulkString("begin_search")
		r.Map(2)
		r.BulkString("type")
		r.BulkString(ks.Begin.Type)
		r.BulkString("spec")
		switch ks.Begin.Type {
		case "index":
			writeIntMap(r, "index", ks.Begin.Index)
		case "keyword":
			r.Map(2)
			r.BulkString("keyword")
			r.BulkString(ks.Begin.Keyword)
			r.BulkString("startfrom")
			r.Int(int64(ks.Begin.StartFrom))
		default:
			r.Map(0)
		}
		r.BulkString("find_keys")
		r.Map(2)
		r.BulkString("type")
		r.BulkString(ks.Find.Type)
		r.BulkString("spec")
		switch ks.Find.Type {
		case "range":
			writeIntMap(r, "lastkey", ks.Find.LastKey, "keystep", ks.Find.KeyStep, "limit", ks.Find.Limit)
		case "keynum":
			writeIntMap(r, "keynumidx", ks.Find.KeyNumIdx, "firstkey", ks.Find.FirstKey, "keystep", ks.Find.KeyStep)
		default:
			r.Map(0)
		}
	}
}

// writeIntMap writes a map of names to integers, given as name, value, ...
func writeIntMap(r Reply, kv ...any) {
	r.Map(len(kv) / 2)
	for i := 0; i < len(kv); i += 2 {
		r.BulkString(kv[i].(string))
		r.Int(int64(kv[i+1].(int)))
	}
}

// writeDocs writes the command's COMMAND DOCS map (addReplyCommandDocs).
func (cmd *Command) writeDocs(r Reply) {
	d := cmd.docs()
	if d == nil {
		d = &commandDocs{Summary: cmd.Summary}
	}
	subs := sortedSubs(cmd)
	fields := []struct {
		name    string
		present bool
	}{
		{"summary", d.Summary != ""}, {"since", true}, {"group", true}, {"complexity", d.Complexity != ""},
		{"doc_flags", d.DocFlags != ""}, {"deprecated_since", d.DeprecatedSince != ""},
		{"replaced_by", d.ReplacedBy != ""}, {"history", len(d.History) > 0},
		{"arguments", len(d.Args) > 0}, {"subcommands", len(subs) > 0},
	}
	n := 0
	for _, f := range fields {
		if f.present {
			n++
		}
	}
	r.Map(n)
	for _, f := range fields {
		if !f.present {
			continue
		}
		r.BulkString(f.name)
		switch f.name {
		case "summary":
			r.BulkString(d.Summary)
		case "since":
			r.BulkString(cmd.Since)
		case "group":
			r.BulkString(cmd.Group)
		case "complexity":
			r.BulkString(d.Complexity)
		case "doc_flags":
			writeStatusSet(r, d.DocFlags)
		case "deprecated_since":
			r.BulkString(d.DeprecatedSince)
		case "replaced_by":
			r.BulkString(d.ReplacedBy)
		case "history":
			r.Set(len(d.History)) // a set, in Redis 7.0
			for _, h := range d.History {
				r.Array(2)
				r.BulkString(h[0])
				r.BulkString(h[1])
			}
		case "arguments":
			writeDocArgs(r, d.Args)
		case "subcommands":
			r.Map(len(subs))
			for _, sub := range subs {
				r.BulkString(sub.Name)
				sub.writeDocs(r)
			}
		}
	}
}

// writeDocArgs writes an argument list (addReplyCommandArgList): a oneof
// or block always has its arguments, even none.
func writeDocArgs(r Reply, args []docArg) {
	r.Array(len(args))
	for _, a := range args {
		nested := a.Type == "oneof" || a.Type == "block"
		// A pure token always has its token, MIGRATE's "" too.
		strs := []struct {
			name, v string
			present bool
		}{
			{"token", a.Token, a.Token != "" || a.Type == "pure-token"}, {"summary", a.Summary, a.Summary != ""},
			{"since", a.Since, a.Since != ""}, {"deprecated_since", a.DeprecatedSince, a.DeprecatedSince != ""},
		}
		n := 2
		if a.KeySpec != nil {
			n++
		}
		for _, s := range strs {
			if s.present {
				n++
			}
		}
		if a.Flags != "" {
			n++
		}
		if nested {
			n++
		}
		r.Map(n)
		r.BulkString("name")
		r.BulkString(a.Name)
		r.BulkString("type")
		r.BulkString(a.Type)
		if a.KeySpec != nil {
			r.BulkString("key_spec_index")
			r.Int(int64(*a.KeySpec))
		}
		for _, s := range strs {
			if s.present {
				r.BulkString(s.name)
				r.BulkString(s.v)
			}
		}
		if a.Flags != "" {
			r.BulkString("flags")
			writeStatusSet(r, a.Flags)
		}
		if nested {
			r.BulkString("arguments")
			writeDocArgs(r, a.Args)
		}
	}
}
