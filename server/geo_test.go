package server_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"moonstone/internal/testkit"
)

func TestGeoAddPosMatchesRedis(t *testing.T) {
	testkit.Diff(t, `
GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
GEOADD Sicily 13.361389 38.115556 Palermo
GEOADD Sicily CH 13.361389 38.115556 Palermo 13.5 38.1 Palermo 12.0 37.0 Trapani
GEOADD Sicily NX 0 0 Palermo 1 1 Nowhere
GEOADD Sicily XX 0 0 Palermo 2 2 Never
GEOADD Sicily XX CH 13.361389 38.115556 Palermo
GEOADD Sicily NX XX 1 1 a
GEOADD Sicily CH NX CH 1 1 b
GEOADD Sicily CH CH CH
GEOADD Sicily 1 2
GEOADD Sicily 1 2 a 3
GEOADD Sicily GT 1 2 a
GEOADD Sicily x 2 a
GEOADD Sicily 1 y a
GEOADD Sicily 200 100 a
GEOADD Sicily 200 0 a
GEOADD Sicily 0 86 a
GEOADD Sicily -180.0000001 0 a
GEOADD Sicily 180 85.05112878 edge -180 -85.05112878 edge2
GEOADD Sicily inf 0 a
GEOADD Sicily 0 -inf a
GEOADD Sicily 1e300 0 a
GEOADD Sicily nan 0 a
GEOADD Sicily 1 1 ok 1e300 0 bad
EXISTS ok
GEOADD dup 1 1 a 2 2 a 3 3 b 1 1 b
GEOPOS dup a b
GEOADD dup CH 2 2 a 5 5 a
GEOADD neg -0 -0 z 0.0000001 -0.0000001 tiny -179.999999 85.05 corner
GEOPOS neg z tiny corner
GEOHASH neg z tiny corner
GEOADD Sicily
GEOADD Sicily 1 2
ZRANGE Sicily 0 -1 WITHSCORES
GEOPOS Sicily Palermo Catania Trapani missing edge edge2 Nowhere
GEOPOS Sicily
GEOPOS nokey a b
GEOPOS nokey
TYPE Sicily
ZCARD Sicily
# a plain sorted set
ZADD plain -1 a -1.5 b 1.5 c 1e19 d 2e19 e inf f -inf g 4503599627370496 h 1e300 i -1e300 j 9.3e18 k -9.3e18 l 0 m 3471579339700058 n
GEOPOS plain a b c d e f g h i j k l m n
GEOHASH plain a b c d e f g h i j k l m n
# GEOHASH
GEOHASH Sicily Palermo Catania missing edge edge2
GEOHASH nokey a
GEOHASH Sicily
# wrong type
SET str v
GEOADD str 1 1 a
GEOADD str 200 1 a
GEOPOS str a
GEOHASH str a
GEODIST str a b
GEOSEARCH str FROMLONLAT 0 0 BYRADIUS 1 km
GEORADIUS str 0 0 1 km
GEORADIUSBYMEMBER str a 1 km
GEOSEARCHSTORE dst str FROMLONLAT 0 0 BYRADIUS 1 km
GEOSEARCHSTORE str Sicily FROMLONLAT 15 37 BYRADIUS 200 km
TYPE str
`)
}

func TestGeoDistMatchesRedis(t *testing.T) {
	testkit.Diff(t, `
GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania 13.361389 38.115556 Twin 13.361389 -38.115556 South -179.9 0 W 179.9 0 E
GEODIST Sicily Palermo Catania
GEODIST Sicily Palermo Catania m
GEODIST Sicily Palermo Catania km
GEODIST Sicily Palermo Catania KM
GEODIST Sicily Palermo Catania mi
GEODIST Sicily Palermo Catania Ft
GEODIST Sicily Palermo Catania yd
GEODIST Sicily Palermo Catania km extra
GEODIST Sicily Palermo missing
GEODIST Sicily missing Palermo
GEODIST Sicily Palermo Twin
GEODIST Sicily Palermo Palermo km
GEODIST Sicily Palermo South
GEODIST Sicily W E
GEODIST Sicily W E mi
GEODIST nokey a b
GEODIST nokey a b yd
GEODIST Sicily a
`)
}

