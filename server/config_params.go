package server

// This file is a declarative description of every configuration parameter a
// stock Redis 7.0.15 knows about, plus a validator that reproduces what Redis
// does with a CONFIG SET value: which values it accepts, how it normalizes
// them (what a following CONFIG GET prints) and the exact error text it
// replies with.
//
// The table was taken from Redis 7.0.15's src/config.c (static_configs[])
// and checked against a live redis-server 7.0.15 (Debian build, jemalloc,
// TLS compiled in); config_params_test.go repeats that check whenever a
// redis-server binary is available.

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
)

// ParamKind says how a parameter's value is parsed, checked and printed.
// The kinds follow the families of config.c, because each family has its own
// parser and its own error texts.
type ParamKind int

const (
	// paramBool: "yes"/"no", case-insensitive; prints "yes"/"no".
	paramBool ParamKind = iota
	// paramEnum: one of Enum, case-insensitive; prints the table spelling.
	paramEnum
	// paramMultiEnum: a space separated set of Enum flags (Redis'
	// MULTI_ARG enum, only shutdown-on-sigint/-sigterm); prints the set
	// flags in table order.
	paramMultiEnum
	// paramInt: a plain integer (Redis string2ll: no sign '+', no leading
	// zeros, no spaces), bounded by Min..Max.
	paramInt
	// paramMemory: a byte count with an optional unit (b, k, kb, m, mb, g,
	// gb, case-insensitive), bounded by Min..Max; prints plain bytes.
	paramMemory
	// paramPercent: a paramMemory that also accepts "N%" (maxmemory-clients),
	// stored as -N and printed back as "N%".
	paramPercent
	// paramOctal: an octal number (unixsocketperm); prints in octal.
	paramOctal
	// paramString: any string (some names have an extra validity check).
	paramString
	// paramSpecial: a parameter with its own parser in config.c (save,
	// client-output-buffer-limit, oom-score-adj-values,
	// notify-keyspace-events, bind, replicaof, dir,
	// latency-tracking-info-percentiles).
	paramSpecial
)

func (k ParamKind) String() string {
	switch k {
	case paramBool:
		return "bool"
	case paramEnum:
		return "enum"
	case paramMultiEnum:
		return "multi-enum"
	case paramInt:
		return "int"
	case paramMemory:
		return "memory"
	case paramPercent:
		return "memory-or-percent"
	case paramOctal:
		return "octal"
	case paramString:
		return "string"
	case paramSpecial:
		return "special"
	}
	return "ParamKind(" + strconv.Itoa(int(k)) + ")"
}

// ParamDef describes one configuration parameter.
//
// Min and Max are the bounds exactly as config.c stores them: in a signed
// 64-bit field. For parameters whose C type is unsigned (Unsigned is set)
// Redis compares the value as unsigned 64-bit, so Max == -1 there stands for
// 2^64-1 (ULLONG_MAX; maxmemory and cluster-link-sendbuf-limit), the same
// trick config.c uses.
type ParamDef struct {
	Name      string
	Aliases   []string
	Default   string // as CONFIG GET prints it on a fresh Redis 7.0.15
	Kind      ParamKind
	Enum      []string // allowed values for paramEnum / paramMultiEnum, in Redis' order (its error text lists them in this order)
	Min, Max  int64    // for numeric kinds
	Immutable bool     // CONFIG SET replies "can't set immutable config"

	// Fields beyond the basic shape; each models a Redis behaviour the
	// basic shape cannot.

	// Unsigned: the C variable is unsigned (unsigned int, size_t, unsigned
	// long long); bounds are compared as uint64.
	Unsigned bool
	// Protected: PROTECTED_CONFIG (dir, dbfilename). CONFIG SET replies
	// "can't set protected config" unless enable-protected-configs allows
	// it ("yes", or "local" for a local client). enable-protected-configs
	// defaults to "no" and is itself immutable.
	Protected bool
	// Hidden: HIDDEN_CONFIG test/debug knobs. CONFIG GET with a glob pattern
	// (including '*') skips them; CONFIG GET/SET by exact name works.
	Hidden bool
	// Sensitive: SENSITIVE_CONFIG; Redis redacts the value of CONFIG SET
	// from SLOWLOG / MONITOR / the command log.
	Sensitive bool
	// DenyLoading: DENY_LOADING_CONFIG; while the dataset is loading CONFIG
	// SET of it replies with the -LOADING error instead.
	DenyLoading bool
	// ServerSet: the default is not a constant but computed by the running
	// server (dir: the process working directory). Default is "" then.
	ServerSet bool
}

// Error texts shared with Redis. Each is exactly the part Redis puts after
// "ERR CONFIG SET failed (possibly related to argument 'name') - ".
const (
	paramErrImmutable = "can't set immutable config"
	paramErrProtected = "can't set protected config"
)

// paramHaveDefrag mirrors Redis' HAVE_DEFRAG compile switch. Builds that
// use their bundled jemalloc accept "activedefrag yes"; the reference server
// (Debian's redis-server 7.0.15, linked against the system jemalloc) does not
// and replies with the error text in paramBoolCheck. We follow the
// reference server.
var paramHaveDefrag = false

