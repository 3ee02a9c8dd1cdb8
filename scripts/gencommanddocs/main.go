// Command gencommanddocs writes server/commanddocs_gen.go: Redis's key specs,
// command tips and COMMAND DOCS for every command and subcommand, as a
// running redis-server reports them (COMMAND and COMMAND DOCS over RESP3).
// Moonstone serves them back from that table (server/commanddocs.go), so
// COMMAND INFO's key specs and COMMAND DOCS are Redis's, and GETKEYSANDFLAGS
// reads its key flags from the same specs.
//
//	redis-server --port 6390 --bind 127.0.0.1 --save '' &
//	go run ./scripts/gencommanddocs -addr 127.0.0.1:6390
//
// The oracle is Debian's redis-server 7.0.15. The generator checks that
// every reply has the fields in the order server/commanddocs.go writes
// them, and fails on anything it does not know, so the served replies are
// Redis's byte for byte. COMMAND DOCS's since and group are not copied: the
// command table (server/commands.go) has them, as it has arity, flags and
// ACL categories, and the differential tests check them against Redis.
package main

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"go/format"
	"io"
	"log"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
)

func main() {
	addr := flag.String("addr", "127.0.0.1:6379", "redis-server to read")
	out := flag.String("o", "server/commanddocs_gen.go", "Go file to write")
	flag.Parse()
	log.SetFlags(0)
	log.SetPrefix("gencommanddocs: ")

	c, err := dial(*addr)
	if err != nil {
		log.Fatal(err)
	}
	c.do("HELLO", "3")
	version := c.version()
	infos := c.do("COMMAND")
	docs := c.do("COMMAND", "DOCS")

	entries := map[string]*entry{}
	for _, info := range infos.elems {
		addInfo(entries, info)
	}
	for i := 0; i+1 < len(docs.elems); i += 2 {
		addDocs(entries, docs.elems[i].str, docs.elems[i+1])
	}
	src := render(version, entries)
	formatted, err := format.Source(src)
	if err != nil {
		log.Fatalf("formatting the output: %v", err)
	}
	if err := os.WriteFile(*out, formatted, 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("%d commands and subcommands from redis-server %s written to %s", len(entries), version, *out)
}

// entry is what the table holds for one command or subcommand.
type entry struct {
	name string
	tips []string
	// specs and docs are rendered Go expressions.
	specs []string
	docs  []string // "Field: value" lines
	args  string
	seen  bool // COMMAND DOCS listed it
}

func addInfo(entries map[string]*entry, info value) {
	if info.kind != '*' || len(info.elems) != 10 {
		log.Fatalf("COMMAND entry is not an array of 10: %v", info)
	}
	e := &entry{name: info.elems[0].str}
	entries[e.name] = e
	for _, t := range info.elems[7].elems {
		e.tips = append(e.tips, t.str)
	}
	for _, ks := range info.elems[8].elems {
		e.specs = append(e.specs, keySpec(e.name, ks))
	}
	for _, sub := range info.elems[9].elems {
		addInfo(entries, sub)
	}
}

// keySpec renders one key spec: {Notes, Flags, Begin, Find}.
func keySpec(name string, ks value) string {
	f := fields(name+" key spec", ks, "notes", "flags", "begin_search", "find_keys")
	var parts []string
	if v, ok := f["notes"]; ok {
		parts = append(parts, "Notes: "+strconv.Quote(v.str))
	}
	parts = append(parts, "Flags: "+strconv.Quote(words(f["flags"])))
	bs := fields(name+" begin_search", f["begin_search"], "type", "spec")
	switch t := bs["type"].str; t {
	case "index":
		s := fields(name+" begin_search index", bs["spec"], "index")
		parts = append(parts, fmt.Sprintf("Begin: bsIndex(%d)", s["index"].num))
	case "keyword":
		s := fields(name+" begin_search keyword", bs["spec"], "keyword", "startfrom")
		parts = append(parts, fmt.Sprintf("Begin: bsKeyword(%q, %d)", s["keyword"].str, s["startfrom"].num))
	case "unknown":
		fields(name+" begin_search unknown", bs["spec"])
		parts = append(parts, "Begin: bsUnknown")
	default:
		log.Fatalf("%s: begin_search type %q", name, t)
	}
	fk := fields(name+" find_keys", f["find_keys"], "type", "spec")
	switch t := fk["type"].str; t {
	case "range":
		s := fields(name+" find_keys range", fk["spec"], "lastkey", "keystep", "limit")
		parts = append(parts, fmt.Sprintf("Find: fkRange(%d, %d, %d)", s["lastkey"].num, s["keystep"].num, s["limit"].num))
	case "keynum":
		s := fields(name+" find_keys keynum", fk["spec"], "keynumidx", "firstkey", "keystep")
		parts = append(parts, fmt.Sprintf("Find: fkKeyNum(%d, %d, %d)", s["keynumidx"].num, s["firstkey"].num, s["keystep"].num))
	case "unknown":
		fields(name+" find_keys unknown", fk["spec"])
		parts = append(parts, "Find: fkUnknown")
	default:
		log.Fatalf("%s: find_keys type %q", name, t)
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// addDocs records one COMMAND DOCS entry. Since and group are left out:
// the command table (server/commands.go) has them, and the differential
// tests check they are Redis's.
func addDocs(entries map[string]*entry, name string, doc value) {
	e := entries[name]
	if e == nil {
		log.Fatalf("COMMAND DOCS lists %s, which COMMAND does not", name)
	}
	e.seen = true
	f := fields(name, doc, "summary", "since", "group", "complexity", "doc_flags",
		"deprecated_since", "replaced_by", "history", "arguments", "subcommands")
	for _, k := range []string{"summary", "since", "group"} {
		if _, ok := f[k]; !ok {
			log.Fatalf("%s: COMMAND DOCS has no %s", name, k)
		}
	}
	str := func(key, field string) {
		if v, ok := f[key]; ok {
			if v.str == "" {
				log.Fatalf("%s: empty %s", name, key)
			}
			e.docs = append(e.docs, field+": "+strconv.Quote(v.str))
		}
	}
	str("summary", "Summary")
	str("complexity", "Complexity")
	if v, ok := f["doc_flags"]; ok {
		e.docs = append(e.docs, "DocFlags: "+strconv.Quote(words(v)))
	}
	str("deprecated_since", "DeprecatedSince")
	str("replaced_by", "ReplacedBy")
	if v, ok := f["history"]; ok {
		var h []string
		for _, item := range v.elems {
			if len(item.elems) != 2 {
				log.Fatalf("%s: history item %v", name, item)
			}
			h = append(h, fmt.Sprintf("{%q, %q}", item.elems[0].str, item.elems[1].str))
		}
		e.docs = append(e.docs, "History: [][2]string{"+strings.Join(h, ", ")+"}")
	}
	if v, ok := f["arguments"]; ok {
		e.args = args(name, v, "\t\t")
	}
	if v, ok := f["subcommands"]; ok {
		for i := 0; i+1 < len(v.elems); i += 2 {
			addDocs(entries, v.elems[i].str, v.elems[i+1])
		}
	}
}

// args renders an argument list, one argument a line, nested lists
// indented below their argument.
func args(name string, list value, indent string) string {
	var b strings.Builder
	b.WriteString("[]docArg{\n")
	for _, a := range list.elems {
		f := fields(name+" argument", a, "name", "type", "key_spec_index", "token", "summary",
			"since", "deprecated_since", "flags", "arguments")
		typ := f["type"].str
		parts := []string{"Name: " + strconv.Quote(f["name"].str), "Type: " + strconv.Quote(typ)}
		if v, ok := f["key_spec_index"]; ok {
			parts = append(parts, fmt.Sprintf("KeySpec: ks(%d)", v.num))
		}
		for _, k := range []struct{ key, field string }{
			{"token", "Token"}, {"summary", "Summary"}, {"since", "Since"}, {"deprecated_since", "DeprecatedSince"},
		} {
			if v, ok := f[k.key]; ok {
				parts = append(parts, k.field+": "+strconv.Quote(v.str))
			}
		}
		if v, ok := f["flags"]; ok {
			parts = append(parts, "Flags: "+strconv.Quote(words(v)))
		}
		// server/commanddocs.go writes a string field when it is not
		// empty, and a pure token's token always.
		if _, ok := f["token"]; !ok && typ == "pure-token" {
			log.Fatalf("%s: pure-token argument %s has no token", name, f["name"].str)
		}
		for _, k := range []string{"name", "type", "summary", "since", "deprecated_since"} {
			if v, ok := f[k]; ok && v.str == "" {
				log.Fatalf("%s: argument %s has an empty %s", name, f["name"].str, k)
			}
		}
		if v, ok := f["token"]; ok && v.str == "" && typ != "pure-token" {
			log.Fatalf("%s: argument %s has an empty token", name, f["name"].str)
		}
		sub, hasSub := f["arguments"]
		if hasSub != (typ == "oneof" || typ == "block") {
			log.Fatalf("%s: argument %s of type %s: arguments %v", name, f["name"].str, typ, hasSub)
		}
		if hasSub {
			parts = append(parts, "Args: "+args(name, sub, indent+"\t"))
		}
		b.WriteString(indent + "\t{" + strings.Join(parts, ", ") + "},\n")
	}
	b.WriteString(indent + "}")
	return b.String()
}

func render(version string, entries map[string]*entry) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "// Code generated by scripts/gencommanddocs from redis-server %s's COMMAND and COMMAND DOCS; DO NOT EDIT.\n\n", version)
	b.WriteString("package server\n\n")
	fmt.Fprintf(&b, "// redisCommandDocs holds, for each of redis-server %s's commands and\n", version)
	b.WriteString("// subcommands, its key specs and tips (COMMAND INFO) and its documentation\n")
	b.WriteString("// (COMMAND DOCS, without since and group, which the command table has).\n")
	b.WriteString("var redisCommandDocs = map[string]*commandDocs{\n")
	names := make([]string, 0, len(entries))
	for n := range entries {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		e := entries[n]
		if !e.seen {
			log.Fatalf("COMMAND DOCS does not list %s", n)
		}
		fmt.Fprintf(&b, "\t%q: {\n", n)
		for _, d := range e.docs {
			fmt.Fprintf(&b, "\t\t%s,\n", d)
		}
		if len(e.tips) > 0 {
			fmt.Fprintf(&b, "\t\tTips: %q,\n", strings.Join(e.tips, " "))
		}
		if len(e.specs) > 0 {
			b.WriteString("\t\tKeySpecs: []keySpec{\n")
			for _, s := range e.specs {
				fmt.Fprintf(&b, "\t\t\t%s,\n", s)
			}
			b.WriteString("\t\t},\n")
		}
		if e.args != "" {
			fmt.Fprintf(&b, "\t\tArgs: %s,\n", e.args)
		}
		b.WriteString("\t},\n")
	}
	b.WriteString("}\n")
	return b.Bytes()
}

// fields reads a map whose keys must appear in the order given (each at
// most once): the order server/commanddocs.go writes them in.
func fields(what string, m value, order ...string) map[string]value {
	if m.kind != '%' {
		log.Fatalf("%s: not a map: %v", what, m)
	}
	out := map[string]value{}
	next := 0
	for i := 0; i+1 < len(m.elems); i += 2 {
		k := m.elems[i].str
		j := next
		for j < len(order) && order[j] != k {
			j++
		}
		if j == len(order) {
			log.Fatalf("%s: field %q unknown or out of order", what, k)
		}
		next = j + 1
		out[k] = m.elems[i+1]
	}
	return out
}

// words joins a set of flags, in Redis's order.
func words(set value) string {
	var w []string
	for _, e := range set.elems {
		if strings.ContainsAny(e.str, " \t") {
			log.Fatalf("flag %q has a space", e.str)
		}
		w = append(w, e.str)
	}
	return strings.Join(w, " ")
}

// value is one RESP3 reply: kind is its type byte; maps hold keys and
// values alternately in elems.
type value struct {
	kind  byte
	str   string
	num   int64
	elems []value
}

type conn struct {
	c  net.Conn
	br *bufio.Reader
}

func dial(addr string) (*conn, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	return &conn{c: c, br: bufio.NewReader(c)}, nil
}

func (c *conn) do(args ...string) value {
	var b bytes.Buffer
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	if _, err := c.c.Write(b.Bytes()); err != nil {
		log.Fatal(err)
	}
	v, err := read(c.br)
	if err != nil {
		log.Fatalf("%s: %v", strings.Join(args, " "), err)
	}
	if v.kind == '-' {
		log.Fatalf("%s: %s", strings.Join(args, " "), v.str)
	}
	return v
}

// version is the server's redis_version (INFO server).
func (c *conn) version() string {
	info := c.do("INFO", "server").str
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "redis_version:"); ok {
			return v
		}
	}
	log.Fatal("INFO server has no redis_version")
	return ""
}

func read(br *bufio.Reader) (value, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return value{}, err
	}
	if len(line) < 3 {
		return value{}, fmt.Errorf("short reply line %q", line)
	}
	v := value{kind: line[0]}
	body := strings.TrimSuffix(line[1:], "\r\n")
	switch v.kind {
	case '+', '-':
		v.str = body
	case ':':
		v.num, err = strconv.ParseInt(body, 10, 64)
	case '_':
	case '$', '=':
		n, err := strconv.Atoi(body)
		if err != nil || n < 0 {
			return v, fmt.Errorf("bulk length %q", body)
		}
		buf := make([]byte, n+2)
		if _, err := io.ReadFull(br, buf); err != nil {
			return v, err
		}
		v.str = string(buf[:n])
		if v.kind == '=' {
			v.str = v.str[4:] // verbatim: "txt:" first
		}
	case '*', '~', '%':
		n, err := strconv.Atoi(body)
		if err != nil {
			return v, err
		}
		if v.kind == '%' {
			n *= 2
		}
		for i := 0; i < n; i++ {
			e, err := read(br)
			if err != nil {
				return v, err
			}
			v.elems = append(v.elems, e)
		}
	default:
		return v, fmt.Errorf("unknown reply type %q", line)
	}
	return v, err
}
