package server

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"

	"moonstone/storage"
)

// Moonstone's own parameters, beyond Redis's. They are validated like any
// other and answer CONFIG GET.
var moonstoneParams = []ParamDef{
	// cache-size is Pebble's block cache: the memory that keeps hot data
	// off the disk.
	{Name: "cache-size", Default: "268435456", Kind: paramMemory, Min: 1 << 20, Max: 1 << 42, Immutable: true},
	// memtable-size is the size of Pebble's in-memory write buffer. Every
	// read and write searches it first, so a smaller one is cheaper per
	// command; a larger one flushes less often. See docs/configuration.md.
	{Name: "memtable-size", Default: "8388608", Kind: paramMemory, Min: 1 << 20, Max: 1 << 32, Immutable: true},
	// row-cache-size keeps the latest values of records that writes read
	// (a script's keys, a counter's value) in memory, so a write finds them
	// without a Pebble lookup; 0 disables it. See docs/configuration.md.
	{Name: "row-cache-size", Default: "33554432", Kind: paramMemory, Min: 0, Max: 1 << 42, Immutable: true},
	// member-cache-size does the same for hash fields, set members and
	// sorted-set scores, with a budget of its own; 0 disables it.
	{Name: "member-cache-size", Default: "33554432", Kind: paramMemory, Min: 0, Max: 1 << 42, Immutable: true},
	// key-filter-size bounds the filter that tells a key certainly absent
	// without a Pebble lookup (a SET of a new key, a GET of a missing
	// one); a store with more keys than it holds well has none; 0
	// disables it. See docs/configuration.md.
	{Name: "key-filter-size", Default: "16777216", Kind: paramMemory, Min: 0, Max: 1 << 40, Immutable: true},
	// value-separation-min-size is the size from which Pebble writes a
	// value to a blob file and keeps only a reference in its tables, so
	// compactions move the reference instead of rewriting the value; 0
	// keeps every value in the tables. See docs/configuration.md.
	{Name: "value-separation-min-size", Default: "1024", Kind: paramMemory, Min: 0, Max: 1 << 30, Immutable: true},
	// backup-dir is where SAVE and BGSAVE put checkpoints.
	{Name: "backup-dir", Default: "backups", Kind: paramString},
	// lua-memory-limit is how much a running script may grow the server's
	// heap before it is stopped (its writes discarded); 0 disables it.
	// It also bounds what one call of string.rep, table.concat or
	// string.gsub may build. See docs/scripting.md.
	{Name: "lua-memory-limit", Default: "268435456", Kind: paramMemory, Min: 0, Max: 1 << 42},
}

// moonstoneDefaults are the defaults where Moonstone deliberately differs
// from Redis: a disk store that binds to loopback, keeps its data in ./data
// and fsyncs every write, because it exists for ledgers.
var moonstoneDefaults = map[string]string{
	"bind":        "127.0.0.1",
	"dir":         "./data",
	"appendfsync": "always",
	"appendonly":  "yes",
	"save":        "",
}

// Config is the server's live configuration: every Redis 7.0 parameter
// plus Moonstone's own. Parameters that mean nothing on a disk-backed store
// (listpack sizes, save points, maxmemory-policy, ...) are accepted, kept
// and echoed back, because tools and test suites set them.
type Config struct {
	mu     sync.RWMutex
	values map[string]string // by canonical name
	// onChange applies a changed parameter to the running server; an
	// error undoes the CONFIG SET (set).
	onChange func(name, value string) error
	// configFile is the file the configuration was read from, if any.
	configFile string
	// users are the "user name rules..." directives, created at start-up
	// (acl_file.go).
	users [][]string
	// timeout is the "timeout" parameter as a time.Duration.
	timeout atomic.Int64
	// notifyFlags is notify-keyspace-events as Redis's flag bits, parsed
	// from the value as set: its printed form (values) drops 'n' once
	// every class of 'A' is on, as Redis prints it, so it cannot be
	// parsed back.
	notifyFlags atomic.Int64
	// fs, when set (by tests, export_test.go), is the filesystem the store
	// uses instead of the disk.
	fs vfs.FS
}

