//go:build linux

package stream_test

import "syscall"

// threadCPUNanos returns the CPU time the calling OS thread has used. Benchmarks report it
// beside wall time because the shared machine they run on is often oversubscribed, which
// inflates wall time but not CPU time.
func threadCPUNanos() (int64, bool) {
	const rusageThread = 1 // RUSAGE_THREAD
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0, false
	}
	return ru.Utime.Nano() + ru.Stime.Nano(), true
}
