package server

import "golang.org/x/sys/unix"

// disableTHP turns transparent huge pages off for the process, as Redis
// does under disable-thp yes (its default): with THP set to "always", the
// kernel's compaction of huge pages causes latency spikes, and the latency
// doctor advises against them.
func disableTHP() error {
	return unix.Prctl(unix.PR_SET_THP_DISABLE, 1, 0, 0, 0)
}