// geoPoints is a small set of places for the search tests: Sicily, two
// members at one position (ties), and points near the poles and the
// antimeridian.
const geoPoints = `
GEOADD Sicily 13.361389 38.115556 Palermo 15.087269 37.502669 Catania 12.758489 38.788135 edge1 17.241510 38.788135 edge2 13.583333 37.316667 Agrigento 14.015482 37.510000 Twin1 14.015482 37.510000 Twin2 14.015482 37.510000 Twin0
GEOADD far 179.99 0 east -179.99 0 west 179.99 10 ne -179.99 -10 sw 0 85 north 0 -85 south 100 84.9 north2
`

func TestGeoSearchMatchesRedis(t *testing.T) {
	testkit.Diff(t, geoPoints+`
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km DESC
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC WITHCOORD WITHDIST WITHHASH
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHHASH WITHCOORD
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 2
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 3 DESC
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 1 ANY
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 3 ANY ASC
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km COUNT 100
GEOSEARCH Sicily FROMMEMBER Palermo BYRADIUS 100 km WITHDIST
GEOSEARCH Sicily FROMMEMBER Twin1 BYRADIUS 100 km WITHDIST ASC
GEOSEARCH Sicily FROMMEMBER Twin1 BYRADIUS 100 km WITHDIST COUNT 2
GEOSEARCH Sicily FROMMEMBER Twin1 BYRADIUS 100 km WITHDIST COUNT 4 DESC
GEOSEARCH Sicily FROMMEMBER Twin1 BYRADIUS 0 m
GEOSEARCH Sicily FROMMEMBER Twin1 BYRADIUS 0 m WITHDIST
GEOSEARCH Sicily FROMMEMBER Twin1 FROMMEMBER Palermo BYRADIUS 1 m
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 400 400 km ASC WITHDIST
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 160 50 km ASC WITHCOORD
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 0 0 km
GEOSEARCH Sicily FROMMEMBER Palermo BYBOX 200 200 mi DESC COUNT 3
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 100 mi BYRADIUS 200 km
GEOSEARCH Sicily fromlonlat 15 37 byradius 200 KM withdist asc count 2 any
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1e9 m COUNT 3
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS inf m COUNT 3
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX inf 1 m
GEOSEARCH far FROMLONLAT 180 0 BYRADIUS 100 km WITHDIST ASC
GEOSEARCH far FROMLONLAT -180 0 BYRADIUS 2000 km WITHDIST ASC
GEOSEARCH far FROMLONLAT 0 85.05 BYRADIUS 500 km WITHCOORD
GEOSEARCH far FROMLONLAT 50 -85.05 BYRADIUS 5000 km WITHDIST
GEOSEARCH far FROMLONLAT 0 0 BYRADIUS 20000 km WITHDIST ASC
GEOSEARCH far FROMLONLAT 0 0 BYBOX 40000 20000 km WITHDIST ASC
GEOSEARCH far FROMLONLAT 179 1 BYBOX 500 3000 km WITHDIST ASC
GEOSEARCH nokey FROMLONLAT 15 37 BYRADIUS 200 km
GEOSEARCH nokey FROMMEMBER x BYRADIUS 200 km
GEOSEARCH nokey FROMMEMBER x BYRADIUS x km
# errors, in Redis's order
GEOSEARCH Sicily FROMMEMBER missing BYRADIUS 200 km
GEOSEARCH Sicily FROMLONLAT 200 37 BYRADIUS 200 km
GEOSEARCH Sicily FROMLONLAT x 37 BYRADIUS 200 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS x km
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS -1 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 yd
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX x 1 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 x km
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX -1 1 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 -1 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1 yd
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km BYBOX 1 1 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1 km BYRADIUS 1 km
GEOSEARCH Sicily FROMLONLAT 15 37 FROMMEMBER Palermo BYRADIUS 1 km
GEOSEARCH Sicily FROMMEMBER Palermo FROMLONLAT 15 37 BYRADIUS 1 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km COUNT 0
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km COUNT -1
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km COUNT x
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km COUNT
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km ANY
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km STORE x
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km STOREDIST
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1 km BOGUS
GEOSEARCH Sicily BYRADIUS 1 km ASC
GEOSEARCH Sicily FROMLONLAT 15 37 ASC
geosearch Sicily BYRADIUS 1 km ASC
GeoSearch Sicily FROMLONLAT 15 37 WITHDIST
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 1
GEOSEARCH Sicily FROMLONLAT 15 BYRADIUS 1 km
GEOSEARCH Sicily FROMMEMBER BYRADIUS 1 km
GEOSEARCH Sicily FROMLONLAT 15 37 BYBOX 1 1
GEOSEARCH Sicily FROMLONLAT 15 37
GEOSEARCH Sicily
`)
}

