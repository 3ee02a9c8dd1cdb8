package server

import (
	"fmt"
	"strings"
)

// Error replies defined by Redis and reused across commands. Texts are
// Redis 7.0's, byte for byte.
const (
	errSyntax          = "ERR syntax error"
	errNotInteger      = "ERR value is not an integer or out of range"
	errNotFloat        = "ERR value is not a valid float"
	errNoAuth          = "NOAUTH Authentication required."
	errWrongPass       = "WRONGPASS invalid username-password pair or user is disabled."
	errNoPasswordSet   = "ERR AUTH <password> called without any password configured for the default user. Are you sure your configuration is correct?"
	errDBIndex         = "ERR DB index is out of range"
	errInvalidExpire   = "ERR invalid expire time in '%s' command"
	errNoSuchKey       = "ERR no such key"
	errOffsetRange     = "ERR offset is out of range"
	errMaxClients      = "ERR max number of clients reached"
	errNotNegative     = "ERR %s must be positive"
	errBusy            = "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE."
	errNoProto         = "NOPROTO unsupported protocol version"
	errSameObject      = "ERR source and destination objects are the same"
	errCursor          = "ERR invalid cursor"
	errNXXXGTLT        = "ERR GT and LT options at the same time are not compatible"
	errNXAndOthers     = "ERR NX and XX, GT or LT options at the same time are not compatible"
	errUnknownOption   = "ERR Unsupported option %s"
	errTimeoutNegative = "ERR timeout is negative"
)

func errArity(name string) string {
	return fmt.Sprintf("ERR wrong number of arguments for '%s' command", name)
}

// errUnknownCommand is Redis's reply to a command it does not know: the
// name and the first arguments, quoted, up to about 128 bytes.
func errUnknownCommand(args [][]byte) string {
	var b strings.Builder
	for _, a := range args[1:] {
		if b.Len() >= 128 {
			break
		}
		s := string(a)
		if room := 128 - b.Len(); len(s) > room {
			s = s[:room]
		}
		fmt.Fprintf(&b, "'%s' ", s)
	}
	name := string(args[0])
	if len(name) > 128 {
		name = name[:128]
	}
	return sanitize(fmt.Sprintf("ERR unknown command '%s', with args beginning with: %s", name, b.String()))
}

func errUnknownSubcommand(sub []byte, cmd string) string {
	s := string(sub)
	if len(s) > 128 {
		s = s[:128]
	}
	return sanitize(fmt.Sprintf("ERR unknown subcommand '%s'. Try %s HELP.", s, strings.ToUpper(cmd)))
}

// sanitize replaces newlines, which cannot appear inside a RESP error, with
// spaces, as Redis's addReplyErrorFormat does.
func sanitize(s string) string {
	if !strings.ContainsAny(s, "\r\n") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' {
			return ' '
		}
		return r
	}, s)
}
