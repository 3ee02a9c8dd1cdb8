package server

import (
	"moonstone/codec"
	"moonstone/storage"
)

// Sorted-set ranges: ZRANGE in all its forms, ZRANGESTORE, ZCOUNT,
// ZLEXCOUNT and ZREMRANGEBY*.

const (
	errScoreRange      = "ERR min or max is not a float"
	errLexRange        = "ERR min or max not valid string range item"
	errLimitNeedsRange = "ERR syntax error, LIMIT is only supported in combination with either BYSCORE or BYLEX"
	errScoresNotLex    = "ERR syntax error, WITHSCORES not supported in combination with BYLEX"
)

// parseScoreRange reads ZRANGEBYSCORE bounds as Redis's zslParseRange: a
// "(" prefix makes a bound exclusive; the number is read by strtod.
func parseScoreRange(min, max []byte) (storage.ScoreRange, bool) {
	var r storage.ScoreRange
	var okMin, okMax bool
	r.Min, r.MinEx, okMin = parseScoreBound(min)
	r.Max, r.MaxEx, okMax = parseScoreBound(max)
	return r, okMin && okMax
}

func parseScoreBound(b []byte) (float64, bool, bool) {
	if len(b) > 0 && b[0] == '(' {
		f, ok := codec.ParseRangeFloat(b[1:])
		return f, true, ok
	}
	f, ok := codec.ParseRangeFloat(b)
	return f, false, ok
}

// parseLexRange reads ZRANGEBYLEX bounds: "-", "+", "(member" or
// "[member".
func parseLexRange(min, max []byte) (storage.LexRange, bool) {
	var r storage.LexRange
	var okMin, okMax bool
	r.Min, okMin = parseLexBound(min)
	r.Max, okMax = parseLexBound(max)
	return r, okMin && okMax
}

func parseLexBound(b []byte) (storage.LexBound, bool) {
	if len(b) == 0 {
		return storage.LexBound{}, false
	}
	switch b[0] {
	case '-', '+':
		inf := 1
		if b[0] == '-' {
			inf = -1
		}
		return storage.LexBound{Inf: inf, Ex: true}, len(b) == 1
	case '(':
		return storage.LexBound{Member: b[1:], Ex: true}, true
	case '[':
		return storage.LexBound{Member: b[1:]}, true
	}
	return storage.LexBound{}, false
}

// zrangeForm is what a ZRANGE-family command fixes before its options:
// the kind of range and the direction, or neither (ZRANGE, ZRANGESTORE).
type zrangeForm struct {
	by          storage.ZRangeBy
	byFixed     bool
	rev         bool
	revFixed    bool
	store       bool // ZRANGESTORE: no WITHSCORES
	firstArgIdx int  // the source key
}

// parseZRange reads a ZRANGE-family command as Redis's
// zrangeGenericCommand: options, then their conflicts, then the range.
func (c *Call) parseZRange(f zrangeForm) (spec storage.ZRangeSpec, withScores, ok bool) {
	spec.By, spec.Rev, spec.Limit = f.by, f.rev, -1
	for j := f.firstArgIdx + 3; j < len(c.Args); j++ {
		left := len(c.Args) - j - 1
		switch {
		case !f.store && c.ArgIs(j, "withscores"):
			withScores = true
		case c.ArgIs(j, "limit") && left >= 2:
			if spec.Offset, ok = c.Int(j + 1); !ok {
				return spec, false, false
			}
			if spec.Limit, ok = c.Int(j + 2); !ok {
				return spec, false, false
			}
			j += 2
		case !f.revFixed && c.ArgIs(j, "rev"):
			spec.Rev, f.revFixed = true, true
		case !f.byFixed && c.ArgIs(j, "bylex"):
			spec.By, f.byFixed = storage.ZByLex, true
		case !f.byFixed && c.ArgIs(j, "byscore"):
			spec.By, f.byFixed = storage.ZByScore, true
		default:
			c.Error(errSyntax)
			return spec, false, false
		}
	}
	if spec.Limit != -1 && spec.By == storage.ZByRank {
		c.Error(errLimitNeedsRange)
		return spec, false, false
	}
	if withScores && spec.By == storage.ZByLex {
		c.Error(errScoresNotLex)
		return spec, false, false
	}
	minIdx, maxIdx := f.firstArgIdx+1, f.firstArgIdx+2
	if spec.Rev && spec.By != storage.ZByRank {
		minIdx, maxIdx = maxIdx, minIdx
	}
	switch spec.By {
	case storage.ZByRank:
		if spec.Start, ok = c.Int(minIdx); !ok {
			return spec, false, false
		}
		if spec.Stop, ok = c.Int(maxIdx); !ok {
			return spec, false, false
		}
	case storage.ZByScore:
		if spec.Score, ok = parseScoreRange(c.Args[minIdx], c.Args[maxIdx]); !ok {
			c.Error(errScoreRange)
			return spec, false, false
		}
	case storage.ZByLex:
		if spec.Lex, ok = parseLexRange(c.Args[minIdx], c.Args[maxIdx]); !ok {
			c.Error(errLexRange)
			return spec, false, false
		}
	}
	return spec, withScores, true
}