func TestGeoRadiusMatchesRedis(t *testing.T) {
	testkit.Diff(t, geoPoints+`
GEORADIUS Sicily 15 37 200 km
GEORADIUS Sicily 15 37 200 km ASC WITHDIST WITHCOORD
GEORADIUS Sicily 15 37 200 km DESC WITHHASH COUNT 2
GEORADIUS Sicily 15 37 200 km COUNT 2 ANY
GEORADIUS_RO Sicily 15 37 200 km WITHDIST
GEORADIUS_RO Sicily 15 37 200 km STORE dst
GEORADIUS_RO Sicily 15 37 200 km STOREDIST dst
GEORADIUSBYMEMBER Sicily Palermo 200 km WITHDIST ASC
GEORADIUSBYMEMBER Sicily Twin2 0 km
GEORADIUSBYMEMBER_RO Sicily Palermo 200 km WITHDIST ASC COUNT 3
GEORADIUSBYMEMBER_RO Sicily Palermo 200 km STORE dst
GEORADIUSBYMEMBER Sicily missing 200 km
GEORADIUSBYMEMBER Sicily Palermo x km
GEORADIUSBYMEMBER Sicily Palermo 200 yd
GEORADIUSBYMEMBER nokey missing x yd
GEORADIUSBYMEMBER nokey missing x yd WITHDIST
GEORADIUSBYMEMBER nokey missing x yd BOGUS
GEORADIUSBYMEMBER nokey missing x yd STORE dst
GEORADIUS nokey 15 37 200 km
GEORADIUS nokey 200 37 200 km
GEORADIUS nokey 15 37 x km
GEORADIUS Sicily 15 37 200 km FROMLONLAT 1 1
GEORADIUS Sicily 15 37 200 km BYRADIUS 1 km
GEORADIUS Sicily 15 37 200 km STORE
GEORADIUS Sicily 15 37 200 km ANY
GEORADIUS Sicily 15 37 200 km COUNT 0
GEORADIUS Sicily 15 37 200 km STORE dst WITHDIST
GEORADIUS Sicily 15 37 200 km WITHCOORD STOREDIST dst
GEORADIUS Sicily 15 37
# STORE and STOREDIST
GEORADIUS Sicily 15 37 200 km STORE dst
ZRANGE dst 0 -1 WITHSCORES
GEORADIUS Sicily 15 37 200 km STOREDIST dst
ZRANGE dst 0 -1 WITHSCORES
GEORADIUS Sicily 15 37 200 km STOREDIST dst STORE dst2
ZRANGE dst2 0 -1 WITHSCORES
GEORADIUS Sicily 15 37 200 km STORE dst2 STOREDIST dst3 COUNT 2 DESC
ZRANGE dst3 0 -1 WITHSCORES
EXISTS dst2
GEORADIUSBYMEMBER Sicily Palermo 100 mi STOREDIST dst COUNT 3 ANY
ZRANGE dst 0 -1 WITHSCORES
GEORADIUS Sicily 0 0 1 km STORE dst
EXISTS dst
GEORADIUS nokey 0 0 1 km STORE dst3
EXISTS dst3
SET str v
EXPIRE str 100
GEORADIUS Sicily 15 37 200 km STORE str
TYPE str
TTL str
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km
ZRANGE dst 0 -1 WITHSCORES
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST COUNT 3
ZRANGE dst 0 -1 WITHSCORES
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYBOX 300 300 mi STOREDIST DESC COUNT 2
ZRANGE dst 0 -1 WITHSCORES
GEOSEARCHSTORE Sicily Sicily FROMMEMBER Palermo BYRADIUS 100 km
ZRANGE Sicily 0 -1 WITHSCORES
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km WITHDIST
GEOSEARCHSTORE dst Sicily FROMLONLAT 15 37 BYRADIUS 200 km STORE x
GEOSEARCHSTORE dst Sicily FROMLONLAT 0 0 BYRADIUS 1 km
EXISTS dst
GEOSEARCHSTORE dst nokey FROMLONLAT 0 0 BYRADIUS 1 km
GEOSEARCHSTORE dst nokey FROMMEMBER x BYRADIUS 1 km
GEOSEARCHSTORE dst Sicily FROMLONLAT 0 0
geosearchstore dst Sicily BYRADIUS 1 km
GEOSEARCHSTORE dst Sicily
`)
}

