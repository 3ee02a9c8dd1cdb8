package scripting

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	lua "github.com/yuin/gopher-lua"
	"github.com/yuin/gopher-lua/parse"
)

// Flags are the flags a script declares in its shebang line
// ("#!lua flags=no-writes,allow-oom").
type Flags uint8

const (
	FlagNoWrites Flags = 1 << iota
	FlagAllowOOM
	FlagAllowStale
	FlagNoCluster
	FlagAllowCrossSlot
)

var flagNames = []struct {
	f    Flags
	name string
}{
	{FlagNoWrites, "no-writes"}, {FlagAllowOOM, "allow-oom"}, {FlagAllowStale, "allow-stale"},
	{FlagNoCluster, "no-cluster"}, {FlagAllowCrossSlot, "allow-cross-slot-keys"},
}

// Script is one compiled script body. The compiled form is shared by every
// pooled Lua state: each run wraps it in a fresh closure, so nothing a run
// does to its function survives it.
type Script struct {
	SHA  string // SHA1 of the body, 40 lowercase hex digits
	size int    // of the body, for the cache's bound
	// Shebang is set when the body starts with a "#!lua" line; without
	// one a script runs in Redis's compatibility mode and may write.
	Shebang bool
	Flags   Flags

	proto *lua.FunctionProto

	// loaded is set for scripts that arrived through SCRIPT LOAD: they
	// stay until SCRIPT FLUSH. Guarded by the engine's cache lock.
	loaded bool
}

// ReadOnly reports whether the script declared no-writes: it then runs on a
// snapshot, without the write lock, and its write commands are refused.
func (s *Script) ReadOnly() bool { return s.Shebang && s.Flags&FlagNoWrites != 0 }

// SHA1Hex is the script identifier Redis uses: the SHA1 of the body in
// lowercase hex.
func SHA1Hex(body []byte) string {
	sum := sha1.Sum(body)
	return hex.EncodeToString(sum[:])
}

// ReplyError is an error whose text is the complete error reply, code
// included ("ERR Error compiling script ...", "NOSCRIPT ...").
type ReplyError string

func (e ReplyError) Error() string { return string(e) }

// ErrNoScript is EVALSHA's reply for an unknown SHA1.
const ErrNoScript = ReplyError("NOSCRIPT No matching script. Please use EVAL.")

// DeclaredFlags reads the flags a script body declares, without compiling
// it: shebang is false for a body without a "#!lua" line, or with a line
// that does not parse (running it will report why).
func DeclaredFlags(body []byte) (shebang bool, flags Flags) {
	shebang, flags, _, err := parseShebang(body)
	if err != nil {
		return false, 0
	}
	return shebang, flags
}

// parseShebang reads the optional "#!lua flags=..." first line, as Redis's
// evalExtractShebangFlags does. It returns the length of the line (without
// its newline, which stays so that line numbers are unchanged).
func parseShebang(body []byte) (shebang bool, flags Flags, n int, err error) {
	if !bytes.HasPrefix(body, []byte("#!")) {
		return false, 0, 0, nil
	}
	end := bytes.IndexByte(body, '\n')
	if end < 0 {
		return false, 0, 0, ReplyError("ERR Invalid script shebang")
	}
	parts, ok := splitArgs(string(body[:end]))
	if !ok || len(parts) == 0 {
		return false, 0, 0, ReplyError("ERR Invalid engine in script shebang")
	}
	if parts[0] != "#!lua" {
		return false, 0, 0, ReplyError("ERR Unexpected engine in script shebang: " + parts[0])
	}
	for _, p := range parts[1:] {
		list, ok := strings.CutPrefix(p, "flags=")
		if !ok {
			return false, 0, 0, ReplyError("ERR Unknown lua shebang option: " + p)
		}
		if list == "" {
			continue
		}
		for _, name := range strings.Split(list, ",") {
			found := false
			for _, fn := range flagNames {
				if fn.name == name {
					flags |= fn.f
					found = true
				}
			}
			if !found {
				return false, 0, 0, ReplyError("ERR Unexpected flag in script shebang: " + name)
			}
		}
	}
	return true, flags, end, nil
}

