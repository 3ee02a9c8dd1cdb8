package server

import (
	"math"
	"strings"

	"moonstone/codec"
)

// Argument parsing shared by every command family. Each helper replies
// with Redis's error itself and returns ok=false, so a handler reads:
//
//	n, ok := c.Int(2)
//	if !ok {
//		return
//	}

// Int parses argument i as an integer.
func (c *Call) Int(i int) (int64, bool) {
	n, ok := codec.ParseInt(c.Args[i])
	if !ok {
		c.Error(errNotInteger)
	}
	return n, ok
}

// IntRange parses argument i as an integer within [lo, hi], replying with
// msg when it is out of range.
func (c *Call) IntRange(i int, lo, hi int64, msg string) (int64, bool) {
	n, ok := codec.ParseInt(c.Args[i])
	if !ok {
		c.Error(errNotInteger)
		return 0, false
	}
	if n < lo || n > hi {
		c.Error(msg)
		return 0, false
	}
	return n, true
}

// Float parses argument i as a double (scores, INCRBYFLOAT operands).
func (c *Call) Float(i int) (float64, bool) {
	f, ok := codec.ParseFloat(c.Args[i])
	if !ok {
		c.Error(errNotFloat)
	}
	return f, ok
}

// Arg returns argument i lower-cased, for matching options.
func (c *Call) Arg(i int) string { return strings.ToLower(string(c.Args[i])) }

// ArgIs reports whether argument i equals opt, ignoring case.
func (c *Call) ArgIs(i int, opt string) bool {
	return i < len(c.Args) && strings.EqualFold(string(c.Args[i]), opt)
}

// DBIndex parses argument i as a database number.
func (c *Call) DBIndex(i int) (int, bool) {
	n, ok := codec.ParseInt(c.Args[i])
	if !ok {
		c.Error(errNotInteger)
		return 0, false
	}
	if n < 0 || n >= int64(c.Srv.cfg.Databases()) {
		c.Error(errDBIndex)
		return 0, false
	}
	return int(n), true
}

// Timeout parses a blocking timeout in seconds (fractions allowed), as
// Redis's getTimeoutFromObjectOrReply.
func (c *Call) Timeout(i int) (float64, bool) {
	f, ok := codec.ParseFloat(c.Args[i])
	if !ok || math.IsInf(f, 0) {
		c.Error("ERR timeout is not a float or out of range")
		return 0, false
	}
	if f < 0 {
		c.Error(errTimeoutNegative)
		return 0, false
	}
	return f, true
}

// Keys returns the arguments from index i on.
func (c *Call) Rest(i int) [][]byte { return c.Args[i:] }
