//go:build linux

package benchcpu

import "syscall"

// threadNanos returns the CPU time the calling OS thread has used.
func threadNanos() (int64, bool) {
	const rusageThread = 1 // RUSAGE_THREAD
	var ru syscall.Rusage
	if err := syscall.Getrusage(rusageThread, &ru); err != nil {
		return 0, false
	}
	return ru.Utime.Nano() + ru.Stime.Nano(), true
}