// TestGeoRandomizedMatchesRedis fills geo sets with a few hundred random
// points (a dense region, the whole square with its poles and the
// antimeridian, and a coarse grid where many members share a position or
// a distance) and compares random searches of every form, STOREDIST
// scores, distances, positions and hashes with Redis's, byte for byte.
func TestGeoRandomizedMatchesRedis(t *testing.T) {
	rng := rand.New(rand.NewPCG(42, 2024))
	coord := func(lo, hi float64) string { return fmt.Sprintf("%.6f", lo+rng.Float64()*(hi-lo)) }
	type region struct {
		key                        string
		lonLo, lonHi, latLo, latHi float64
		n                          int
		grid                       bool
	}
	regions := []region{
		{"europe", -10, 30, 35, 60, 700, false}, // past the rank index threshold
		{"world", -180, 180, -85.05112878, 85.05112878, 200, false},
		{"grid", -1, 1, -1, 1, 150, true},
	}
	var script strings.Builder
	members := map[string][]string{}
	for _, r := range regions {
		for i := 0; i < r.n; i += 10 {
			script.WriteString("GEOADD " + r.key)
			for j := i; j < i+10 && j < r.n; j++ {
				lon, lat := coord(r.lonLo, r.lonHi), coord(r.latLo, r.latHi)
				if r.grid {
					lon = fmt.Sprintf("%.1f", -1+0.5*float64(rng.IntN(5)))
					lat = fmt.Sprintf("%.1f", -1+0.5*float64(rng.IntN(5)))
				}
				m := fmt.Sprintf("%s%d", r.key[:1], j)
				members[r.key] = append(members[r.key], m)
				fmt.Fprintf(&script, " %s %s %s", lon, lat, m)
			}
			script.WriteString("\n")
		}
		script.WriteString("ZCARD " + r.key + "\n")
	}
	pick := func(s []string) string { return s[rng.IntN(len(s))] }
	units := []string{"m", "km", "mi", "ft"}
	// A radius in metres from about a metre to the size of the Earth,
	// written in a random unit.
	size := func() (string, string) {
		metres := 10 * pow10(rng.Float64()*6.5)
		u := pick(units)
		per := map[string]float64{"m": 1, "km": 1000, "mi": 1609.34, "ft": 0.3048}[u]
		return fmt.Sprintf("%.3f", metres/per), u
	}
	for i := 0; i < 600; i++ {
		r := regions[rng.IntN(len(regions))]
		var from string
		if rng.IntN(3) == 0 {
			from = "FROMMEMBER " + pick(members[r.key])
		} else {
			from = "FROMLONLAT " + coord(r.lonLo, r.lonHi) + " " + coord(r.latLo, r.latHi)
		}
		var by string
		if rng.IntN(2) == 0 {
			radius, u := size()
			by = "BYRADIUS " + radius + " " + u
		} else {
			w, u := size()
			h, _ := size()
			by = "BYBOX " + w + " " + h + " " + u
		}
		var opts []string
		switch rng.IntN(4) {
		case 0:
			opts = append(opts, "ASC")
		case 1:
			opts = append(opts, "DESC")
		}
		if rng.IntN(2) == 0 {
			opts = append(opts, fmt.Sprintf("COUNT %d", 1+rng.IntN(40)))
			if rng.IntN(4) == 0 {
				opts = append(opts, "ANY")
			}
		}
		if rng.IntN(5) == 0 {
			fmt.Fprintf(&script, "GEOSEARCHSTORE dst %s %s %s %s STOREDIST\nZRANGE dst 0 -1 WITHSCORES\n",
				r.key, from, by, strings.Join(opts, " "))
			continue
		}
		for _, with := range []string{"WITHDIST", "WITHCOORD", "WITHHASH"} {
			if rng.IntN(2) == 0 {
				opts = append(opts, with)
			}
		}
		rng.Shuffle(len(opts), func(a, b int) { opts[a], opts[b] = opts[b], opts[a] })
		fmt.Fprintf(&script, "GEOSEARCH %s %s %s %s\n", r.key, from, by, strings.Join(opts, " "))
	}
	for i := 0; i < 200; i++ {
		r := regions[rng.IntN(len(regions))]
		ms := members[r.key]
		fmt.Fprintf(&script, "GEODIST %s %s %s %s\n", r.key, pick(ms), pick(ms), pick(units))
		fmt.Fprintf(&script, "GEOPOS %s %s %s\n", r.key, pick(ms), pick(ms))
		fmt.Fprintf(&script, "GEOHASH %s %s %s\n", r.key, pick(ms), pick(ms))
	}
	testkit.Diff(t, script.String())
}

