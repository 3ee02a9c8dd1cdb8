package server

import (
	"fmt"
	"strings"

	"moonstone/codec"
	"moonstone/storage"
)

// Geo commands, over sorted sets whose scores are geohashes
// (codec/geohash.go, storage/geo.go). GEOADD is ZADD with computed scores
// and reports ZADD's events; the searches (GEOSEARCH, GEOSEARCHSTORE,
// GEORADIUS, GEORADIUSBYMEMBER and the _RO forms) share one parser that
// reads arguments in Redis's order, so a bad command gets Redis's error.

const (
	errGeoUnit       = "ERR unsupported unit provided. please use M, KM, FT, MI"
	errGeoMember     = "ERR could not decode requested zset member"
	errGeoCount      = "ERR COUNT must be > 0"
	errGeoAnyCount   = "ERR the ANY argument requires COUNT argument"
	errGeoRadius     = "ERR need numeric radius"
	errGeoRadiusNeg  = "ERR radius cannot be negative"
	errGeoWidth      = "ERR need numeric width"
	errGeoHeight     = "ERR need numeric height"
	errGeoBoxNeg     = "ERR height or width cannot be negative"
	errGeoStoreWith  = "ERR STORE option in GEORADIUS is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
	errGeoSearchWith = "ERR GEOSEARCHSTORE is not compatible with WITHDIST, WITHHASH and WITHCOORD options"
)

func cmdGeoAdd(c *Call) {
	var o storage.ZAddOptions
	ch := false
	i := 2
options:
	for ; i < len(c.Args); i++ {
		switch c.Arg(i) {
		case "nx":
			o.NX = true
		case "xx":
			o.XX = true
		case "ch":
			ch = true
		default:
			break options
		}
	}
	rest := len(c.Args) - i
	if rest == 0 || rest%3 != 0 || (o.NX && o.XX) {
		c.Error(errSyntax)
		return
	}
	members := make([]storage.ZMember, 0, rest/3)
	for ; i < len(c.Args); i += 3 {
		lon, lat, ok := c.lonLat(i)
		if !ok {
			return
		}
		members = append(members, storage.ZMember{Member: c.Args[i+2], Score: codec.GeoScore(lon, lat)})
	}
	zaddReply(c, o, ch, members)
}

// lonLat parses a longitude and a latitude at i and i+1 and checks that
// the point is inside the geohash square.
func (c *Call) lonLat(i int) (lon, lat float64, ok bool) {
	if lon, ok = c.Float(i); !ok {
		return 0, 0, false
	}
	if lat, ok = c.Float(i + 1); !ok {
		return 0, 0, false
	}
	if lon < codec.GeoLonMin || lon > codec.GeoLonMax || lat < codec.GeoLatMin || lat > codec.GeoLatMax {
		c.Error(fmt.Sprintf("ERR invalid longitude,latitude pair %s,%s", codec.FormatCFloat(lon), codec.FormatCFloat(lat)))
		return 0, 0, false
	}
	return lon, lat, true
}

// unit parses a distance unit: the metres in one of it.
func (c *Call) unit(i int) (float64, bool) {
	switch c.Arg(i) {
	case "m":
		return 1, true
	case "km":
		return 1000, true
	case "ft":
		return 0.3048, true
	case "mi":
		return 1609.34, true
	}
	c.Error(errGeoUnit)
	return 0, false
}

// geoNumber parses a radius, width or height, replying msg when it is not
// a number.
func (c *Call) geoNumber(i int, msg string) (float64, bool) {
	f, ok := codec.ParseFloat(c.Args[i])
	if !ok {
		c.Error(msg)
	}
	return f, ok
}

// radius parses "radius unit" at i into shape.
func (c *Call) radius(i int, shape *storage.GeoShape) bool {
	r, ok := c.geoNumber(i, errGeoRadius)
	if !ok {
		return false
	}
	if r < 0 {
		c.Error(errGeoRadiusNeg)
		return false
	}
	unit, ok := c.unit(i + 1)
	if !ok {
		return false
	}
	shape.Box, shape.Radius, shape.Unit = false, r, unit
	return true
}

// box parses "width height unit" at i into shape.
func (c *Call) box(i int, shape *storage.GeoShape) bool {
	w, ok := c.geoNumber(i, errGeoWidth)
	if !ok {
		return false
	}
	h, ok := c.geoNumber(i+1, errGeoHeight)
	if !ok {
		return false
	}
	if h < 0 || w < 0 {
		c.Error(errGeoBoxNeg)
		return false
	}
	unit, ok := c.unit(i + 2)
	if !ok {
		return false
	}
	shape.Box, shape.Width, shape.Height, shape.Unit = true, w, h, unit
	return true
}