// NewConfig returns the default configuration.
func NewConfig() *Config {
	c := &Config{values: make(map[string]string)}
	for _, d := range ParamDefs {
		c.values[d.Name] = d.Default
	}
	for _, d := range moonstoneParams {
		c.values[d.Name] = d.Default
	}
	for k, v := range moonstoneDefaults {
		c.values[k] = v
	}
	return c
}

func lookupParam(name string) *ParamDef {
	if d := ParamLookup(name); d != nil {
		return d
	}
	for i := range moonstoneParams {
		if strings.EqualFold(moonstoneParams[i].Name, name) {
			return &moonstoneParams[i]
		}
	}
	return nil
}

// Load sets a parameter from the command line or a config file, where
// immutable parameters may be set too.
func (c *Config) Load(name, value string) error {
	if strings.EqualFold(name, "user") {
		return c.addUser(strings.Fields(value))
	}
	d := lookupParam(name)
	if d == nil {
		return fmt.Errorf("Bad directive or wrong number of arguments: unknown option '%s'", name)
	}
	v := value
	// The data directory is created at start-up, so it need not exist yet.
	if d.Name != "dir" {
		var err error
		if v, err = ParamNormalize(d, c.Get(d.Name), value); err != nil {
			return fmt.Errorf("invalid value for '%s': %v", name, err)
		}
	}
	if d.Name == "appendfsync" {
		if _, ok := storage.ParseSyncPolicy(v); !ok {
			return fmt.Errorf("invalid value for 'appendfsync': %q", value)
		}
	}
	c.mu.Lock()
	c.values[d.Name] = v
	c.cacheLocked(d.Name, v, value)
	c.mu.Unlock()
	return nil
}

// Get returns a parameter's value by canonical name.
func (c *Config) Get(name string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.values[name]
}

// set is CONFIG SET of several pairs, in Redis's two steps: every name
// is checked before any value, and nothing changes unless every pair is
// valid; then each changed parameter is applied (onChange), and if one
// cannot be (a port nobody can listen on), every value goes back to what
// it was and the ones already applied are applied again, as Redis's
// rollback does.
//
// Moonstone's own start-up parameters (cache-size, memtable-size,
// row-cache-size, member-cache-size, key-filter-size,
// value-separation-min-size) accept their current value, so that a tool
// writing back all of CONFIG GET * (as Redis's CONFIG sanity test does,
// which skips only Redis's own immutable parameters) does not fail on
// them; any other value is "can't set immutable config".
func (c *Config) set(pairs [][]byte) error {
	type change struct {
		def                *ParamDef
		name, value, given string
		old                string
	}
	failed := func(name string, err error) error {
		return fmt.Errorf("ERR CONFIG SET failed (possibly related to argument '%s') - %v", name, err)
	}
	var changes []change
	seen := map[string]bool{}
	for i := 0; i < len(pairs); i += 2 {
		name := string(pairs[i])
		d := lookupParam(name)
		if d == nil {
			return fmt.Errorf("ERR Unknown option or number of arguments for CONFIG SET - '%s'", name)
		}
		if seen[d.Name] {
			return failed(name, errors.New("duplicate parameter"))
		}
		seen[d.Name] = true
		if err := ParamCheckSettable(d); err != nil && !isMoonstoneParam(d) {
			return failed(name, err)
		}
		changes = append(changes, change{def: d, name: name})
	}
	for i := range changes {
		ch := &changes[i]
		ch.old = c.Get(ch.def.Name)
		v, err := ParamNormalize(ch.def, ch.old, string(pairs[2*i+1]))
		if err != nil {
			return failed(ParamArgName(ch.def, ch.name), err)
		}
		if ch.def.Immutable && v != ch.old {
			return failed(ch.name, errors.New(paramErrImmutable))
		}
		ch.value, ch.given = v, string(pairs[2*i+1])
	}
	timeout, notify := c.timeout.Load(), c.notifyFlags.Load()
	c.mu.Lock()
	for _, ch := range changes {
		c.values[ch.def.Name] = ch.value
		c.cacheLocked(ch.def.Name, ch.value, ch.given)
	}
	c.mu.Unlock()
	if c.onChange == nil {
		return nil
	}
	for i, ch := range changes {
		if ch.value == ch.old {
			continue
		}
		err := c.onChange(ch.def.Name, ch.value)
		if err == nil {
			continue
		}
		c.mu.Lock()
		for _, back := range changes {
			c.values[back.def.Name] = back.old
		}
		c.mu.Unlock()
		c.timeout.Store(timeout)
		c.notifyFlags.Store(notify)
		for _, back := range changes[:i] {
			if back.value != back.old {
				c.onChange(back.def.Name, back.old)
			}
		}
		return failed(ch.name, err)
	}
	return nil
}