func pow10(x float64) float64 {
	r := 1.0
	for ; x >= 1; x-- {
		r *= 10
	}
	return r * (1 + x*9) // near enough a power of ten for spreading sizes
}

// GEOPOS and WITHCOORD coordinates are RESP3 doubles in Redis's human
// format; distances stay bulk strings.
func TestGeoResp3MatchesRedis(t *testing.T) {
	testkit.DiffResp3(t, geoPoints+`
GEOPOS Sicily Palermo missing Catania
GEOPOS nokey a
GEOHASH Sicily Palermo missing
GEODIST Sicily Palermo Catania km
GEODIST Sicily Palermo missing
GEODIST nokey a b
GEOSEARCH Sicily FROMLONLAT 15 37 BYRADIUS 200 km ASC WITHCOORD WITHDIST WITHHASH
GEORADIUS Sicily 15 37 200 km COUNT 2 WITHCOORD
GEOSEARCH nokey FROMLONLAT 15 37 BYRADIUS 200 km
`)
}

// A command is written once: redis.call runs the same code, in RESP2 and
// RESP3, and GEOADD on a string key fails inside a script as in Redis.
func TestGeoInScriptsMatchesRedis(t *testing.T) {
	testkit.Diff(t, geoPoints+`
EVAL "return redis.call('GEOPOS', KEYS[1], 'Palermo', 'missing')" 1 Sicily
EVAL "redis.setresp(3); return redis.call('GEOPOS', KEYS[1], 'Palermo', 'missing')" 1 Sicily
EVAL "redis.setresp(3); local p = redis.call('GEOPOS', KEYS[1], 'Palermo'); return tostring(p[1][1]['double'])" 1 Sicily
EVAL "return redis.call('GEOSEARCH', KEYS[1], 'FROMLONLAT', 15, 37, 'BYRADIUS', 200, 'km', 'ASC', 'WITHDIST', 'WITHCOORD')" 1 Sicily
EVAL "redis.setresp(3); return redis.call('GEOSEARCH', KEYS[1], 'FROMLONLAT', 15, 37, 'BYRADIUS', 200, 'km', 'ASC', 'WITHCOORD')" 1 Sicily
EVAL "return redis.call('GEOADD', KEYS[1], 1, 2, 'm')" 1 g
EVAL "return redis.call('GEOSEARCHSTORE', KEYS[1], KEYS[2], 'FROMMEMBER', 'Palermo', 'BYRADIUS', 100, 'km', 'STOREDIST')" 2 dst Sicily
ZRANGE dst 0 -1 WITHSCORES
EVAL "return redis.call('GEORADIUS', KEYS[1], 15, 37, 200, 'km', 'STORE', KEYS[2])" 2 Sicily dst2
ZRANGE dst2 0 -1 WITHSCORES
EVAL_RO "return redis.call('GEORADIUS', KEYS[1], 15, 37, 200, 'km')" 1 Sicily
EVAL_RO "return redis.call('GEORADIUS_RO', KEYS[1], 15, 37, 200, 'km')" 1 Sicily
EVAL_RO "return redis.call('GEOADD', KEYS[1], 1, 2, 'm')" 1 g
EVAL "return redis.pcall('GEODIST', KEYS[1], 'Palermo', 'Catania', 'yd')" 1 Sicily
SET str v
EVAL "return redis.call('GEOADD', KEYS[1], 1, 2, 'm')" 1 str
EVAL "return redis.pcall('GEOADD', KEYS[1], 1, 2, 'm')" 1 str
EVAL "return redis.call('GEOADD', KEYS[1], 500, 2, 'm')" 1 g
MULTI
GEOADD m 1 2 a
GEOADD str 1 2 a
GEOPOS m a
GEODIST m a b
EXEC
`)
}