// zrangeRead runs a reading ZRANGE-family command of the given form.
func zrangeRead(c *Call, f zrangeForm) {
	f.firstArgIdx = 1
	spec, withScores, ok := c.parseZRange(f)
	if !ok {
		return
	}
	members, err := c.Tx.ZRange(c.DB(), c.Args[1], spec)
	if err != nil {
		c.Err(err)
		return
	}
	zmembers(c.r, members, withScores)
}

func cmdZRange(c *Call) { zrangeRead(c, zrangeForm{}) }

func cmdZRevRange(c *Call) {
	zrangeRead(c, zrangeForm{by: storage.ZByRank, byFixed: true, rev: true, revFixed: true})
}

// cmdZRangeByScore serves ZRANGEBYSCORE and ZREVRANGEBYSCORE.
func cmdZRangeByScore(c *Call) {
	zrangeRead(c, zrangeForm{by: storage.ZByScore, byFixed: true,
		rev: c.Cmd.Name == "zrevrangebyscore", revFixed: true})
}

// cmdZRangeByLex serves ZRANGEBYLEX and ZREVRANGEBYLEX.
func cmdZRangeByLex(c *Call) {
	zrangeRead(c, zrangeForm{by: storage.ZByLex, byFixed: true,
		rev: c.Cmd.Name == "zrevrangebylex", revFixed: true})
}

func cmdZRangeStore(c *Call) {
	spec, _, ok := c.parseZRange(zrangeForm{store: true, firstArgIdx: 2})
	if !ok {
		return
	}
	existed := c.NotifyExists(c.Args[1])
	n, err := c.Tx.ZRangeStore(c.DB(), c.Args[1], c.Args[2], spec)
	if err != nil {
		c.Err(err)
		return
	}
	c.NotifyStore(notifyZset, "zrangestore", c.Args[1], n, existed)
	c.r.Int(n)
}

func cmdZCount(c *Call) {
	r, ok := parseScoreRange(c.Args[2], c.Args[3])
	if !ok {
		c.Error(errScoreRange)
		return
	}
	n, err := c.Tx.ZCount(c.DB(), c.Args[1], r)
	if err != nil {
		c.Err(err)
		return
	}
	c.r.Int(n)
}

func cmdZLexCount(c *Call) {
	r, ok := parseLexRange(c.Args[2], c.Args[3])
	if !ok {
		c.Error(errLexRange)
		return
	}
	n, err := c.Tx.ZLexCount(c.DB(), c.Args[1], r)
	if err != nil {
		c.Err(err)
		return
	}
	c.r.Int(n)
}

// cmdZRemRange serves ZREMRANGEBYRANK, ZREMRANGEBYSCORE and
// ZREMRANGEBYLEX.
func cmdZRemRange(c *Call) {
	var spec storage.ZRangeSpec
	var ok bool
	switch c.Cmd.Name {
	case "zremrangebyrank":
		spec.By = storage.ZByRank
		if spec.Start, ok = c.Int(2); !ok {
			return
		}
		if spec.Stop, ok = c.Int(3); !ok {
			return
		}
	case "zremrangebyscore":
		spec.By = storage.ZByScore
		if spec.Score, ok = parseScoreRange(c.Args[2], c.Args[3]); !ok {
			c.Error(errScoreRange)
			return
		}
	default:
		spec.By = storage.ZByLex
		if spec.Lex, ok = parseLexRange(c.Args[2], c.Args[3]); !ok {
			c.Error(errLexRange)
			return
		}
	}
	n, err := c.Tx.ZRemRange(c.DB(), c.Args[1], spec)
	if err != nil {
		c.Err(err)
		return
	}
	c.notifyRemoved(n > 0, notifyZset, c.Cmd.Name, c.Args[1])
	c.r.Int(n)
}