// ParamDefs lists every parameter of Redis 7.0.15, sorted by Name. Aliases
// are not separate entries: CONFIG GET '*' prints each alias as its own
// key with the same value, so '*' prints 192 keys for the 173 non-hidden
// entries here.
var ParamDefs = []ParamDef{
	{Name: "acl-pubsub-default", Default: "resetchannels", Kind: paramEnum, Enum: []string{"allchannels", "resetchannels"}},
	{Name: "aclfile", Default: "", Kind: paramString, Immutable: true},
	{Name: "acllog-max-len", Default: "128", Kind: paramInt, Min: 0, Max: math.MaxInt64},
	{Name: "active-defrag-cycle-max", Default: "25", Kind: paramInt, Min: 1, Max: 99},
	{Name: "active-defrag-cycle-min", Default: "1", Kind: paramInt, Min: 1, Max: 99},
	{Name: "active-defrag-ignore-bytes", Default: "104857600", Kind: paramMemory, Min: 1, Max: math.MaxInt64, Unsigned: true},
	{Name: "active-defrag-max-scan-fields", Default: "1000", Kind: paramInt, Min: 1, Max: math.MaxInt64},
	{Name: "active-defrag-threshold-lower", Default: "10", Kind: paramInt, Min: 0, Max: 1000},
	{Name: "active-defrag-threshold-upper", Default: "100", Kind: paramInt, Min: 0, Max: 1000},
	{Name: "active-expire-effort", Default: "1", Kind: paramInt, Min: 1, Max: 10},
	// activedefrag "yes" is rejected by builds without HAVE_DEFRAG (see paramHaveDefrag).
	{Name: "activedefrag", Default: "no", Kind: paramBool},
	{Name: "activerehashing", Default: "yes", Kind: paramBool},
	{Name: "always-show-logo", Default: "no", Kind: paramBool, Immutable: true},
	{Name: "aof-disable-auto-gc", Default: "no", Kind: paramBool},
	{Name: "aof-load-truncated", Default: "yes", Kind: paramBool},
	{Name: "aof-rewrite-incremental-fsync", Default: "yes", Kind: paramBool},
	{Name: "aof-timestamp-enabled", Default: "no", Kind: paramBool},
	{Name: "aof-use-rdb-preamble", Default: "yes", Kind: paramBool},
	{Name: "aof_rewrite_cpulist", Default: "", Kind: paramString, Immutable: true},
	{Name: "appenddirname", Default: "appendonlydir", Kind: paramString, Immutable: true},
	{Name: "appendfilename", Default: "appendonly.aof", Kind: paramString, Immutable: true},
	{Name: "appendfsync", Default: "everysec", Kind: paramEnum, Enum: []string{"everysec", "always", "no"}},
	// Built-in default; the test server is also started with --appendonly no.
	{Name: "appendonly", Default: "no", Kind: paramBool, DenyLoading: true},
	{Name: "auto-aof-rewrite-min-size", Default: "67108864", Kind: paramMemory, Min: 0, Max: math.MaxInt64},
	{Name: "auto-aof-rewrite-percentage", Default: "100", Kind: paramInt, Min: 0, Max: math.MaxInt32},
	{Name: "bgsave_cpulist", Default: "", Kind: paramString, Immutable: true},
	// Built-in default; the test server runs with --bind 127.0.0.1.
	{Name: "bind", Default: "* -::*", Kind: paramSpecial},
	{Name: "bind-source-addr", Default: "", Kind: paramString},
	{Name: "bio_cpulist", Default: "", Kind: paramString, Immutable: true},
	{Name: "busy-reply-threshold", Aliases: []string{"lua-time-limit"}, Default: "5000", Kind: paramInt, Min: 0, Max: math.MaxInt64},
	{Name: "client-output-buffer-limit", Default: "normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60", Kind: paramSpecial},
	{Name: "client-query-buffer-limit", Default: "1073741824", Kind: paramMemory, Min: 1 << 20, Max: math.MaxInt64, Unsigned: true},
	{Name: "cluster-allow-pubsubshard-when-down", Default: "yes", Kind: paramBool},
	{Name: "cluster-allow-reads-when-down", Default: "no", Kind: paramBool},
	{Name: "cluster-allow-replica-migration", Default: "yes", Kind: paramBool},
	{Name: "cluster-announce-bus-port", Default: "0", Kind: paramInt, Min: 0, Max: 65535},
	{Name: "cluster-announce-hostname", Default: "", Kind: paramString},
	{Name: "cluster-announce-ip", Default: "", Kind: paramString},
	{Name: "cluster-announce-port", Default: "0", Kind: paramInt, Min: 0, Max: 65535},
	{Name: "cluster-announce-tls-port", Default: "0", Kind: paramInt, Min: 0, Max: 65535},
	{Name: "cluster-config-file", Default: "nodes.conf", Kind: paramString, Immutable: true},
	{Name: "cluster-enabled", Default: "no", Kind: paramBool, Immutable: true},
	// Unsigned long long: Max -1 stands for 2^64-1.
	{Name: "cluster-link-sendbuf-limit", Default: "0", Kind: paramMemory, Min: 0, Max: -1, Unsigned: true},
	{Name: "cluster-migration-barrier", Default: "1", Kind: paramInt, Min: 0, Max: math.MaxInt32},
	{Name: "cluster-node-timeout", Default: "15000", Kind: paramInt, Min: 0, Max: math.MaxInt64},
	{Name: "cluster-port", Default: "0", Kind: paramInt, Min: 0, Max: 65535, Immutable: true},
	{Name: "cluster-preferred-endpoint-type", Default: "ip", Kind: paramEnum, Enum: []string{"ip", "hostname", "unknown-endpoint"}},
	{Name: "cluster-replica-no-failover", Aliases: []string{"cluster-slave-no-failover"}, Default: "no", Kind: paramBool},
	{Name: "cluster-replica-validity-factor", Aliases: []string{"cluster-slave-validity-factor"}, Default: "10", Kind: paramInt, Min: 0, Max: math.MaxInt32},
	{Name: "cluster-require-full-coverage", Default: "yes", Kind: paramBool},
	{Name: "crash-log-enabled", Default: "yes", Kind: paramBool},
	{Name: "crash-memcheck-enabled", Default: "yes", Kind: paramBool},
	{Name: "daemonize", Default: "no", Kind: paramBool, Immutable: true},
	{Name: "databases", Default: "16", Kind: paramInt, Min: 1, Max: math.MaxInt32, Immutable: true},
	{Name: "dbfilename", Default: "dump.rdb", Kind: paramString, Protected: true},
	// The getcwd() of the server process: set by the server.
	{Name: "dir", Default: "", Kind: paramSpecial, Protected: true, DenyLoading: true, ServerSet: true},
	{Name: "disable-thp", Default: "yes", Kind: paramBool, Immutable: true},
	{Name: "dynamic-hz", Default: "yes", Kind: paramBool},
	{Name: "enable-debug-command", Default: "no", Kind: paramEnum, Enum: []string{"no", "yes", "local"}, Immutable: true},
	{Name: "enable-module-command", Default: "no", Kind: paramEnum, Enum: []string{"no", "yes", "local"}, Immutable: true},
	{Name: "enable-protected-configs", Default: "no", Kind: paramEnum, Enum: []string{"no", "yes", "local"}, Immutable: true},
	{Name: "hash-max-listpack-entries", Aliases: []string{"hash-max-ziplist-entries"}, Default: "512", Kind: paramInt, Min: 0, Max: math.MaxInt64, Unsigned: true},
	{Name: "hash-max-listpack-value", Aliases: []string{"hash-max-ziplist-value"}, Default: "64", Kind: paramMemory, Min: 0, Max: math.MaxInt64, Unsigned: true},
	{Name: "hll-sparse-max-bytes", Default: "3000", Kind: paramMemory, Min: 0, Max: math.MaxInt64, Unsigned: true},
	// hz is clamped to 1..500 after a SET.
	{Name: "hz", Default: "10", Kind: paramInt, Min: 0, Max: math.MaxInt32},
	{Name: "ignore-warnings", Default: "", Kind: paramString},
	{Name: "io-threads", Default: "1", Kind: paramInt, Min: 1, Max: 128, Immutable: true},
	{Name: "io-threads-do-reads", Default: "no", Kind: paramBool, Immutable: true},
	{Name: "jemalloc-bg-thread", Default: "yes", Kind: paramBool},
	{Name: "key-load-delay", Default: "0", Kind: paramInt, Min: math.MinInt32, Max: math.MaxInt32, Hidden: true},
	{Name: "latency-monitor-threshold", Default: "0", Kind: paramInt, Min: 0, Max: math.MaxInt64},
	{Name: "latency-tracking", Default: "yes", Kind: paramBool},
	{Name: "latency-tracking-info-percentiles", Default: "50 99 99.9", Kind: paramSpecial},
	{Name: "lazyfree-lazy-eviction", Default: "no", Kind: paramBool},
	{Name: "lazyfree-lazy-expire", Default: "no", Kind: paramBool},
	{Name: "lazyfree-lazy-server-del", Default: "no", Kind: paramBool},
	{Name: "lazyfree-lazy-user-del", Default: "no", Kind: paramBool},
	{Name: "lazyfree-lazy-user-flush", Default: "no", Kind: paramBool},
	{Name: "lfu-decay-time", Default: "1", Kind: paramInt, Min: 0, Max: math.MaxInt32},
	{Name: "lfu-log-factor", Default: "10", Kind: paramInt, Min: 0, Max: math.MaxInt32},
	{Name: "list-compress-depth", Default: "0", Kind: paramInt, Min: 0, Max: math.MaxInt32},
	{Name: "list-max-listpack-size", Aliases: []string{"list-max-ziplist-size"}, Default: "-2", Kind: paramInt, Min: math.MinInt32, Max: math.MaxInt32},
	{Name: "loading-process-events-interval-bytes", Default: "2097152", Kind: paramInt, Min: 1024, Max: math.MaxInt32, Hidden: true},
	// logfile "" means log to stdout.
	{Name: "logfile", Default: "", Kind: paramString, Immutable: true},
	{Name: "loglevel", Default: "notice", Kind: paramEnum, Enum: []string{"debug", "verbose", "notice", "warning"}},
	{Name: "masterauth", Default: "", Kind: paramString, Sensitive: true},
	{Name: "masteruser", Default: "", Kind: paramString, Sensitive: true},
	{Name: "maxclients", Default: "10000", Kind: paramInt, Min: 1, Max: math.MaxUint32, Unsigned: true},
	// Unsigned long long: Max -1 stands for 2^64-1.
	{Name: "maxmemory", Default: "0", Kind: paramMemory, Min: 0, Max: -1, Unsigned: true},
	// Percentages are stored negative ("N%" of maxmemory).
	{Name: "maxmemory-clients", Default: "0", Kind: paramPercent, Min: -100, Max: math.MaxInt64},
	{Name: "maxmemory-eviction-tenacity", Default: "10", Kind: paramInt, Min: 0, Max: 100},
	{Name: "maxmemory-policy", Default: "noeviction", Kind: paramEnum, Enum: []string{"volatile-lru", "volatile-lfu", "volatile-random", "volatile-ttl", "allkeys-lru", "allkeys-lfu", "allkeys-random", "noeviction"}},
	{Name: "maxmemory-samples", Default: "5", Kind: paramInt, Min: 1, Max: math.MaxInt32},
	{Name: "min-replicas-max-lag", Aliases: []string{"min-slaves-max-lag"}, Default: "10", Kind: paramInt, Min: 0, Max: math.MaxInt32},
	{Name: "min-replicas-to-write", Aliases: []string{"min-slaves-to-write"}, Default: "0", Kind: paramInt, Min: 0, Max: math.MaxInt32},
	{Name: "no-appendfsync-on-rewrite", Default: "no", Kind: paramBool},
	{Name: "notify-keyspace-events", Default: "", Kind: paramSpecial},
	{Name: "oom-score-adj", Default: "no", Kind: paramEnum, Enum: []string{"no", "yes", "relative", "absolute"}},
	{Name: "oom-score-adj-values", Default: "0 200 800", Kind: paramSpecial},
	// pidfile prints /var/run/redis.pid once a daemonized server writes one.
	{Name: "pidfile", Default: "", Kind: paramString, Immutable: true},
	// Built-in default, the test server runs on a random port.
	{Name: "port", Default: "6379", Kind: paramInt, Min: 0, Max: 65535},
	{Name: "proc-title-template", Default: "{title} {listen-addr} {server-mode}", Kind: paramString},
	{Name: "propagation-error-behavior", Default: "ignore", Kind: paramEnum, Enum: []string{"ignore", "panic", "panic-on-replicas"}},
	{Name: "protected-mode", Default: "yes", Kind: paramBool},
	{Name: "proto-max-bulk-len", Default: "536870912", Kind: paramMemory, Min: 1 << 20, Max: math.MaxInt64},
	{Name: "rdb-del-sync-files", Default: "no", Kind: paramBool},
	{Name: "rdb-key-save-delay", Default: "0", Kind: paramInt, Min: math.MinInt32, Max: math.MaxInt32, Hidden: true},
	{Name: "rdb-save-incremental-fsync", Default: "yes", Kind: paramBool},
	{Name: "rdbchecksum", Default: "yes", Kind: paramBool, Immutable: true},
	{Name: "rdbcompression", Default: "yes", Kind: paramBool},
	// repl-backlog-size is raised to 16384 after a SET.
	{Name: "repl-backlog-size", Default: "1048576", Kind: paramMemory, Min: 1, Max: math.MaxInt64},
	{Name: "repl-backlog-ttl", Default: "3600", Kind: paramInt, Min: 0, Max: math.MaxInt64},
	{Name: "repl-disable-tcp-nodelay", Default: "no", Kind: paramBool},
	{Name: "repl-diskless-load", Default: "disabled", Kind: paramEnum, Enum: []string{"disabled", "on-empty-db", "swapdb"}, DenyLoading: true},
	{Name: "repl-diskless-sync", Default: "yes", Kind: paramBool},
	{Name: "repl-diskless-sync-delay", Default: "5", Kind: paramInt, Min: 0, Max: math.MaxInt32},
	{Name: "repl-diskless-sync-max-replicas", Default: "0", Kind: paramInt, Min: 0, Max: math.MaxInt32},
	{Name: "repl-ping-replica-period", Aliases: []string{"repl-ping-slave-period"}, Default: "10", Kind: paramInt, Min: 1, Max: math.MaxInt32},
	{Name: "repl-timeout", Default: "60", Kind: paramInt, Min: 1, Max: math.MaxInt32},
	{Name: "replica-announce-ip", Aliases: []string{"slave-announce-ip"}, Default: "", Kind: paramString},
	{Name: "replica-announce-port", Aliases: []string{"slave-announce-port"}, Default: "0", Kind: paramInt, Min: 0, Max: 65535},
	{Name: "replica-announced", Default: "yes", Kind: paramBool},
	{Name: "replica-ignore-disk-write-errors", Default: "no", Kind: paramBool},
	{Name: "replica-ignore-maxmemory", Aliases: []string{"slave-ignore-maxmemory"}, Default: "yes", Kind: paramBool},
	{Name: "replica-lazy-flush", Aliases: []string{"slave-lazy-flush"}, Default: "no", Kind: paramBool},
	{Name: "replica-priority", Aliases: []string{"slave-priority"}, Default: "100", Kind: paramInt, Min: 0, Max: math.MaxInt32},
	{Name: "replica-read-only", Aliases: []string{"slave-read-only"}, Default: "yes", Kind: paramBool},
	{Name: "replica-serve-stale-data", Aliases: []string{"slave-serve-stale-data"}, Default: "yes", Kind: paramBool},
	{Name: "replicaof", Aliases: []string{"slaveof"}, Default: "", Kind: paramSpecial, Immutable: true},
	{Name: "requirepass", Default: "", Kind: paramString, Sensitive: true},
	{Name: "sanitize-dump-payload", Default: "no", Kind: paramEnum, Enum: []string{"no", "yes", "clients"}},
	// Built-in default; the test server runs with --save "".
	{Name: "save", Default: "3600 1 300 100 60 10000", Kind: paramSpecial},
	{Name: "server_cpulist", Default: "", Kind: paramString, Immutable: true},
	{Name: "set-max-intset-entries", Default: "512", Kind: paramInt, Min: 0, Max: math.MaxInt64, Unsigned: true},
	{Name: "set-proc-title", Default: "yes", Kind: paramBool, Immutable: true},
	{Name: "shutdown-on-sigint", Default: "default", Kind: paramMultiEnum, Enum: []string{"default", "save", "nosave", "now", "force"}},
	{Name: "shutdown-on-sigterm", Default: "default", Kind: paramMultiEnum, Enum: []string{"default", "save", "nosave", "now", "force"}},
	{Name: "shutdown-timeout", Default: "10", Kind: paramInt, Min: 0, Max: math.MaxInt32},
	{Name: "slowlog-log-slower-than", Default: "10000", Kind: paramInt, Min: -1, Max: math.MaxInt64},
	{Name: "slowlog-max-len", Default: "128", Kind: paramInt, Min: 0, Max: math.MaxInt64},
	{Name: "socket-mark-id", Default: "0", Kind: paramInt, Min: 0, Max: math.MaxUint32, Unsigned: true, Immutable: true},
	{Name: "stop-writes-on-bgsave-error", Default: "yes", Kind: paramBool},
	{Name: "stream-node-max-bytes", Default: "4096", Kind: paramMemory, Min: 0, Max: math.MaxInt64, Unsigned: true},
	{Name: "stream-node-max-entries", Default: "100", Kind: paramInt, Min: 0, Max: math.MaxInt64},
	{Name: "supervised", Default: "no", Kind: paramEnum, Enum: []string{"upstart", "systemd", "auto", "no"}, Immutable: true},
	{Name: "syslog-enabled", Default: "no", Kind: paramBool, Immutable: true},
	{Name: "syslog-facility", Default: "local0", Kind: paramEnum, Enum: []string{"user", "local0", "local1", "local2", "local3", "local4", "local5", "local6", "local7"}, Immutable: true},
	{Name: "syslog-ident", Default: "redis", Kind: paramString, Immutable: true},
	{Name: "tcp-backlog", Default: "511", Kind: paramInt, Min: 0, Max: math.MaxInt32, Immutable: true},
	{Name: "tcp-keepalive", Default: "300", Kind: paramInt, Min: 0, Max: math.MaxInt32},
	{Name: "timeout", Default: "0", Kind: paramInt, Min: 0, Max: math.MaxInt32},
	{Name: "tls-auth-clients", Default: "yes", Kind: paramEnum, Enum: []string{"no", "yes", "optional"}},
	{Name: "tls-ca-cert-dir", Default: "", Kind: paramString},
	{Name: "tls-ca-cert-file", Default: "", Kind: paramString},
	{Name: "tls-cert-file", Default: "", Kind: paramString},
	{Name: "tls-ciphers", Default: "", Kind: paramString},
	{Name: "tls-ciphersuites", Default: "", Kind: paramString},
	{Name: "tls-client-cert-file", Default: "", Kind: paramString},
	{Name: "tls-client-key-file", Default: "", Kind: paramString},
	{Name: "tls-client-key-file-pass", Default: "", Kind: paramString},
	{Name: "tls-cluster", Default: "no", Kind: paramBool},
	{Name: "tls-dh-params-file", Default: "", Kind: paramString},
	{Name: "tls-key-file", Default: "", Kind: paramString},
	{Name: "tls-key-file-pass", Default: "", Kind: paramString},
	{Name: "tls-port", Default: "0", Kind: paramInt, Min: 0, Max: 65535},
	{Name: "tls-prefer-server-ciphers", Default: "no", Kind: paramBool},
	{Name: "tls-protocols", Default: "", Kind: paramString},
	{Name: "tls-replication", Default: "no", Kind: paramBool},
	{Name: "tls-session-cache-size", Default: "20480", Kind: paramInt, Min: 0, Max: math.MaxInt32},
	{Name: "tls-session-cache-timeout", Default: "300", Kind: paramInt, Min: 0, Max: math.MaxInt32},
	{Name: "tls-session-caching", Default: "yes", Kind: paramBool},
	{Name: "tracking-table-max-keys", Default: "1000000", Kind: paramInt, Min: 0, Max: math.MaxInt64, Unsigned: true},
	{Name: "unixsocket", Default: "", Kind: paramString, Immutable: true},
	{Name: "unixsocketperm", Default: "0", Kind: paramOctal, Min: 0, Max: 0o777, Unsigned: true, Immutable: true},
	{Name: "use-exit-on-panic", Default: "no", Kind: paramBool, Hidden: true},
	{Name: "watchdog-period", Default: "0", Kind: paramInt, Min: 0, Max: math.MaxInt32, Hidden: true},
	{Name: "zset-max-listpack-entries", Aliases: []string{"zset-max-ziplist-entries"}, Default: "128", Kind: paramInt, Min: 0, Max: math.MaxInt64, Unsigned: true},
	{Name: "zset-max-listpack-value", Aliases: []string{"zset-max-ziplist-value"}, Default: "64", Kind: paramMemory, Min: 0, Max: math.MaxInt64, Unsigned: true},
}

