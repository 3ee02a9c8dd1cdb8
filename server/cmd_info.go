package server

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"moonstone/storage"
)

// infoSections lists INFO's sections in Redis's order; the default set is
// every section but commandstats and latencystats.
var infoSections = []string{
	"server", "clients", "memory", "persistence", "stats", "replication",
	"cpu", "modules", "commandstats", "errorstats", "latencystats", "cluster", "keyspace", "moonstone",
}

func isDefaultSection(s string) bool { return s != "commandstats" && s != "latencystats" }

func cmdInfo(c *Call) {
	want := map[string]bool{}
	if len(c.Args) == 1 {
		want["default"] = true
	}
	for _, a := range c.Args[1:] {
		want[strings.ToLower(string(a))] = true
	}
	all := want["all"] || want["everything"]
	var b strings.Builder
	for _, sec := range infoSections {
		if !(want[sec] || all || (want["default"] && isDefaultSection(sec))) {
			continue
		}
		if b.Len() > 0 {
			b.WriteString("\r\n")
		}
		c.Srv.writeInfoSection(&b, sec)
	}
	c.r.Verbatim("txt", b.String())
}

func (s *Server) writeInfoSection(b *strings.Builder, sec string) {
	line := func(format string, args ...any) {
		fmt.Fprintf(b, format, args...)
		b.WriteString("\r\n")
	}
	title := strings.ToUpper(sec[:1]) + sec[1:]
	switch sec {
	case "commandstats", "errorstats", "latencystats":
		title = map[string]string{"commandstats": "Commandstats", "errorstats": "Errorstats", "latencystats": "Latencystats"}[sec]
	case "cpu":
		title = "CPU"
	}
	line("# %s", title)
	uptime := time.Since(s.started)
	switch sec {
	case "server":
		line("redis_version:%s", RedisVersion)
		line("redis_git_sha1:00000000")
		line("redis_git_dirty:0")
		line("redis_build_id:0")
		line("redis_mode:standalone")
		line("moonstone_version:%s", Version)
		line("os:%s %s", runtime.GOOS, runtime.GOARCH)
		line("arch_bits:64")
		line("monotonic_clock:POSIX clock_gettime")
		line("multiplexing_api:epoll")
		line("atomicvar_api:sync/atomic")
		line("gcc_version:0.0.0") // as Redis built without GCC: Moonstone is Go
		line("go_version:%s", runtime.Version())
		line("process_id:%d", os.Getpid())
		line("process_supervised:no")
		line("run_id:%s", s.runID())
		line("tcp_port:%d", s.cfg.Port())
		line("server_time_usec:%d", time.Now().UnixMicro())
		line("uptime_in_seconds:%d", int64(uptime.Seconds()))
		line("uptime_in_days:%d", int64(uptime.Hours()/24))
		line("hz:10")
		line("configured_hz:10")
		line("lru_clock:%d", time.Now().Unix()&((1<<24)-1))
		exe, _ := os.Executable()
		line("executable:%s", exe)
		line("config_file:%s", s.cfg.File())
		line("io_threads_active:0")
	case "clients":
		line("connected_clients:%d", len(s.clients()))
		line("cluster_connections:0")
		line("maxclients:%d", s.cfg.MaxClients())
		line("client_recent_max_input_buffer:0")
		line("client_recent_max_output_buffer:0")
		line("blocked_clients:%d", s.blockedClients())
		line("tracking_clients:%d", s.tracking.clients.Load())
		line("clients_in_timeout_table:0")
	case "memory":
		s.writeInfoMemory(line)
	case "persistence":
		// Redis's fields in Redis's order, then Moonstone's. A checkpoint
		// is an RDB save; the WAL is the AOF, which flushes retire and
		// nothing rewrites; nothing forks and nothing loads at start.
		m := s.db.Pebble().Metrics()
		p := s.persist.info(s)
		line("loading:0")
		line("async_loading:0")
		line("current_cow_peak:0")
		line("current_cow_size:0")
		line("current_cow_size_age:0")
		line("current_fork_perc:0.00")
		line("current_save_keys_processed:0")
		line("current_save_keys_total:0")
		line("rdb_changes_since_last_save:%d", p.changes)
		line("rdb_bgsave_in_progress:%d", p.inProgress)
		line("rdb_last_save_time:%d", p.lastSave)
		line("rdb_last_bgsave_status:%s", p.status)
		line("rdb_last_bgsave_time_sec:%d", p.lastBgSec)
		line("rdb_current_bgsave_time_sec:%d", p.currentBgSec)
		line("rdb_saves:%d", p.saves)
		line("rdb_last_cow_size:0")
		line("rdb_last_load_keys_expired:0")
		line("rdb_last_load_keys_loaded:0")
		line("aof_enabled:1")
		line("aof_rewrite_in_progress:0")
		line("aof_rewrite_scheduled:0")
		line("aof_last_rewrite_time_sec:-1")
		line("aof_current_rewrite_time_sec:-1")
		line("aof_last_bgrewrite_status:ok")
		line("aof_rewrites:0")
		line("aof_rewrites_consecutive_failures:0")
		line("aof_last_write_status:ok")
		line("aof_last_cow_size:0")
		line("module_fork_in_progress:0")
		line("module_fork_last_cow_size:0")
		line("aof_current_size:%d", m.WAL.Size)
		line("aof_base_size:0")
		line("aof_pending_rewrite:0")
		line("aof_buffer_length:0")
		line("aof_pending_bio_fsync:0")
		line("aof_delayed_fsync:0")
		line("moonstone_last_checkpoint_path:%s", p.path)
		line("moonstone_last_checkpoint_duration_ms:%d", p.durationMS)
		line("appendfsync:%s", s.db.SyncPolicy())
		st := s.db.Stats()
		line("wal_commits:%d", st.Commits.Load())
		line("wal_sync_waits:%d", st.SyncWaits.Load())
		line("wal_read_barriers:%d", st.ReadBarriers.Load())
		syncs, usec := s.db.WALSyncs()
		line("wal_fsyncs:%d", syncs)
		line("wal_fsync_usec:%d", usec)
		line("wal_files:%d", m.WAL.Files)
		line("wal_size:%d", m.WAL.Size)
		line("wal_bytes_in:%d", m.WAL.BytesIn)
		line("wal_bytes_written:%d", m.WAL.BytesWritten)
		f := s.db.FaultStats()
		line("moonstone_background_errors:%d", f.BackgroundErrors)
		line("moonstone_last_background_error:%s", strings.NewReplacer("\r", " ", "\n", " ").Replace(f.LastBackgroundError))
		line("moonstone_write_stalls:%d", f.WriteStalls)
		line("moonstone_write_stalled:%d", boolInt(f.Stalled))
	case "stats":
		// Redis's fields in Redis's order; replication, eviction, fork,
		// defrag and I/O-thread figures are zero: Moonstone has
		// none of those (docs/compatibility.md).
		netIn, netOut, reads, writes := s.netTotals()
		ops, inKbps, outKbps := s.instantaneous()
		line("total_connections_received:%d", s.stats.connectionsReceived.Load())
		line("total_commands_processed:%d", s.stats.commandsProcessed.Load())
		line("instantaneous_ops_per_sec:%d", ops)
		line("total_net_input_bytes:%d", netIn)
		line("total_net_output_bytes:%d", netOut)
		line("total_net_repl_input_bytes:0")
		line("total_net_repl_output_bytes:0")
		line("instantaneous_input_kbps:%.2f", inKbps)
		line("instantaneous_output_kbps:%.2f", outKbps)
		line("instantaneous_input_repl_kbps:0.00")
		line("instantaneous_output_repl_kbps:0.00")
		line("rejected_connections:%d", s.stats.rejectedConns.Load())
		line("sync_full:0")
		line("sync_partial_ok:0")
		line("sync_partial_err:0")
		line("expired_keys:%d", s.db.Stats().ExpiredKeys.Load())
		line("expired_stale_perc:0.00")
		line("expired_time_cap_reached_count:0")
		line("expire_cycle_cpu_milliseconds:0")
		line("evicted_keys:0")
		line("evicted_clients:0")
		line("total_eviction_exceeded_time:0")
		line("current_eviction_exceeded_time:0")
		line("keyspace_hits:%d", s.stats.keyspaceHits.Load())
		line("keyspace_misses:%d", s.stats.keyspaceMisses.Load())
		psChannels, psPatterns, psShard := s.pubsubStats()
		line("pubsub_channels:%d", psChannels)
		line("pubsub_patterns:%d", psPatterns)
		line("pubsubshard_channels:%d", psShard)
		line("latest_fork_usec:0")
		line("total_forks:0")
		line("migrate_cached_sockets:%d", s.migrate.cached())
		line("slave_expires_tracked_keys:0")
		line("active_defrag_hits:0")
		line("active_defrag_misses:0")
		line("active_defrag_key_hits:0")
		line("active_defrag_key_misses:0")
		line("total_active_defrag_time:0")
		line("current_active_defrag_time:0")
		tkeys, titems, tprefixes := s.trackingInfo()
		line("tracking_total_keys:%d", tkeys)
		line("tracking_total_items:%d", titems)
		line("tracking_total_prefixes:%d", tprefixes)
		line("unexpected_error_replies:0")
		line("total_error_replies:%d", s.stats.errorReplies.Load())
		line("dump_payload_sanitizations:0")
		line("total_reads_processed:%d", reads)
		line("total_writes_processed:%d", writes)
		line("io_threaded_reads_processed:0")
		line("io_threaded_writes_processed:0")
		line("reply_buffer_shrinks:0")
		line("reply_buffer_expands:0")
	case "replication":
		line("role:master")
		line("connected_slaves:0")
		line("master_failover_state:no-failover")
		line("master_replid:%s", s.replID())
		line("master_replid2:0000000000000000000000000000000000000000")
		line("master_repl_offset:0")
		line("second_repl_offset:-1")
		line("repl_backlog_active:0")
		line("repl_backlog_size:1048576") // Redis's default; no replication
		line("repl_backlog_first_byte_offset:0")
		line("repl_backlog_histlen:0")
	case "cpu":
		var ru syscall.Rusage
		syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
		line("used_cpu_sys:%.6f", tvSeconds(ru.Stime))
		line("used_cpu_user:%.6f", tvSeconds(ru.Utime))
		line("used_cpu_sys_children:0.000000")
		line("used_cpu_user_children:0.000000")
		// Moonstone has no main thread: the whole process's figures.
		line("used_cpu_sys_main_thread:%.6f", tvSeconds(ru.Stime))
		line("used_cpu_user_main_thread:%.6f", tvSeconds(ru.Utime))
	case "modules":
	case "commandstats":
		for _, cmd := range s.allCommands() {
			calls, usec := cmd.stats.calls.Load(), cmd.stats.usec.Load()
			rejected, failed := cmd.stats.rejected.Load(), cmd.stats.failed.Load()
			if calls == 0 && rejected == 0 {
				continue
			}
			per := 0.0
			if calls > 0 {
				per = float64(usec) / float64(calls)
			}
			line("cmdstat_%s:calls=%d,usec=%d,usec_per_call=%.2f,rejected_calls=%d,failed_calls=%d",
				cmd.Name, calls, usec, per, rejected, failed)
		}
	case "errorstats":
		s.stats.mu.Lock()
		codes := make([]string, 0, len(s.stats.perError))
		for code := range s.stats.perError {
			codes = append(codes, code)
		}
		sort.Strings(codes)
		for _, code := range codes {
			line("errorstat_%s:count=%d", code, s.stats.perError[code])
		}
		s.stats.mu.Unlock()
	case "latencystats":
		s.writeInfoLatencyStats(line)
	case "cluster":
		line("cluster_enabled:0")
	case "keyspace":
		for n := 0; n < s.cfg.Databases(); n++ {
			if k := s.db.KeyCount(n); k > 0 {
				line("db%d:keys=%d,expires=%d,avg_ttl=0", n, k, s.db.ExpiresCount(n))
			}
		}
	case "moonstone":
		s.writeMoonstoneInfo(line)
	}
}