// memberPos looks up member's position in the sorted set at key.
func (c *Call) memberPos(key, member []byte, shape *storage.GeoShape) bool {
	score, ok, err := c.Tx.ZScore(c.DB(), key, member)
	if err != nil {
		c.Err(err)
		return false
	}
	if !ok {
		c.Error(errGeoMember)
		return false
	}
	shape.Lon, shape.Lat = codec.GeoDecodeScore(score)
	return true
}

func cmdGeoPos(c *Call) {
	scores, found, err := c.Tx.ZMScore(c.DB(), c.Args[1], c.Args[2:])
	if err != nil {
		c.Err(err)
		return
	}
	c.r.Array(len(scores))
	for i, score := range scores {
		if !found[i] {
			c.r.NullArray()
			continue
		}
		lon, lat := codec.GeoDecodeScore(score)
		c.r.Array(2)
		c.r.HumanDouble(lon)
		c.r.HumanDouble(lat)
	}
}

func cmdGeoHash(c *Call) {
	scores, found, err := c.Tx.ZMScore(c.DB(), c.Args[1], c.Args[2:])
	if err != nil {
		c.Err(err)
		return
	}
	c.r.Array(len(scores))
	for i, score := range scores {
		if !found[i] {
			c.r.Null()
			continue
		}
		c.r.BulkString(codec.GeohashString(codec.GeoDecodeScore(score)))
	}
}

func cmdGeoDist(c *Call) {
	unit := 1.0
	switch {
	case len(c.Args) == 5:
		var ok bool
		if unit, ok = c.unit(4); !ok {
			return
		}
	case len(c.Args) > 5:
		c.Error(errSyntax)
		return
	}
	dist, ok, err := c.Tx.GeoDist(c.DB(), c.Args[1], c.Args[2], c.Args[3])
	switch {
	case err != nil:
		c.Err(err)
	case !ok:
		c.r.Null()
	default:
		c.r.BulkString(codec.FormatFixed4(dist / unit))
	}
}

// geoForm says which search command is parsed.
type geoForm int

const (
	geoRadius         geoForm = iota // GEORADIUS, GEORADIUS_RO: key lon lat radius unit
	geoRadiusByMember                // GEORADIUSBYMEMBER(_RO): key member radius unit
	geoSearch                        // GEOSEARCH key, then FROM... and BY...
	geoSearchStore                   // GEOSEARCHSTORE dst src, likewise
)

// geoSearchArgs is a parsed search command.
type geoSearchArgs struct {
	src       []byte
	q         storage.GeoQuery
	store     []byte // the destination, for the STORE forms
	storeDist bool
	withDist  bool
	withHash  bool
	withCoord bool
	srcExists bool
}

func cmdGeoRadius(c *Call) {
	geoSearchCommand(c, geoRadius, !strings.HasSuffix(c.Cmd.Name, "_ro"))
}

func cmdGeoRadiusByMember(c *Call) {
	geoSearchCommand(c, geoRadiusByMember, !strings.HasSuffix(c.Cmd.Name, "_ro"))
}

func cmdGeoSearch(c *Call) { geoSearchCommand(c, geoSearch, false) }

func cmdGeoSearchStore(c *Call) { geoSearchCommand(c, geoSearchStore, false) }

// geoSearchCommand runs a search command; canStore is whether GEORADIUS's
// STORE and STOREDIST options are accepted.
func geoSearchCommand(c *Call, form geoForm, canStore bool) {
	a, ok := c.parseGeoSearch(form, canStore)
	if !ok {
		return
	}
	if a.store != nil {
		existed := c.NotifyExists(a.store)
		n, err := c.Tx.GeoSearchStore(c.DB(), a.store, a.src, a.q, a.storeDist)
		if err != nil {
			c.Err(err)
			return
		}
		event := "georadiusstore"
		if form == geoSearchStore {
			event = "geosearchstore"
		}
		c.NotifyStore(notifyZset, event, a.store, n, existed)
		c.r.Int(n)
		return
	}
	if !a.srcExists {
		c.r.Array(0)
		return
	}
	points, err := c.Tx.GeoSearch(c.DB(), a.src, a.q)
	if err != nil {
		c.Err(err)
		return
	}
	extra := 0
	for _, with := range []bool{a.withDist, a.withHash, a.withCoord} {
		if with {
			extra++
		}
	}
	c.r.Array(len(points))
	for _, p := range points {
		if extra > 0 {
			c.r.Array(extra + 1)
		}
		c.r.Bulk(p.Member)
		if a.withDist {
			c.r.BulkString(codec.FormatFixed4(p.Dist / a.q.Shape.Unit))
		}
		if a.withHash {
			c.r.Int(int64(p.Score))
		}
		if a.withCoord {
			c.r.Array(2)
			c.r.HumanDouble(p.Lon)
			c.r.HumanDouble(p.Lat)
		}
	}
}

