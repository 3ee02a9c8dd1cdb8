package lualib

import (
	"math"
	"reflect"

	lua "github.com/yuin/gopher-lua"
)

// Encoders walk tables with lua_next, so in Redis the order of object and
// map entries is the slot order of Lua 5.1's table implementation, while
// gopher-lua iterates in insertion order. To produce the same bytes as
// Redis, the key set is replayed, in gopher-lua's order, into a model of
// Lua 5.1's ltable.c (array part sizing, main positions, collision chains
// and the free-slot pointer) and the model is then walked.
//
// The layout also depends on how the table grew: a table filled one key at
// a time goes through every intermediate size (each rehash reinserting the
// old slots from the end), while a table constructor presizes it. The two
// only disagree when keys collide, but that is common enough (about a third
// of tables with a dozen string keys) to matter, and gopher-lua keeps no
// record of it. The shape of gopher-lua's array part is the only hint:
//
//   - A non-nil but empty array part, or one that was first allocated by an
//     integer-key store (capacity 32 and more), means a table made from Go
//     (NewTable, and the decoders in this package) or grown by assignment:
//     replayed one key at a time.
//   - No array part at all, or a small one filled by a constructor's list
//     items, means a Lua constructor, or a table that only ever received
//     non-integer keys by assignment, which cannot be told apart: replayed
//     into a presized table, the constructor case.

const (
	l51MaxBits  = 26 // MAXBITS in ltable.c for 32-bit ints
	l51MaxASize = 1 << l51MaxBits
)

type l51Node struct {
	key  lua.LValue
	used bool
	next int // index of the next node in the collision chain, -1 at the end
}

type l51Table struct {
	array    []bool // which array slots hold a value
	nodes    []l51Node
	lastfree int
	ptrHash  map[lua.LValue]uint32
}

// pairsInLua51Order returns the keys of t in the order lua_next visits them
// in Redis.
func pairsInLua51Order(t *lua.LTable) []lua.LValue {
	keys := insertionOrder(t)
	if len(keys) < 2 {
		return keys
	}
	m := &l51Table{}
	if builtByConstructor(t) {
		m.presize(keys)
	}
	for _, k := range keys {
		m.set(k)
	}
	out := make([]lua.LValue, 0, len(keys))
	for i, present := range m.array {
		if present {
			out = append(out, lua.LNumber(i+1))
		}
	}
	for _, n := range m.nodes {
		if n.used {
			out = append(out, n.key)
		}
	}
	return out
}

// insertionOrder lists the keys of t as gopher-lua's next() visits them:
// the array part, then the hashed keys in the order they were first set.
// (ForEach is no substitute: it ranges over Go maps in random order.)
func insertionOrder(t *lua.LTable) []lua.LValue {
	var keys []lua.LValue
	for k, _ := t.Next(lua.LNil); k != lua.LNil; k, _ = t.Next(k) {
		keys = append(keys, k)
	}
	return keys
}

// ltableArray locates gopher-lua's unexported array part; only its
// length and capacity are read.
var ltableArray = func() []int {
	f, ok := reflect.TypeOf(lua.LTable{}).FieldByName("array")
	if !ok || f.Type.Kind() != reflect.Slice {
		return nil
	}
	return f.Index
}()

// gopherArrayGrowth is the capacity gopher-lua gives an array part it
// allocates for an integer-key store, and the one NewTable starts with.
const gopherArrayGrowth = 32

// builtByConstructor applies the array-part heuristic described at the top
// of this file.
func builtByConstructor(t *lua.LTable) bool {
	if ltableArray == nil {
		return true
	}
	a := reflect.ValueOf(t).Elem().FieldByIndex(ltableArray)
	if a.IsNil() {
		return true
	}
	return a.Len() > 0 && a.Cap() < gopherArrayGrowth
}

// presize sizes the model as a constructor holding keys would: integer
// keys that Lua would keep in the array part there, the rest hashed.
func (t *l51Table) presize(keys []lua.LValue) {
	nums := make([]int, l51MaxBits+1)
	nasize := 0
	for _, k := range keys {
		nasize += countInt(k, nums)
	}
	na := computeSizes(nums, &nasize)
	t.resize(nasize, len(keys)-na)
}

// luaStringHash is luaS_newlstr's hash with Redis's change to hash every
// byte of the string.
func luaStringHash(s string) uint32 {
	h := uint32(len(s))
	for i := len(s); i >= 1; i-- {
		h ^= (h << 5) + (h >> 2) + uint32(s[i-1])
	}
	return h
}

// arrayIndex is ltable.c's arrayindex: the key as an int, or -1.
func arrayIndex(k lua.LValue) int {
	if n, ok := k.(lua.LNumber); ok {
		i := d2i32(float64(n))
		if float64(i) == float64(n) {
			return int(i)
		}
	}
	return -1
}

