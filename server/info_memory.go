package server

import (
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// INFO memory: Redis 7.0's fields in its order, then Moonstone's own.
//
// The data set lives on disk, not in the heap, so the figures mean:
// used_memory is the Go heap's live objects (what maxmemory is checked
// against, oom.go), used_memory_startup the same at start-up, and all of it
// is overhead (connections, caches' indexes, scripts); used_memory_dataset
// is 0. The allocator_* fields are the Go heap's: allocated (live
// objects), active (spans in use), resident (obtained from the OS and not
// returned). The caches that hold data are Moonstone's pebble_* fields.
// Replication, AOF buffers, eviction and defragmentation do not exist and
// are 0; the Lua VMs are not measured apart from the heap and are 0 too.
func (s *Server) writeInfoMemory(line func(format string, args ...any)) {
	f := s.memoryFigures()
	used, peak, startup, rss := f.used, f.peak, f.startup, f.rss
	active, resident, total := f.active, f.resident, f.total
	ms := f.ms
	fns := s.scripts.Functions()
	nlibs, nfuncs := fns.Count()
	fnBytes := f.functions
	maxmemory, _ := strconv.ParseInt(s.cfg.Get("maxmemory"), 10, 64)

	line("used_memory:%d", used)
	line("used_memory_human:%s", humanBytes(used))
	line("used_memory_rss:%d", rss)
	line("used_memory_rss_human:%s", humanBytes(rss))
	line("used_memory_peak:%d", peak)
	line("used_memory_peak_human:%s", humanBytes(peak))
	line("used_memory_peak_perc:%s", percent(used, peak))
	line("used_memory_overhead:%d", used)
	line("used_memory_startup:%d", startup)
	line("used_memory_dataset:0")
	line("used_memory_dataset_perc:0.00%%")
	line("allocator_allocated:%d", used)
	line("allocator_active:%d", active)
	line("allocator_resident:%d", resident)
	line("total_system_memory:%d", total)
	line("total_system_memory_human:%s", humanBytes(total))
	line("used_memory_lua:0")
	line("used_memory_vm_eval:0")
	line("used_memory_lua_human:0B")
	line("used_memory_scripts_eval:0")
	line("number_of_cached_scripts:%d", s.scripts.CachedScripts())
	line("number_of_functions:%d", nfuncs)
	line("number_of_libraries:%d", nlibs)
	line("used_memory_vm_functions:0")
	line("used_memory_vm_total:0")
	line("used_memory_vm_total_human:0B")
	line("used_memory_functions:%d", fnBytes)
	line("used_memory_scripts:%d", fnBytes)
	line("used_memory_scripts_human:%s", humanBytes(fnBytes))
	line("maxmemory:%d", maxmemory)
	line("maxmemory_human:%s", humanBytes(maxmemory))
	line("maxmemory_policy:%s", s.cfg.Get("maxmemory-policy"))
	line("allocator_frag_ratio:%s", ratio(active, used))
	line("allocator_frag_bytes:%d", active-used)
	line("allocator_rss_ratio:%s", ratio(resident, active))
	line("allocator_rss_bytes:%d", resident-active)
	line("rss_overhead_ratio:%s", ratio(rss, resident))
	line("rss_overhead_bytes:%d", rss-resident)
	line("mem_fragmentation_ratio:%s", ratio(rss, used))
	line("mem_fragmentation_bytes:%d", rss-used)
	for _, f := range []string{"mem_not_counted_for_evict", "mem_replication_backlog", "mem_total_replication_buffers",
		"mem_clients_slaves", "mem_clients_normal", "mem_cluster_links", "mem_aof_buffer"} {
		line("%s:0", f)
	}
	line("mem_allocator:go-%s", strings.TrimPrefix(runtime.Version(), "go"))
	line("active_defrag_running:0")
	line("lazyfree_pending_objects:0")
	line("lazyfreed_objects:%d", s.stats.lazyfreed.Load())
	m := s.db.Pebble().Metrics()
	line("pebble_block_cache_size:%d", m.BlockCache.Size)
	line("pebble_block_cache_size_human:%s", humanBytes(m.BlockCache.Size))
	line("pebble_block_cache_max:%d", s.cfg.CacheSize())
	line("pebble_memtable_size:%d", m.MemTable.Size)
	line("pebble_memtable_size_human:%s", humanBytes(int64(m.MemTable.Size)))
	line("pebble_memtable_count:%d", m.MemTable.Count)
	line("pebble_memtable_zombie_size:%d", m.MemTable.ZombieSize)
	line("go_heap_alloc:%d", ms.HeapAlloc)
	line("go_heap_sys:%d", ms.HeapSys)
}

// memoryFigures are the memory figures INFO memory and MEMORY STATS and
// DOCTOR share (see writeInfoMemory for what they mean in Moonstone).
type memoryFigures struct {
	used, peak, startup, rss int64
	active, resident, total  int64
	functions                int64
	ms                       runtime.MemStats
}

func (s *Server) memoryFigures() memoryFigures {
	var f memoryFigures
	runtime.ReadMemStats(&f.ms)
	f.used = int64(f.ms.HeapAlloc)
	f.peak = max(f.used, int64(s.peakMemory.Load()))
	f.startup = int64(s.startupMemory)
	f.rss = residentBytes()
	f.active = int64(f.ms.HeapInuse)
	f.resident = int64(f.ms.HeapSys - f.ms.HeapReleased)
	f.total = totalSystemMemory()
	f.functions = int64(s.scripts.Functions().CodeBytes())
	return f
}

// ratio is a/b with two decimals, as Redis prints its memory ratios.
func ratio(a, b int64) string {
	if b <= 0 {
		return "0.00"
	}
	return fmt.Sprintf("%.2f", float64(a)/float64(b))
}

// percent is a/b as a percentage with two decimals.
func percent(a, b int64) string {
	if b <= 0 {
		return "0.00%"
	}
	return fmt.Sprintf("%.2f%%", float64(a)*100/float64(b))
}

// totalSystemMemory is the machine's memory (MemTotal), 0 if unknown.
func totalSystemMemory() int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		return 0
	}
	var kb int64
	if _, err := fmt.Sscanf(string(b), "MemTotal: %d kB", &kb); err != nil {
		return 0
	}
	return kb << 10
}