// The end of the scripting unit's "Consistent eval error reporting": a
// GEOADD against a string inside EVAL counts in geoadd's commandstats as a
// failed call, as in Redis.
func TestGeoStatsMatchRedis(t *testing.T) {
	p := testkit.StartPair(t)
	p.Run(t, `
CONFIG RESETSTAT
SET str v
EVAL "return redis.call('GEOADD', KEYS[1], 1, 2, 'm')" 1 str
GEOADD g 1 2 a
GEOADD g 200 2 a
GEOSEARCH g FROMLONLAT 1 2 BYRADIUS 1 yd
GEORADIUS g 1 2 1 km
`)
	got, want := pairStats(t, p)
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("stats differ\nmoonstone:\n%s\nredis:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func TestKeyspaceEventsGeo(t *testing.T) {
	keyEvents(t, "KEA", `
GEOADD g 13.361389 38.115556 Palermo 15.087269 37.502669 Catania
GEOADD g 13.361389 38.115556 Palermo
GEOADD g XX 1 1 nope
GEOADD g CH 1 1 Palermo
GEOADD g 200 1 bad
GEOPOS g Palermo
GEOSEARCHSTORE dst g FROMLONLAT 15 37 BYRADIUS 200 km
GEOSEARCHSTORE dst g FROMLONLAT 15 37 BYRADIUS 200 km STOREDIST
GEOSEARCHSTORE dst g FROMLONLAT 0 0 BYRADIUS 1 km
GEOSEARCHSTORE dst g FROMLONLAT 0 0 BYRADIUS 1 km
GEORADIUS g 15 37 200 km STORE dst
GEORADIUSBYMEMBER g Catania 200 km STOREDIST dst
GEORADIUS g 0 0 1 km STORE dst
GEORADIUS nokey 0 0 1 km STORE g
GEOSEARCHSTORE g nokey FROMLONLAT 0 0 BYRADIUS 1 km
`)
}

func TestGeoCommandInfoMatchesRedis(t *testing.T) {
	testkit.Diff(t, `
COMMAND GETKEYS GEORADIUS k 1 2 3 km STORE dst
COMMAND GETKEYS GEORADIUS k 1 2 3 km STOREDIST d1 STORE d2
COMMAND GETKEYS GEORADIUS k 1 2 3 km
COMMAND GETKEYS GEORADIUSBYMEMBER k m 3 km STORE dst
COMMAND GETKEYS GEOSEARCHSTORE dst src FROMLONLAT 1 2 BYRADIUS 3 km
COMMAND GETKEYS GEOADD k 1 2 m
COMMAND GETKEYS GEOPOS k
COMMAND GETKEYS GEORADIUS k 1 2 3 km STORE a STORE b
COMMAND GETKEYS GEORADIUS k 1 2 3 store a storedist b STORE c
COMMAND GETKEYS GEORADIUS k 1 2 3 km STORE
COMMAND GETKEYS GEORADIUSBYMEMBER k m 3 km withdist storedist x store y
COMMAND GETKEYS GEORADIUSBYMEMBER k store 3 km x
COMMAND GETKEYS GEORADIUS_RO k 1 2 3 km STORE x
~COMMAND LIST FILTERBY ACLCAT geo
~COMMAND LIST FILTERBY PATTERN geo*
`)
	// Name, arity, flags, key positions and ACL categories.
	commandInfoMatchesRedis(t, 7, "geoadd", "geopos", "geohash", "geodist", "geosearch", "geosearchstore",
		"georadius", "georadius_ro", "georadiusbymember", "georadiusbymember_ro")
}