func (t *l51Table) mainPosition(k lua.LValue) int {
	size := uint32(len(t.nodes))
	hashmod := func(n uint32) int { return int(n % ((size - 1) | 1)) }
	switch v := k.(type) {
	case lua.LNumber:
		if v == 0 {
			return 0
		}
		b := math.Float64bits(float64(v))
		return hashmod(uint32(b) + uint32(b>>32))
	case lua.LString:
		return int(luaStringHash(string(v)) & (size - 1))
	case lua.LBool:
		if v {
			return int(1 & (size - 1))
		}
		return 0
	}
	if k == Null {
		// A NULL light userdata hashes as pointer value 0.
		return 0
	}
	// Other keys hash by address in Lua; any fixed spread will do.
	if t.ptrHash == nil {
		t.ptrHash = map[lua.LValue]uint32{}
	}
	h, ok := t.ptrHash[k]
	if !ok {
		h = uint32(len(t.ptrHash)+1) * 2654435761
		t.ptrHash[k] = h
	}
	return hashmod(h)
}

// set is luaH_set for a key known not to be present.
func (t *l51Table) set(k lua.LValue) {
	if i := arrayIndex(k); i >= 1 && i <= len(t.array) {
		t.array[i-1] = true
		return
	}
	t.newKey(k)
}

func (t *l51Table) getFreePos() int {
	for t.lastfree > 0 {
		t.lastfree--
		if !t.nodes[t.lastfree].used {
			return t.lastfree
		}
	}
	return -1
}

func (t *l51Table) newKey(k lua.LValue) {
	if len(t.nodes) == 0 {
		t.rehash(k)
		t.set(k)
		return
	}
	mp := t.mainPosition(k)
	if t.nodes[mp].used {
		n := t.getFreePos()
		if n < 0 {
			t.rehash(k)
			t.set(k)
			return
		}
		other := t.mainPosition(t.nodes[mp].key)
		if other != mp {
			// The occupant is not in its own main position: move it to the
			// free slot and take its place.
			for t.nodes[other].next != mp {
				other = t.nodes[other].next
			}
			t.nodes[other].next = n
			t.nodes[n] = t.nodes[mp]
			t.nodes[mp] = l51Node{next: -1}
		} else {
			t.nodes[n].next = t.nodes[mp].next
			t.nodes[mp].next = n
			mp = n
		}
	}
	t.nodes[mp].key = k
	t.nodes[mp].used = true
}

func ceilLog2(x int) int {
	l := 0
	for (1 << l) < x {
		l++
	}
	return l
}

func countInt(k lua.LValue, nums []int) int {
	if i := arrayIndex(k); i > 0 && i <= l51MaxASize {
		nums[ceilLog2(i)]++
		return 1
	}
	return 0
}

func (t *l51Table) rehash(extra lua.LValue) {
	nums := make([]int, l51MaxBits+1)
	nasize := 0
	// numusearray: count array slots per power-of-two slice.
	i := 1
	for lg, ttlg := 0, 1; lg <= l51MaxBits; lg, ttlg = lg+1, ttlg*2 {
		lim := ttlg
		if lim > len(t.array) {
			lim = len(t.array)
			if i > lim {
				break
			}
		}
		lc := 0
		for ; i <= lim; i++ {
			if t.array[i-1] {
				lc++
			}
		}
		nums[lg] += lc
		nasize += lc
	}
	total := nasize
	for j := len(t.nodes) - 1; j >= 0; j-- {
		if t.nodes[j].used {
			nasize += countInt(t.nodes[j].key, nums)
			total++
		}
	}
	nasize += countInt(extra, nums)
	total++
	na := computeSizes(nums, &nasize)
	t.resize(nasize, total-na)
}

func computeSizes(nums []int, narray *int) int {
	a, na, n := 0, 0, 0
	for i, twotoi := 0, 1; twotoi/2 < *narray; i, twotoi = i+1, twotoi*2 {
		if nums[i] > 0 {
			a += nums[i]
			if a > twotoi/2 {
				n = twotoi
				na = a
			}
		}
		if a == *narray {
			break
		}
	}
	*narray = n
	return na
}

func (t *l51Table) resize(nasize, nhsize int) {
	oldArray := t.array
	oldNodes := t.nodes
	if nasize > len(oldArray) {
		grown := make([]bool, nasize)
		copy(grown, oldArray)
		t.array = grown
	}
	if nhsize == 0 {
		t.nodes = nil
	} else {
		t.nodes = make([]l51Node, 1<<ceilLog2(nhsize))
		for j := range t.nodes {
			t.nodes[j].next = -1
		}
	}
	t.lastfree = len(t.nodes)
	if nasize < len(oldArray) {
		t.array = oldArray[:nasize:nasize]
		for j := nasize; j < len(oldArray); j++ {
			if oldArray[j] {
				t.newKey(lua.LNumber(j + 1))
			}
		}
	}
	for j := len(oldNodes) - 1; j >= 0; j-- {
		if oldNodes[j].used {
			t.set(oldNodes[j].key)
		}
	}
}