// paramIndex maps every lower-cased name and alias to its entry. Redis keeps
// its config dictionary case-insensitive, so CONFIG SET/GET accept any case.
var paramIndex = func() map[string]*ParamDef {
	m := make(map[string]*ParamDef, len(ParamDefs)*2)
	for i := range ParamDefs {
		d := &ParamDefs[i]
		m[paramLowerASCII(d.Name)] = d
		for _, a := range d.Aliases {
			m[paramLowerASCII(a)] = d
		}
	}
	return m
}()

// ParamLookup finds a parameter by name or alias, ignoring ASCII case like
// Redis does. It returns nil for unknown names.
func ParamLookup(name string) *ParamDef {
	return paramIndex[paramLowerASCII(name)]
}

// ParamArgName returns the name Redis reports in "possibly related to
// argument '...'" when the *value* of a CONFIG SET is rejected. Redis
// prints the spelling it registered, not what the client typed: the alias
// when an alias was used (CONFIG SET HASH-MAX-ZIPLIST-ENTRIES x names
// 'hash-max-ziplist-entries'), the canonical name otherwise. For the
// immutable/protected errors Redis instead echoes the name exactly as typed.
func ParamArgName(def *ParamDef, typed string) string {
	for _, a := range def.Aliases {
		if paramEqualFoldASCII(a, typed) {
			return a
		}
	}
	return def.Name
}

