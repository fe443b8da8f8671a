package taxii

import (
	"syscall"
	"unsafe"
)

// threadCPU returns the CPU time the calling OS thread has used, read from
// CLOCK_THREAD_CPUTIME_ID: exact to the nanosecond, where getrusage counts in scheduler
// ticks, too coarse to time one page.
func threadCPU() (int64, bool) {
	const clockThreadCPUTime = 3 // CLOCK_THREAD_CPUTIME_ID
	var ts syscall.Timespec
	if _, _, errno := syscall.Syscall(syscall.SYS_CLOCK_GETTIME, clockThreadCPUTime, uintptr(unsafe.Pointer(&ts)), 0); errno != 0 {
		return 0, false
	}
	return ts.Nano(), true
}
