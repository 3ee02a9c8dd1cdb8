package scripting

import "runtime/metrics"

// The memory figures the budget is measured with, from runtime/metrics:
// heap objects (live and not yet collected; cheap, always current) and the
// live heap as of the last collection.
var heapMetrics = [2]string{"/memory/classes/heap/objects:bytes", "/gc/heap/live:bytes"}

// readHeap returns the heap-objects and live-heap figures in bytes.
func readHeap() (objects, live uint64) {
	s := [2]metrics.Sample{{Name: heapMetrics[0]}, {Name: heapMetrics[1]}}
	metrics.Read(s[:])
	if s[0].Value.Kind() == metrics.KindUint64 {
		objects = s[0].Value.Uint64()
	}
	if s[1].Value.Kind() == metrics.KindUint64 {
		live = s[1].Value.Uint64()
	}
	return objects, live
}

// readHeapAndGoal returns the heap-objects figure and the collector's
// current heap goal.
func readHeapAndGoal() (objects, goal uint64) {
	s := [2]metrics.Sample{{Name: heapMetrics[0]}, {Name: "/gc/heap/goal:bytes"}}
	metrics.Read(s[:])
	if s[0].Value.Kind() == metrics.KindUint64 {
		objects = s[0].Value.Uint64()
	}
	if s[1].Value.Kind() == metrics.KindUint64 {
		goal = s[1].Value.Uint64()
	}
	return objects, goal
}

// heapInUse is what collectgarbage("count") reports (in bytes).
func heapInUse() uint64 {
	objects, _ := readHeap()
	return objects
}