// ParamCheckSettable reports whether CONFIG SET may change def at all.
// Redis checks this for every name of a CONFIG SET before it looks at any
// value, so a multi-pair CONFIG SET should run this over all pairs first.
// Protected parameters are refused here because enable-protected-configs
// defaults to "no"; a server that allows them should skip this for them.
func ParamCheckSettable(def *ParamDef) error {
	if def.Immutable {
		return errors.New(paramErrImmutable)
	}
	if def.Protected {
		return errors.New(paramErrProtected)
	}
	return nil
}

// ParamValidate checks and normalizes a CONFIG SET value for def the way
// Redis 7.0 does, returning the value CONFIG GET would then print (e.g.
// memory "1gb" -> "1073741824", bool "YES" -> "yes"), or an error whose text
// is exactly the part Redis puts after
// "ERR CONFIG SET failed (possibly related to argument 'name') - ".
//
// It assumes the parameter currently holds def.Default, which only matters
// for client-output-buffer-limit (a SET changes only the classes it names)
// and relative paths for dir; use ParamNormalize to pass the current value.
func ParamValidate(def *ParamDef, value string) (string, error) {
	if err := ParamCheckSettable(def); err != nil {
		return "", err
	}
	return ParamNormalize(def, def.Default, value)
}

// ParamNormalize is ParamValidate without the immutable/protected check,
// against the parameter's current value (what CONFIG GET prints now). It is
// also what a config file or command line value goes through in Redis.
func ParamNormalize(def *ParamDef, current, value string) (string, error) {
	switch def.Kind {
	case paramBool:
		return paramBoolCheck(def, value)
	case paramEnum:
		return paramEnumCheck(def, value)
	case paramMultiEnum:
		return paramMultiEnumCheck(def, value)
	case paramInt, paramMemory, paramPercent, paramOctal:
		return paramNumericCheck(def, value)
	case paramString:
		return paramStringCheck(def, value)
	case paramSpecial:
		return paramSpecialCheck(def, current, value)
	}
	return "", fmt.Errorf("unknown parameter kind %v", def.Kind)
}