// isMoonstoneParam reports whether d is one of Moonstone's own parameters.
func isMoonstoneParam(d *ParamDef) bool {
	for i := range moonstoneParams {
		if d == &moonstoneParams[i] {
			return true
		}
	}
	return false
}

// match returns the name/value pairs whose name or alias matches the glob
// pattern, as CONFIG GET does. Hidden parameters answer only to their exact
// name.
func (c *Config) match(pattern string) [][2]string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	exact := !strings.ContainsAny(pattern, "*?[\\")
	seen := map[string]bool{}
	var out [][2]string
	try := func(d *ParamDef, name string) {
		if seen[name] {
			return
		}
		if exact {
			if !strings.EqualFold(name, pattern) {
				return
			}
		} else if d.Hidden || !globMatch([]byte(pattern), []byte(name), true) {
			return
		}
		seen[name] = true
		out = append(out, [2]string{name, c.values[d.Name]})
	}
	all := append(append([]ParamDef(nil), ParamDefs...), moonstoneParams...)
	for i := range all {
		d := &all[i]
		try(d, d.Name)
		for _, a := range d.Aliases {
			try(d, a)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// Typed views of the parameters the server itself uses.

func (c *Config) Bind() string {
	f := strings.Fields(c.Get("bind"))
	if len(f) == 0 {
		return "127.0.0.1"
	}
	return strings.TrimPrefix(f[0], "-")
}
func (c *Config) Port() int           { return c.int("port") }
func (c *Config) Dir() string         { return c.Get("dir") }
func (c *Config) Databases() int      { return c.int("databases") }
func (c *Config) RequirePass() string { return c.Get("requirepass") }
func (c *Config) MaxClients() int     { return c.int("maxclients") }

// Timeout is read before every request, so it is kept parsed.
func (c *Config) Timeout() time.Duration { return time.Duration(c.timeout.Load()) }

// cacheLocked keeps the parsed copies of hot parameters in step with their
// text: value is the normalized text, given the valid text it came from.
// Called with mu held.
func (c *Config) cacheLocked(name, value, given string) {
	switch name {
	case "timeout":
		n, _ := strconv.ParseInt(value, 10, 64)
		c.timeout.Store(n * int64(time.Second))
	case "notify-keyspace-events":
		f, _ := paramNotifyFlags(given)
		c.notifyFlags.Store(int64(f))
	}
}

// NotifyFlags is notify-keyspace-events as Redis's flag bits.
func (c *Config) NotifyFlags() int64      { return c.notifyFlags.Load() }
func (c *Config) ProtoMaxBulkLen() int64  { return int64(c.int("proto-max-bulk-len")) }
func (c *Config) QueryBufferLimit() int64 { return int64(c.int("client-query-buffer-limit")) }
func (c *Config) CacheSize() int64        { return int64(c.int("cache-size")) }
func (c *Config) MemTableSize() uint64    { return uint64(c.int("memtable-size")) }

// ValueSeparationMinSize is storage.Options.ValueSeparationMinSize: 0
// when values are not separated.
func (c *Config) ValueSeparationMinSize() int { return c.int("value-separation-min-size") }

// KeyFilterSize is storage.Options.KeyFilterSize: negative when disabled.
func (c *Config) KeyFilterSize() int64 {
	if n := int64(c.int("key-filter-size")); n > 0 {
		return n
	}
	return -1
}

// RowCacheSize is storage.Options.RowCacheSize: negative when disabled.
func (c *Config) RowCacheSize() int64 { return c.cacheSize("row-cache-size") }

// MemberCacheSize is storage.Options.MemberCacheSize: negative when
// disabled.
func (c *Config) MemberCacheSize() int64 { return c.cacheSize("member-cache-size") }

func (c *Config) cacheSize(name string) int64 {
	if n := int64(c.int(name)); n > 0 {
		return n
	}
	return -1
}
func (c *Config) BusyThreshold() time.Duration {
	return time.Duration(c.int("busy-reply-threshold")) * time.Millisecond
}
func (c *Config) LuaMemoryLimit() int64 { return int64(c.int("lua-memory-limit")) }
func (c *Config) SyncPolicy() storage.SyncPolicy {
	p, _ := storage.ParseSyncPolicy(c.Get("appendfsync"))
	return p
}

func (c *Config) int(name string) int {
	n, _ := strconv.Atoi(c.Get(name))
	return n
}

// Validate checks the combination of values after loading.
func (c *Config) Validate() error {
	if n := c.Databases(); n < 1 || n > storage.MaxDatabases {
		return fmt.Errorf("invalid value for 'databases': %d (must be 1 to %d)", n, storage.MaxDatabases)
	}
	if c.Dir() == "" {
		return errors.New("invalid value for 'dir': empty")
	}
	return nil
}

// File is the config file the server started from ("" if none).
func (c *Config) File() string { return c.configFile }

// setListpackLimits hands the hash-max-listpack-*, zset-max-listpack-*
// and set-max-intset-entries limits to storage.
func (s *Server) setListpackLimits() {
	limit := func(name string) int64 {
		n, _ := strconv.ParseInt(s.cfg.Get(name), 10, 64)
		return n
	}
	s.db.SetHashLimits(limit("hash-max-listpack-entries"), limit("hash-max-listpack-value"))
	s.db.SetZSetLimits(limit("zset-max-listpack-entries"), limit("zset-max-listpack-value"))
	s.db.SetSetLimits(limit("set-max-intset-entries"))
}

// applyConfig makes a CONFIG SET take effect. Only moving the listener
// (port, bind) can fail; the error is Redis's text for it.
func (s *Server) applyConfig(name, value string) error {
	switch name {
	case "appendfsync":
		if p, ok := storage.ParseSyncPolicy(value); ok {
			s.db.SetSyncPolicy(p)
		}
	case "proto-max-bulk-len":
		n, _ := strconv.ParseInt(value, 10, 64)
		s.db.SetMaxStringSize(n)
	case "hash-max-listpack-entries", "hash-max-listpack-value", "zset-max-listpack-entries", "zset-max-listpack-value",
		"set-max-intset-entries":
		s.setListpackLimits()
	case "busy-reply-threshold":
		s.scripts.SetBusyThreshold(s.cfg.BusyThreshold())
	case "lua-memory-limit":
		s.scripts.SetMemoryLimit(s.cfg.LuaMemoryLimit())
	case "client-output-buffer-limit":
		s.setOutputLimits(value)
	case "notify-keyspace-events":
		s.setNotifyFlags(s.cfg.NotifyFlags())
	case "slowlog-log-slower-than", "slowlog-max-len":
		s.slowlog.configure(s.cfg)
	case "latency-tracking":
		s.latency.configure(s.cfg)
	case "latency-monitor-threshold":
		s.latmon.configure(s.cfg)
	case "maxmemory", "maxmemory-policy":
		s.setMaxMemory()
		s.access.configure(s.cfg)
	case "lfu-log-factor", "lfu-decay-time":
		s.access.configure(s.cfg)
	case "min-replicas-to-write", "min-replicas-max-lag":
		s.setMinReplicas()
	case "port", "bind":
		return s.relisten(name)
	case "requirepass":
		s.acl.setRequirePass(value)
	case "tracking-table-max-keys":
		s.setTrackingMaxKeys()
	}
	return nil
}