// parseGeoSearch reads a search command as Redis's georadiusGeneric: the
// source's type first, then the fixed arguments, the options in order
// (FROMMEMBER looks its member up where it stands), then the checks
// between options.
func (c *Call) parseGeoSearch(form geoForm, canStore bool) (a geoSearchArgs, ok bool) {
	srcIdx := 1
	if form == geoSearchStore {
		srcIdx = 2
	}
	a.src = c.Args[srcIdx]
	n, err := c.Tx.ZCard(c.DB(), a.src)
	if err != nil {
		c.Err(err)
		return a, false
	}
	a.srcExists = n > 0
	shape := &a.q.Shape
	var base int
	switch form {
	case geoRadius:
		base = 6
		if shape.Lon, shape.Lat, ok = c.lonLat(2); !ok {
			return a, false
		}
		if !c.radius(4, shape) {
			return a, false
		}
	case geoRadiusByMember:
		// Without a source the member and radius are not read at all.
		base = 5
		if a.srcExists && (!c.memberPos(a.src, c.Args[2], shape) || !c.radius(3, shape)) {
			return a, false
		}
	case geoSearch:
		base = 2
	case geoSearchStore:
		base = 3
		a.store = c.Args[1]
	}
	search := form == geoSearch || form == geoSearchStore
	var fromMember, fromLonLat, byRadius, byBox bool
	for i := base; i < len(c.Args); i++ {
		left := len(c.Args) - i - 1 // arguments after this one
		switch opt := c.Arg(i); {
		case opt == "withdist":
			a.withDist = true
		case opt == "withhash":
			a.withHash = true
		case opt == "withcoord":
			a.withCoord = true
		case opt == "any":
			a.q.Any = true
		case opt == "asc":
			a.q.Order = storage.GeoAsc
		case opt == "desc":
			a.q.Order = storage.GeoDesc
		case opt == "count" && left >= 1:
			count, ok := c.Int(i + 1)
			if !ok {
				return a, false
			}
			if count <= 0 {
				c.Error(errGeoCount)
				return a, false
			}
			a.q.Count = count
			i++
		case (opt == "store" || opt == "storedist") && left >= 1 && canStore && !search:
			a.store, a.storeDist = c.Args[i+1], opt == "storedist"
			i++
		case opt == "storedist" && form == geoSearchStore:
			a.storeDist = true
		case opt == "frommember" && left >= 1 && search && !fromLonLat:
			if a.srcExists && !c.memberPos(a.src, c.Args[i+1], shape) {
				return a, false
			}
			fromMember = true
			i++
		case opt == "fromlonlat" && left >= 2 && search && !fromMember:
			if shape.Lon, shape.Lat, ok = c.lonLat(i + 1); !ok {
				return a, false
			}
			fromLonLat = true
			i += 2
		case opt == "byradius" && left >= 2 && search && !byBox:
			if !c.radius(i+1, shape) {
				return a, false
			}
			byRadius = true
			i += 2
		case opt == "bybox" && left >= 3 && search && !byRadius:
			if !c.box(i+1, shape) {
				return a, false
			}
			byBox = true
			i += 3
		default:
			c.Error(errSyntax)
			return a, false
		}
	}
	switch {
	case a.store != nil && (a.withDist || a.withHash || a.withCoord):
		if form == geoSearchStore {
			c.Error(errGeoSearchWith)
		} else {
			c.Error(errGeoStoreWith)
		}
		return a, false
	case search && !fromMember && !fromLonLat:
		c.Error(fmt.Sprintf("ERR exactly one of FROMMEMBER or FROMLONLAT can be specified for %s", c.Args[0]))
		return a, false
	case search && !byRadius && !byBox:
		c.Error(fmt.Sprintf("ERR exactly one of BYRADIUS and BYBOX can be specified for %s", c.Args[0]))
		return a, false
	case a.q.Any && a.q.Count == 0:
		c.Error(errGeoAnyCount)
		return a, false
	}
	// COUNT without an order returns the nearest, unless ANY is given.
	if a.q.Count != 0 && a.q.Order == storage.GeoUnsorted && !a.q.Any {
		a.q.Order = storage.GeoAsc
	}
	return a, true
}

// georadiusKeys locates GEORADIUS's keys (options from index 6) and
// georadiusByMemberKeys GEORADIUSBYMEMBER's (from 5) as Redis's key specs
// do: the source, then the key after the first STORE, then the key after
// the first STOREDIST.
func georadiusKeys(args [][]byte) []int         { return geoStoreKeys(args, 6) }
func georadiusByMemberKeys(args [][]byte) []int { return geoStoreKeys(args, 5) }

func geoStoreKeys(args [][]byte, from int) []int {
	keys := []int{1}
	for _, word := range []string{"store", "storedist"} {
		for i := from; i < len(args)-1; i++ {
			if strings.EqualFold(string(args[i]), word) {
				keys = append(keys, i+1)
				break
			}
		}
	}
	return keys
}