// ---- bool / enum -----------------------------------------------------------

func paramBoolCheck(def *ParamDef, value string) (string, error) {
	// yesnotoi() uses strcasecmp on a C string.
	v := paramCStr(value)
	var yes bool
	switch {
	case paramEqualFoldASCII(v, "yes"):
		yes = true
	case paramEqualFoldASCII(v, "no"):
	default:
		return "", errors.New("argument must be 'yes' or 'no'")
	}
	if yes && def.Name == "activedefrag" && !paramHaveDefrag {
		return "", errors.New("Active defragmentation cannot be enabled: it " +
			"requires a Redis server compiled with a modified Jemalloc " +
			"like the one shipped by default with the Redis source " +
			"distribution")
	}
	if yes {
		return "yes", nil
	}
	return "no", nil
}

func paramEnumError(def *ParamDef) error {
	return errors.New("argument(s) must be one of the following: " + strings.Join(def.Enum, ", "))
}

// paramEnumSynonyms lists enum names that share a value with an earlier
// entry; CONFIG GET prints the first name with that value.
var paramEnumSynonyms = map[string]map[string]string{
	"oom-score-adj": {"relative": "yes"},
}

func paramEnumCheck(def *ParamDef, value string) (string, error) {
	// A plain enum takes the whole value as one argument: "no " or
	// "yes no" match nothing.
	v := paramCStr(value)
	for _, e := range def.Enum {
		if paramEqualFoldASCII(v, e) {
			if canon, ok := paramEnumSynonyms[def.Name][e]; ok {
				return canon, nil
			}
			return e, nil
		}
	}
	return "", paramEnumError(def)
}

// paramMultiEnumCheck handles the bit-flag enums: Enum[0] ("default") is
// the zero value and Enum[i] is bit i-1.
func paramMultiEnumCheck(def *ParamDef, value string) (string, error) {
	args := paramSplitArgs(value)
	if len(args) == 0 {
		return "", paramEnumError(def)
	}
	flags := 0
	for _, a := range args {
		a = paramCStr(a)
		matched := false
		for i, e := range def.Enum {
			if paramEqualFoldASCII(a, e) {
				if i > 0 {
					flags |= 1 << (i - 1)
				}
				matched = true
			}
		}
		if !matched {
			return "", paramEnumError(def)
		}
	}
	// isValidShutdownOnSigFlags: SHUTDOWN_SAVE is bit 0, SHUTDOWN_NOSAVE bit 1.
	if strings.HasPrefix(def.Name, "shutdown-on-sig") && flags&1 != 0 && flags&2 != 0 {
		return "", errors.New("shutdown options SAVE and NOSAVE can't be used simultaneously")
	}
	if flags == 0 {
		return def.Enum[0], nil
	}
	var names []string
	for i := 1; i < len(def.Enum); i++ {
		if flags&(1<<(i-1)) != 0 {
			names = append(names, def.Enum[i])
		}
	}
	return strings.Join(names, " "), nil
}

// ---- numbers ---------------------------------------------------------------

func paramNumericCheck(def *ParamDef, value string) (string, error) {
	v, err := paramParseNumber(def, value)
	if err != nil {
		return "", err
	}
	if err := paramCheckBounds(def, v); err != nil {
		return "", err
	}
	// Apply functions that rewrite the stored value after a SET.
	switch def.Name {
	case "hz": // updateHZ clamps to CONFIG_MIN_HZ..CONFIG_MAX_HZ.
		v = min(max(v, 1), 500)
	case "repl-backlog-size": // resizeReplicationBacklog enforces 16k.
		v = max(v, 16*1024)
	}
	return paramFormatNumber(def, v), nil
}

// paramParseNumber follows numericParseString(): memory first, then
// percent, then octal, and a plain integer only for parameters that have
// none of those flags.
func paramParseNumber(def *ParamDef, value string) (int64, error) {
	if def.Kind == paramMemory || def.Kind == paramPercent {
		if u, ok := paramMemtoull(value); ok {
			return int64(u), nil // C stores the unsigned result in a long long
		}
	}
	if def.Kind == paramPercent && len(value) > 1 && value[len(value)-1] == '%' {
		if v, ok := paramString2ll(value[:len(value)-1]); ok && v >= 0 {
			return -v, nil // percentages are stored negated
		}
	}
	if def.Kind == paramOctal {
		if v, rest, overflow := paramStrtoll(paramCStr(value), 8); !overflow && rest == "" {
			return v, nil
		}
	}
	if def.Kind == paramInt {
		if v, ok := paramString2ll(value); ok {
			return v, nil
		}
	}
	switch def.Kind {
	case paramPercent:
		return 0, errors.New("argument must be a memory or percent value")
	case paramMemory:
		return 0, errors.New("argument must be a memory value")
	case paramOctal:
		return 0, errors.New("argument couldn't be parsed as an octal number")
	}
	return 0, errors.New("argument couldn't be parsed into an integer")
}

func paramCheckBounds(def *ParamDef, v int64) error {
	if def.Unsigned {
		u, lo, hi := uint64(v), uint64(def.Min), uint64(def.Max)
		if u > hi || u < lo {
			if def.Kind == paramOctal {
				return fmt.Errorf("argument must be between %o and %o inclusive", lo, hi)
			}
			return fmt.Errorf("argument must be between %d and %d inclusive", lo, hi)
		}
		return nil
	}
	if def.Kind == paramPercent && v < 0 {
		if v < def.Min {
			return fmt.Errorf("percentage argument must be less or equal to %d", -def.Min)
		}
		return nil
	}
	if v > def.Max || v < def.Min {
		return fmt.Errorf("argument must be between %d and %d inclusive", def.Min, def.Max)
	}
	return nil
}

// paramFormatNumber follows numericConfigGet().
func paramFormatNumber(def *ParamDef, v int64) string {
	switch {
	case def.Kind == paramPercent && v < 0:
		return strconv.FormatInt(-v, 10) + "%"
	case def.Kind == paramMemory || def.Kind == paramPercent:
		return strconv.FormatUint(uint64(v), 10) // ull2string
	case def.Kind == paramOctal:
		return strconv.FormatUint(uint64(v), 8) // %llo
	}
	return strconv.FormatInt(v, 10)
}