// splitArgs splits a line into words the way Redis's sdssplitargs does:
// blanks separate words, double quotes allow escapes, single quotes do not.
// It reports false for unbalanced quotes.
func splitArgs(line string) ([]string, bool) {
	var out []string
	i := 0
	for {
		for i < len(line) && isBlank(line[i]) {
			i++
		}
		if i >= len(line) {
			return out, true
		}
		var cur strings.Builder
		inDouble, inSingle, done := false, false, false
		for !done {
			if i >= len(line) {
				if inDouble || inSingle {
					return nil, false
				}
				break
			}
			c := line[i]
			switch {
			case inDouble:
				if c == '\\' && i+1 < len(line) {
					i++
					switch line[i] {
					case 'n':
						cur.WriteByte('\n')
					case 'r':
						cur.WriteByte('\r')
					case 't':
						cur.WriteByte('\t')
					case 'b':
						cur.WriteByte('\b')
					case 'a':
						cur.WriteByte('\a')
					default:
						cur.WriteByte(line[i])
					}
				} else if c == '"' {
					if i+1 < len(line) && !isBlank(line[i+1]) {
						return nil, false
					}
					done = true
				} else {
					cur.WriteByte(c)
				}
			case inSingle:
				if c == '\\' && i+1 < len(line) && line[i+1] == '\'' {
					i++
					cur.WriteByte('\'')
				} else if c == '\'' {
					if i+1 < len(line) && !isBlank(line[i+1]) {
						return nil, false
					}
					done = true
				} else {
					cur.WriteByte(c)
				}
			default:
				switch {
				case isBlank(c):
					done = true
				case c == '"':
					inDouble = true
				case c == '\'':
					inSingle = true
				default:
					cur.WriteByte(c)
				}
			}
			i++
		}
		out = append(out, cur.String())
	}
}

func isBlank(c byte) bool {
	return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\v' || c == '\f'
}

// chunkName is the name every script body is compiled under, so errors read
// "user_script:3: ..." as in Redis.
const chunkName = "user_script"

// compile parses and compiles a script body (shebang line excluded but its
// newline kept). Errors are Redis's compile error reply.
func compile(body []byte) (*Script, error) {
	s := &Script{SHA: SHA1Hex(body), size: len(body)}
	shebang, flags, n, err := parseShebang(body)
	if err != nil {
		return nil, err
	}
	s.Shebang, s.Flags = shebang, flags
	proto, msg := compileChunk(body[n:], chunkName)
	if proto == nil {
		return nil, ReplyError("ERR Error compiling script (new function): " + msg)
	}
	s.proto = proto
	return s, nil
}

// compileChunk compiles Lua source. On failure it returns Lua 5.1's style
// of message ("user_script:1: unexpected symbol near 'x'") as best the
// gopher-lua parser's errors allow.
func compileChunk(src []byte, name string) (*lua.FunctionProto, string) {
	if len(src) > 0 && src[0] == 0x1b {
		// Precompiled (binary) chunks are never loaded, as in Redis.
		return nil, fmt.Sprintf("%s:1: unexpected symbol near 'char(27)'", name)
	}
	if msg := checkNesting(src, name); msg != "" {
		return nil, msg
	}
	chunk, err := parse.Parse(bytes.NewReader(src), name)
	if err != nil {
		return nil, parseErrorText(err, src, name)
	}
	proto, err := lua.Compile(chunk, name)
	if err != nil {
		var ce *lua.CompileError
		if errors.As(err, &ce) {
			line := ce.Line
			if line <= 0 {
				line = 1
			}
			return nil, fmt.Sprintf("%s:%d: %s", name, line, ce.Message)
		}
		return nil, name + ": " + strings.TrimSpace(err.Error())
	}
	// Error messages name local variables from the scopes the prototype
	// records, which gopher-lua gets wrong in places (localscopes.go).
	// This reuses chunk, whose line numbers are no longer needed.
	fixLocalScopes(chunk, proto, name)
	// A main chunk has no Lua 5.0 "arg" table (gopher-lua would build an
	// unreachable one on every run).
	proto.IsVarArg &^= lua.VarArgNeedsArg
	return proto, ""
}

func parseErrorText(err error, src []byte, name string) string {
	var pe *parse.Error
	if !errors.As(err, &pe) {
		return name + ": " + strings.TrimSpace(err.Error())
	}
	msg := pe.Message
	switch msg {
	case "syntax error":
		msg = "unexpected symbol"
	case "unterminated string":
		msg = "unfinished string"
	case "unterminated multiline string":
		msg = "unfinished long string"
	case "invalid multiline comment":
		msg = "unfinished long comment"
	}
	line, tok := pe.Pos.Line, pe.Token
	if line == parse.EOF {
		line = 1 + bytes.Count(src, []byte("\n"))
		tok = "<eof>"
	}
	return fmt.Sprintf("%s:%d: %s near '%s'", name, line, msg, tok)
}