// writeMoonstoneInfo is INFO's moonstone section: the store's figures from
// Pebble's metrics, for operators (docs/operations.md lists them).
func (s *Server) writeMoonstoneInfo(line func(format string, args ...any)) {
	m := s.db.Pebble().Metrics()
	total := m.Total()
	line("data_dir:%s", s.cfg.Dir())
	line("pebble_disk_usage:%d", m.DiskSpaceUsage())
	line("pebble_disk_usage_human:%s", humanBytes(int64(m.DiskSpaceUsage())))
	line("pebble_live_sstables:%d", total.TablesCount)
	line("pebble_live_sstables_size:%d", total.TablesSize)
	line("pebble_read_amp:%d", m.ReadAmp())
	line("pebble_l0_files:%d", m.Levels[0].TablesCount)
	line("pebble_l0_sublevels:%d", m.Levels[0].Sublevels)
	line("pebble_wal_files:%d", m.WAL.Files)
	line("pebble_wal_size:%d", m.WAL.Size)
	line("pebble_wal_physical_size:%d", m.WAL.PhysicalSize)
	line("pebble_wal_bytes_in:%d", m.WAL.BytesIn)
	line("pebble_wal_bytes_written:%d", m.WAL.BytesWritten)
	syncs, usec := s.db.WALSyncs()
	line("pebble_wal_fsyncs:%d", syncs)
	line("pebble_wal_fsync_usec:%d", usec)
	line("pebble_memtable_size:%d", m.MemTable.Size)
	line("pebble_memtable_count:%d", m.MemTable.Count)
	for _, c := range []struct {
		name string
		st   storage.RowCacheStats
	}{{"row", s.db.RowCacheStats()}, {"member", s.db.MemberCacheStats()}} {
		line("%s_cache_size:%d", c.name, c.st.Bytes)
		line("%s_cache_max:%d", c.name, c.st.Max)
		line("%s_cache_entries:%d", c.name, c.st.Entries)
		line("%s_cache_hits:%d", c.name, c.st.Hits)
		line("%s_cache_misses:%d", c.name, c.st.Misses)
	}
	keys, members := s.db.KeyFilterStats()
	for _, f := range []struct {
		name string
		st   storage.KeyFilterStats
	}{{"key", keys}, {"member", members}} {
		line("%s_filter_size:%d", f.name, f.st.Bytes)
		line("%s_filter_max:%d", f.name, f.st.Max)
		line("%s_filter_bits_set:%d", f.name, f.st.BitsSet)
		line("%s_filter_absent:%d", f.name, f.st.Absent)
		line("%s_filter_builds:%d", f.name, f.st.Builds)
	}
	line("pebble_block_cache_size:%d", m.BlockCache.Size)
	line("pebble_block_cache_count:%d", m.BlockCache.Count)
	line("pebble_block_cache_hits:%d", m.BlockCache.Hits)
	line("pebble_block_cache_misses:%d", m.BlockCache.Misses)
	line("pebble_flushes:%d", m.Flush.Count)
	line("pebble_flushes_in_progress:%d", m.Flush.NumInProgress)
	line("pebble_compactions:%d", m.Compact.Count)
	line("pebble_compactions_in_progress:%d", m.Compact.NumInProgress)
	line("pebble_compaction_debt:%d", m.Compact.EstimatedDebt)
	line("pebble_compaction_failed:%d", m.Compact.FailedCount)
	line("pebble_bytes_flushed:%d", m.Levels[0].TableBytesFlushed)
	line("pebble_bytes_compacted:%d", total.TableBytesCompacted)
	line("pebble_snapshots:%d", m.Snapshots.Count)
	line("pebble_tombstones:%d", m.Keys.TombstoneCount)
	f := s.db.FaultStats()
	line("pebble_write_stalls:%d", f.WriteStalls)
	line("pebble_write_stalled:%d", boolInt(f.Stalled))
	line("pebble_background_errors:%d", f.BackgroundErrors)
}

func tvSeconds(tv syscall.Timeval) float64 {
	return float64(tv.Sec) + float64(tv.Usec)/1e6
}

func humanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2fG", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.2fM", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.2fK", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%dB", n)
}

// residentBytes reads the process's resident set size from /proc.
func residentBytes() int64 {
	b, err := os.ReadFile("/proc/self/statm")
	if err != nil {
		return 0
	}
	var size, rss int64
	fmt.Sscanf(string(b), "%d %d", &size, &rss)
	return rss * int64(os.Getpagesize())
}

// runID is a stable 40-hex-digit id for this process.
func (s *Server) runID() string {
	return fmt.Sprintf("%040x", s.started.UnixNano())
}

// cmdMoonstoneMetrics is MOONSTONE METRICS: Pebble's own metrics report
// (levels, WAL, flushes, compactions, caches), as Pebble formats it.
func cmdMoonstoneMetrics(c *Call) {
	c.r.BulkString(c.Srv.db.Pebble().Metrics().String())
}

func cmdMoonstoneHelp(c *Call) {
	replyHelp(c, "MOONSTONE",
		"METRICS",
		"    Return Pebble's metrics report: levels, WAL, flushes, compactions, caches.",
	)
}
