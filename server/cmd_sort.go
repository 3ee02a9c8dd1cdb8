package server

import (
	"bytes"
	"strings"

	"moonstone/storage"
)

// SORT key [BY pattern] [LIMIT offset count] [GET pattern ...] [ASC|DESC]
// [ALPHA] [STORE destination], and SORT_RO, which is SORT without STORE.
// Options parse left to right as in Redis: a repeated BY, LIMIT or STORE
// overrides the earlier one, GETs accumulate.
func cmdSort(c *Call) {
	readOnly := c.Cmd.Name == "sort_ro"
	o := storage.SortOptions{Count: -1}
	for j := 2; j < len(c.Args); j++ {
		left := len(c.Args) - j - 1
		switch {
		case c.ArgIs(j, "asc"):
			o.Desc = false
		case c.ArgIs(j, "desc"):
			o.Desc = true
		case c.ArgIs(j, "alpha"):
			o.Alpha = true
		case c.ArgIs(j, "limit") && left >= 2:
			var ok bool
			if o.Offset, ok = c.Int(j + 1); !ok {
				return
			}
			if o.Count, ok = c.Int(j + 2); !ok {
				return
			}
			j += 2
		case !readOnly && c.ArgIs(j, "store") && left >= 1:
			o.Store = c.Args[j+1]
			j++
		case c.ArgIs(j, "by") && left >= 1:
			o.By = c.Args[j+1]
			// Redis decides "don't sort" as it parses each BY, and never
			// takes the decision back.
			if bytes.IndexByte(cPrefix(o.By), '*') < 0 {
				o.NoSort = true
			} else if !c.mayReadAnyKey() {
				c.Error("ERR BY option of SORT denied due to insufficient ACL permissions.")
				return
			}
			j++
		case c.ArgIs(j, "get") && left >= 1:
			if !c.mayReadAnyKey() {
				c.Error("ERR GET option of SORT denied due to insufficient ACL permissions.")
				return
			}
			o.Get = append(o.Get, c.Args[j+1])
			j++
		default:
			c.Error(errSyntax)
			return
		}
	}
	// o.Script (sort a set even under a constant BY, as Redis does for
	// scripts) is to be set here once a Call knows it comes from redis.call.
	existed := o.Store != nil && c.NotifyExists(o.Store)
	res, err := c.Tx.Sort(c.DB(), c.Args[1], o)
	if err != nil {
		c.Err(err)
		return
	}
	c.NotifyStore(notifyList, "sortstore", o.Store, res.Stored, existed)
	if o.Store != nil {
		c.r.Int(res.Stored)
		return
	}
	c.r.Array(len(res.Values))
	for _, v := range res.Values {
		bulkOrNull(c.r, v, v != nil)
	}
}

// cPrefix is b up to its first NUL byte: Redis looks for '*' in a pattern
// with strchr.
func cPrefix(b []byte) []byte {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		return b[:i]
	}
	return b
}

// sortKeys locates SORT's keys the way Redis's sortGetKeys does: the
// sorted key, and the destination of the last STORE. Like Redis it skips
// the arguments of LIMIT, GET and BY without checking they exist.
func sortKeys(args [][]byte) []int {
	if len(args) < 2 {
		return nil
	}
	store := 0
	for i := 2; i < len(args); i++ {
		switch strings.ToLower(string(args[i])) {
		case "limit":
			i += 2
		case "get", "by":
			i++
		case "store":
			if i+1 < len(args) {
				store = i + 1
			}
		}
	}
	if store == 0 {
		return []int{1}
	}
	return []int{1, store}
}

// withKeys gives a command with movable keys its key locator (used in the
// command table).
func withKeys(cmd *Command, keys func(args [][]byte) []int) *Command {
	cmd.Keys = keys
	return cmd
}