// maxSyntaxLevels bounds how deeply a chunk may nest brackets and blocks,
// and maxExprOps how many operators one expression may chain. gopher-lua's
// parser and compiler recurse once per level and per chained operator, so
// an absurd body could exhaust the goroutine's stack (a fatal error, not a
// panic) or take seconds to compile; Lua 5.1 has the same kind of limit
// ("chunk has too many syntax levels", LUAI_MAXCCALLS = 200).
const (
	maxSyntaxLevels = 200
	maxExprOps      = 1000
)

// checkNesting scans src, skipping strings and comments, and reports
// nesting deeper than maxSyntaxLevels or an expression chaining more than
// maxExprOps operators. Commas, semicolons, assignments and statement
// keywords end an expression.
func checkNesting(src []byte, name string) string {
	depth, ops, line := 0, 0, 1
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch {
		case c == '\n':
			line++
		case c == '-' && i+1 < len(src) && src[i+1] == '-':
			i += 2
			if lvl, ok := longBracket(src, i); ok {
				end := findLongEnd(src, i+lvl+2, lvl)
				line += bytes.Count(src[i:end], []byte("\n"))
				i = end - 1
			} else {
				for i < len(src) && src[i] != '\n' {
					i++
				}
				i--
			}
		case c == '[':
			if lvl, ok := longBracket(src, i); ok {
				end := findLongEnd(src, i+lvl+2, lvl)
				line += bytes.Count(src[i:end], []byte("\n"))
				i = end - 1
				continue
			}
			depth++
			ops++
		case c == '"' || c == '\'':
			i++
			for i < len(src) && src[i] != c {
				if src[i] == '\\' {
					i++
				}
				if i < len(src) && src[i] == '\n' {
					line++
				}
				i++
			}
		case c == '(':
			depth++
			ops++
		case c == '{':
			depth++
		case c == ')' || c == '}' || c == ']':
			depth--
		case c == ',' || c == ';':
			ops = 0
		case c == '=' || c == '~' || c == '<' || c == '>':
			if i+1 < len(src) && src[i+1] == '=' {
				i++
				ops++
			} else if c == '=' {
				ops = 0
			} else {
				ops++
			}
		case c == '.':
			for i+1 < len(src) && src[i+1] == '.' {
				i++
			}
			ops++
		case c == '+' || c == '-' || c == '*' || c == '/' || c == '%' || c == '^' || c == '#' || c == ':':
			ops++
		case isIdentStart(c):
			j := i
			for j < len(src) && isIdentChar(src[j]) {
				j++
			}
			switch string(src[i:j]) {
			case "function", "do", "repeat", "if":
				depth++
				ops = 0
			case "end", "until":
				depth--
				ops = 0
			case "and", "or", "not":
				ops++
			case "local", "return", "then", "else", "elseif", "while", "for", "in", "break":
				ops = 0
			}
			i = j - 1
		}
		if depth > maxSyntaxLevels || ops > maxExprOps {
			return fmt.Sprintf("%s:%d: chunk has too many syntax levels", name, line)
		}
	}
	return ""
}

// longBracket reports whether src[i:] opens a long bracket "[" "="* "[",
// returning the number of '='.
func longBracket(src []byte, i int) (int, bool) {
	if i >= len(src) || src[i] != '[' {
		return 0, false
	}
	j := i + 1
	for j < len(src) && src[j] == '=' {
		j++
	}
	if j < len(src) && src[j] == '[' {
		return j - i - 1, true
	}
	return 0, false
}

// findLongEnd returns the index just past the "]" "="*lvl "]" closing a
// long bracket whose content starts at i, or len(src).
func findLongEnd(src []byte, i, lvl int) int {
	closer := "]" + strings.Repeat("=", lvl) + "]"
	k := bytes.Index(src[i:], []byte(closer))
	if k < 0 {
		return len(src)
	}
	return i + k + len(closer)
}

func isIdentStart(c byte) bool { return c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isIdentChar(c byte) bool  { return isIdentStart(c) || c >= '0' && c <= '9' }