// paramMemtoull is Redis' memtoull(): digits followed by an optional unit.
// Its quirks are kept on purpose because CONFIG GET shows them: an empty
// number means 0 ("" and "mb" are both 0), an overflowing number saturates
// at 2^64-1 and the unit multiplication wraps around.
func paramMemtoull(s string) (uint64, bool) {
	s = paramCStr(s)
	if strings.HasPrefix(s, "-") {
		return 0, false
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	var mul uint64
	switch u := s[i:]; {
	case u == "" || paramEqualFoldASCII(u, "b"):
		mul = 1
	case paramEqualFoldASCII(u, "k"):
		mul = 1000
	case paramEqualFoldASCII(u, "kb"):
		mul = 1024
	case paramEqualFoldASCII(u, "m"):
		mul = 1000 * 1000
	case paramEqualFoldASCII(u, "mb"):
		mul = 1024 * 1024
	case paramEqualFoldASCII(u, "g"):
		mul = 1000 * 1000 * 1000
	case paramEqualFoldASCII(u, "gb"):
		mul = 1024 * 1024 * 1024
	default:
		return 0, false
	}
	if i >= 128 { // the digits must fit Redis' 128 byte buffer
		return 0, false
	}
	var val uint64
	for _, c := range s[:i] {
		d := uint64(c - '0')
		if val > (math.MaxUint64-d)/10 {
			val = math.MaxUint64 // strtoull saturates (ERANGE is ignored)
			break
		}
		val = val*10 + d
	}
	return val * mul, true
}

// paramString2ll is Redis' string2ll(): an optional '-', then either "0" or
// a digit 1-9 followed by digits, fitting a signed 64-bit integer, at most
// 20 bytes long. No '+', spaces or leading zeros.
func paramString2ll(s string) (int64, bool) {
	if len(s) == 0 || len(s) >= 21 {
		return 0, false
	}
	if s == "0" {
		return 0, true
	}
	neg := false
	p := s
	if p[0] == '-' {
		neg = true
		p = p[1:]
		if p == "" {
			return 0, false
		}
	}
	if p[0] < '1' || p[0] > '9' {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(p); i++ {
		c := p[i]
		if c < '0' || c > '9' {
			return 0, false
		}
		if v > math.MaxUint64/10 {
			return 0, false
		}
		v *= 10
		if v > math.MaxUint64-uint64(c-'0') {
			return 0, false
		}
		v += uint64(c - '0')
	}
	if neg {
		if v > uint64(math.MaxInt64)+1 {
			return 0, false
		}
		return int64(-v), true
	}
	if v > math.MaxInt64 {
		return 0, false
	}
	return int64(v), true
}

// paramStrtoll is C strtoll() on a NUL-free string: leading white space, a
// sign, then digits in base. It returns the unparsed rest (the whole input if
// no digit was found, like endptr) and whether the value overflowed (it is
// then clamped, as strtoll does).
func paramStrtoll(s string, base int) (v int64, rest string, overflow bool) {
	i := 0
	for i < len(s) && paramIsSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var acc uint64
	limit := uint64(math.MaxInt64)
	if neg {
		limit++
	}
	for i < len(s) {
		d := int(s[i] - '0')
		if s[i] < '0' || d >= base || d > 9 {
			break
		}
		if !overflow {
			if acc > (limit-uint64(d))/uint64(base) {
				overflow = true
			} else {
				acc = acc*uint64(base) + uint64(d)
			}
		}
		i++
	}
	if i == start {
		return 0, s, false
	}
	switch {
	case overflow && neg:
		return math.MinInt64, s[i:], true
	case overflow:
		return math.MaxInt64, s[i:], true
	case neg:
		return int64(-acc), s[i:], false
	}
	return int64(acc), s[i:], false
}

// ---- strings ---------------------------------------------------------------

func paramStringCheck(def *ParamDef, value string) (string, error) {
	// masterauth and requirepass are sds (binary safe); every other string
	// parameter is a C string, so Redis keeps only the part before a NUL.
	if def.Name != "masterauth" && def.Name != "requirepass" {
		value = paramCStr(value)
	}
	switch def.Name {
	case "dbfilename":
		if strings.ContainsAny(value, "/\\") {
			return "", errors.New("dbfilename can't be a path, just a filename")
		}
	case "appendfilename":
		if value == "" {
			return "", errors.New("appendfilename can't be empty")
		}
		if strings.ContainsAny(value, "/\\") {
			return "", errors.New("appendfilename can't be a path, just a filename")
		}
	case "appenddirname":
		if value == "" {
			return "", errors.New("appenddirname can't be empty")
		}
		if strings.ContainsAny(value, "/\\") {
			return "", errors.New("appenddirname can't be a path, just a dirname")
		}
	case "cluster-announce-hostname":
		if len(value) >= 256 {
			return "", errors.New("Hostnames must be less than 256 characters")
		}
		for i := 0; i < len(value); i++ {
			c := value[i]
			if !(c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '.') {
				return "", errors.New("Hostnames may only contain alphanumeric characters, hyphens or dots")
			}
		}
	case "proc-title-template":
		if !paramValidProcTitleTemplate(value) {
			return "", errors.New("template format is invalid or contains unknown variables")
		}
	}
	return value, nil
}

// paramValidProcTitleTemplate follows validateProcTitleTemplate(): the
// template is expanded with an empty {title} and must parse and must not
// expand to only spaces. Redis expands the other variables from the live
// server; we assume a standalone server ({server-mode} is empty) without a
// unix socket ({unixsocket} is empty). {listen-addr}, {port}, {tls-port}
// and {config-file} never expand to nothing.
func paramValidProcTitleTemplate(t string) bool {
	var res strings.Builder
	p := t
	for p != "" {
		i := strings.IndexByte(p, '{')
		if i < 0 {
			res.WriteString(p)
			break
		}
		res.WriteString(p[:i])
		sv := p[i+1:]
		if sv == "" {
			return false // premature end of template
		}
		if sv[0] == '{' { // "{{" is a quoted '{'
			res.WriteByte('{')
			p = sv[1:]
			continue
		}
		e := strings.IndexByte(sv, '}')
		if e < 0 {
			return false
		}
		switch sv[:e] {
		case "title", "server-mode", "unixsocket":
		case "listen-addr", "port", "tls-port", "config-file":
			res.WriteByte('x')
		default:
			return false
		}
		p = sv[e+1:]
	}
	return strings.Trim(res.String(), " ") != ""
}

// ---- special parameters ----------------------------------------------------

func paramSpecialCheck(def *ParamDef, current, value string) (string, error) {
	switch def.Name {
	case "save":
		return paramSaveCheck(value)
	case "client-output-buffer-limit":
		return paramOutputBufferLimitCheck(current, value)
	case "oom-score-adj-values":
		return paramOOMValuesCheck(value)
	case "notify-keyspace-events":
		return paramNotifyCheck(value)
	case "bind":
		args := paramSplitArgs(value)
		if len(args) > 16 { // CONFIG_BINDADDR_MAX
			return "", errors.New("Too many bind addresses specified.")
		}
		for i := range args {
			args[i] = paramCStr(args[i])
		}
		return strings.Join(args, " "), nil
	case "replicaof":
		return paramReplicaofCheck(value)
	case "latency-tracking-info-percentiles":
		return paramPercentilesCheck(value)
	case "dir":
		return paramDirCheck(current, value)
	}
	return "", fmt.Errorf("no parser for special parameter %q", def.Name)
}

// paramSaveCheck follows setConfigSaveOption()/getConfigSaveOption():
// pairs of "seconds changes", seconds >= 1, changes >= 0, parsed with
// strtoll (so "+5" is fine and an empty token is 0). The changes count is
// stored in a C int, so it prints truncated to 32 bits.
func paramSaveCheck(value string) (string, error) {
	args := paramSplitArgs(value)
	if len(args) == 1 && args[0] == "" {
		args = nil
	}
	bad := errors.New("Invalid save parameters")
	if len(args)%2 != 0 {
		return "", bad
	}
	vals := make([]int64, len(args))
	for j, a := range args {
		v, rest, _ := paramStrtoll(paramCStr(a), 10)
		if rest != "" || (j%2 == 0 && v < 1) || (j%2 == 1 && v < 0) {
			return "", bad
		}
		vals[j] = v
	}
	out := make([]string, len(vals))
	for j, v := range vals {
		if j%2 == 1 {
			v = int64(int32(v))
		}
		out[j] = strconv.FormatInt(v, 10)
	}
	return strings.Join(out, " "), nil
}

// paramOBufClasses are the client classes CONFIG GET prints, in its order.
var paramOBufClasses = []string{"normal", "slave", "pubsub"}

type paramOBufLimit struct {
	hard, soft uint64
	seconds    int32
}

// paramParseOutputBufferLimit follows updateClientOutputBufferLimit():
// groups of "<class> <hard> <soft> <soft_seconds>", class normal, slave,
// replica (= slave) or pubsub, the limits are memory values and the seconds
// a non-negative strtoll value stored in a C int. Only the named classes
// change.
func paramParseOutputBufferLimit(limits map[string]paramOBufLimit, value string) error {
	args := paramSplitArgs(value)
	if len(args)%4 != 0 {
		return errors.New("Wrong number of arguments in buffer limit configuration.")
	}
	parsed := map[string]paramOBufLimit{}
	for j := 0; j < len(args); j += 4 {
		class := ""
		c := paramCStr(args[j])
		switch {
		case paramEqualFoldASCII(c, "normal"):
			class = "normal"
		case paramEqualFoldASCII(c, "slave"), paramEqualFoldASCII(c, "replica"):
			class = "slave"
		case paramEqualFoldASCII(c, "pubsub"):
			class = "pubsub"
		default: // includes "master", which has no limits
			return errors.New("Invalid client class specified in buffer limit configuration.")
		}
		hard, hardOK := paramMemtoull(args[j+1])
		soft, softOK := paramMemtoull(args[j+2])
		secs, rest, _ := paramStrtoll(paramCStr(args[j+3]), 10)
		if !hardOK || !softOK || int32(secs) < 0 || rest != "" {
			return errors.New("Error in hard, soft or soft_seconds setting in buffer limit configuration.")
		}
		parsed[class] = paramOBufLimit{hard, soft, int32(secs)}
	}
	for k, v := range parsed {
		limits[k] = v
	}
	return nil
}

func paramOutputBufferLimitCheck(current, value string) (string, error) {
	limits := map[string]paramOBufLimit{}
	// Start from the current value (or the default if current is unusable)
	// because a SET only replaces the classes it mentions.
	if paramParseOutputBufferLimit(limits, current) != nil || len(limits) != len(paramOBufClasses) {
		limits = map[string]paramOBufLimit{}
		def := ParamLookup("client-output-buffer-limit")
		_ = paramParseOutputBufferLimit(limits, def.Default)
	}
	if err := paramParseOutputBufferLimit(limits, value); err != nil {
		return "", err
	}
	parts := make([]string, 0, len(paramOBufClasses))
	for _, c := range paramOBufClasses {
		l := limits[c]
		parts = append(parts, fmt.Sprintf("%s %d %d %d", c, l.hard, l.soft, l.seconds))
	}
	return strings.Join(parts, " "), nil
}

func paramOOMValuesCheck(value string) (string, error) {
	args := paramSplitArgs(value)
	if len(args) != 3 { // CONFIG_OOM_COUNT
		return "", errors.New("wrong number of arguments")
	}
	out := make([]string, 3)
	for i, a := range args {
		v, rest, _ := paramStrtoll(paramCStr(a), 10)
		if rest != "" || v < -2000 || v > 2000 {
			return "", errors.New("Invalid oom-score-adj-values, elements must be between -2000 and 2000.")
		}
		out[i] = strconv.FormatInt(v, 10)
	}
	return strings.Join(out, " "), nil
}

// Keyspace notification flags, as in server.h.
const (
	paramNotifyKeyspace = 1 << 0  // K
	paramNotifyKeyevent = 1 << 1  // E
	paramNotifyGeneric  = 1 << 2  // g
	paramNotifyString   = 1 << 3  // $
	paramNotifyList     = 1 << 4  // l
	paramNotifySet      = 1 << 5  // s
	paramNotifyHash     = 1 << 6  // h
	paramNotifyZset     = 1 << 7  // z
	paramNotifyExpired  = 1 << 8  // x
	paramNotifyEvicted  = 1 << 9  // e
	paramNotifyStream   = 1 << 10 // t
	paramNotifyKeyMiss  = 1 << 11 // m (not part of A)
	paramNotifyModule   = 1 << 13 // d
	paramNotifyNew      = 1 << 14 // n (not part of A)
	paramNotifyAll      = paramNotifyGeneric | paramNotifyString | paramNotifyList | paramNotifySet |
		paramNotifyHash | paramNotifyZset | paramNotifyExpired | paramNotifyEvicted |
		paramNotifyStream | paramNotifyModule
)

var paramNotifyChars = map[byte]int{
	'A': paramNotifyAll, 'g': paramNotifyGeneric, '$': paramNotifyString,
	'l': paramNotifyList, 's': paramNotifySet, 'h': paramNotifyHash,
	'z': paramNotifyZset, 'x': paramNotifyExpired, 'e': paramNotifyEvicted,
	'K': paramNotifyKeyspace, 'E': paramNotifyKeyevent, 't': paramNotifyStream,
	'm': paramNotifyKeyMiss, 'd': paramNotifyModule, 'n': paramNotifyNew,
}

// paramNotifyCheck follows keyspaceEventsStringToFlags() and
// keyspaceEventsFlagsToString(). Note the Redis quirk that once all of 'A'
// is set the printed form is "A" and an 'n' flag is no longer shown.
func paramNotifyCheck(value string) (string, error) {
	flags, err := paramNotifyFlags(value)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	if flags&paramNotifyAll == paramNotifyAll {
		b.WriteByte('A')
	} else {
		for _, c := range []struct {
			f  int
			ch byte
		}{
			{paramNotifyGeneric, 'g'}, {paramNotifyString, '$'}, {paramNotifyList, 'l'},
			{paramNotifySet, 's'}, {paramNotifyHash, 'h'}, {paramNotifyZset, 'z'},
			{paramNotifyExpired, 'x'}, {paramNotifyEvicted, 'e'}, {paramNotifyStream, 't'},
			{paramNotifyModule, 'd'}, {paramNotifyNew, 'n'},
		} {
			if flags&c.f != 0 {
				b.WriteByte(c.ch)
			}
		}
	}
	if flags&paramNotifyKeyspace != 0 {
		b.WriteByte('K')
	}
	if flags&paramNotifyKeyevent != 0 {
		b.WriteByte('E')
	}
	if flags&paramNotifyKeyMiss != 0 {
		b.WriteByte('m')
	}
	return b.String(), nil
}

// paramNotifyFlags is keyspaceEventsStringToFlags(): the flag bits of a
// notify-keyspace-events value as given. The server takes its flags from
// here, not from the printed form, which may have lost 'n'.
func paramNotifyFlags(value string) (int, error) {
	v := paramCStr(value)
	flags := 0
	for i := 0; i < len(v); i++ {
		f, ok := paramNotifyChars[v[i]]
		if !ok {
			return 0, errors.New("Invalid event class character. Use 'Ag$lshzxeKEtmdn'.")
		}
		flags |= f
	}
	return flags, nil
}

// paramReplicaofCheck follows setConfigReplicaOfOption(): "no one" clears
// it, otherwise "<host> <port>" with the port parsed by strtol into a C int
// (so it is truncated to 32 bits before the 0..65535 check).
func paramReplicaofCheck(value string) (string, error) {
	args := paramSplitArgs(value)
	if len(args) != 2 {
		return "", errors.New("wrong number of arguments")
	}
	host, port := paramCStr(args[0]), paramCStr(args[1])
	if paramEqualFoldASCII(host, "no") && paramEqualFoldASCII(port, "one") {
		return "", nil
	}
	p, rest, _ := paramStrtoll(port, 10)
	p32 := int32(p)
	if p32 < 0 || p32 > 65535 || rest != "" {
		return "", errors.New("Invalid master port")
	}
	return host + " " + strconv.Itoa(int(p32)), nil
}

// paramPercentilesCheck follows
// setConfigLatencyTrackingInfoPercentilesOutputOption(): every token must
// be a double (Redis string2d) within [0, 100]; printed with "%f" and the
// trailing zeros trimmed.
func paramPercentilesCheck(value string) (string, error) {
	args := paramSplitArgs(value)
	if len(args) == 1 && args[0] == "" {
		args = nil
	}
	out := make([]string, len(args))
	for i, a := range args {
		f, ok := paramString2d(a)
		if !ok {
			return "", errors.New("Invalid latency-tracking-info-percentiles parameters")
		}
		if f > 100.0 || f < 0.0 {
			return "", errors.New("latency-tracking-info-percentiles parameters should sit between [0.0,100.0]")
		}
		s := strconv.FormatFloat(f, 'f', 6, 64)
		if strings.Contains(s, ".") { // trimDoubleString
			s = strings.TrimRight(s, "0")
			s = strings.TrimSuffix(s, ".")
		}
		out[i] = s
	}
	return strings.Join(out, " "), nil
}

// paramString2d is Redis' string2d(): the whole string must be consumed by
// strtod, must not start with white space, must not be NaN, and must not
// overflow or underflow to zero (ERANGE). strtod's grammar is checked by
// hand because strconv.ParseFloat accepts other things (underscores,
// hex without exponent rules differ) and does not report underflow.
func paramString2d(s string) (float64, bool) {
	if s == "" || paramIsSpace(s[0]) {
		return 0, false
	}
	body := s
	sign := ""
	if body[0] == '+' || body[0] == '-' {
		sign, body = body[:1], body[1:]
	}
	lb := paramLowerASCII(body)
	switch lb {
	case "inf", "infinity":
		if sign == "-" {
			return math.Inf(-1), true
		}
		return math.Inf(1), true
	}
	if strings.HasPrefix(lb, "nan") {
		return 0, false // NaN is refused (and "nan(...)" is NaN too)
	}
	hex := strings.HasPrefix(lb, "0x")
	digits := "0123456789"
	expCh := byte('e')
	m := body
	if hex {
		digits = "0123456789abcdefABCDEF"
		expCh = 'p'
		m = body[2:]
	}
	// mantissa: digits [ '.' digits ], at least one digit
	i, nd, nonzero := 0, 0, false
	for ; i < len(m) && strings.IndexByte(digits, m[i]) >= 0; i++ {
		nd++
		nonzero = nonzero || m[i] != '0'
	}
	if i < len(m) && m[i] == '.' {
		i++
		for ; i < len(m) && strings.IndexByte(digits, m[i]) >= 0; i++ {
			nd++
			nonzero = nonzero || m[i] != '0'
		}
	}
	if nd == 0 {
		return 0, false
	}
	mant, exp := m[:i], ""
	if i < len(m) {
		// an exponent must be complete, or strtod stops before it and the
		// string is not fully consumed
		if m[i]|0x20 != expCh {
			return 0, false
		}
		j := i + 1
		if j < len(m) && (m[j] == '+' || m[j] == '-') {
			j++
		}
		k := j
		for k < len(m) && m[k] >= '0' && m[k] <= '9' {
			k++
		}
		if k == j || k != len(m) {
			return 0, false
		}
		exp = m[i+1:]
	}
	var lit string
	if hex {
		if exp == "" {
			exp = "0"
		}
		lit = sign + "0x" + mant + "p" + exp
	} else {
		lit = sign + mant
		if exp != "" {
			lit += "e" + exp
		}
	}
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil || math.IsInf(f, 0) {
		return 0, false // overflow: HUGE_VAL with ERANGE
	}
	if f == 0 && nonzero {
		return 0, false // underflow to zero: ERANGE
	}
	return f, true
}

// paramDirCheck follows setConfigDirOption(): Redis chdir()s into the
// directory and CONFIG GET prints getcwd(), i.e. the absolute path with
// symlinks resolved. Relative paths are taken relative to current (the
// server's dir) when it is absolute. Errors are strerror() texts.
func paramDirCheck(current, value string) (string, error) {
	p := paramCStr(value)
	if p == "" {
		return "", errors.New(paramStrerror(syscall.ENOENT))
	}
	if !filepath.IsAbs(p) && filepath.IsAbs(current) {
		p = filepath.Join(current, p)
	}
	abs, err := filepath.Abs(p)
	if err == nil {
		var st os.FileInfo
		if st, err = os.Stat(abs); err == nil {
			if !st.IsDir() {
				return "", errors.New(paramStrerror(syscall.ENOTDIR))
			}
			if abs, err = filepath.EvalSymlinks(abs); err == nil {
				return abs, nil
			}
		}
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return "", errors.New(paramStrerror(errno))
	}
	return "", err
}

// paramStrerror gives glibc's strerror() text, which Go's Errno strings
// (lower case) do not match.
func paramStrerror(e syscall.Errno) string {
	switch e {
	case syscall.ENOENT:
		return "No such file or directory"
	case syscall.ENOTDIR:
		return "Not a directory"
	case syscall.EACCES:
		return "Permission denied"
	case syscall.ENAMETOOLONG:
		return "File name too long"
	case syscall.ELOOP:
		return "Too many levels of symbolic links"
	}
	s := e.Error()
	if s != "" {
		s = strings.ToUpper(s[:1]) + s[1:]
	}
	return s
}

// ---- helpers ---------------------------------------------------------------

// paramSplitArgs splits a MULTI_ARG value like sdssplitlen(value, " "):
// an empty value has no arguments, and every single space separates, so
// "a  b" has an empty middle argument.
func paramSplitArgs(value string) []string {
	if value == "" {
		return nil
	}
	return strings.Split(value, " ")
}

// paramCStr cuts s at the first NUL: the parts of Redis that use C string
// functions (strcasecmp, strtoll, zstrdup, ...) never see past it.
func paramCStr(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

// paramEqualFoldASCII is strcasecmp() == 0: ASCII-only case folding
// (strings.EqualFold would also fold e.g. the Kelvin sign to 'k').
func paramEqualFoldASCII(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		x, y := a[i], b[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

func paramLowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// paramIsSpace is C isspace() in the C locale.
func paramIsSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}
