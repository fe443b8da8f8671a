// Package benchcpu runs benchmark loops that report the CPU time of the benchmark's own OS
// thread beside wall time. The machines the benchmarks run on are often shared, which
// inflates wall time but not the thread's CPU time.
package benchcpu

import (
	"runtime"
	"testing"
)

// Loop runs f(i) for i = 0, 1, … under b.Loop on one locked OS thread, reports allocations
// and, where the platform tells it, the thread's CPU time per operation as "cpu-ns/op". It
// returns the number of iterations, for callers that report rates of their own.
func Loop(b *testing.B, f func(i int)) int {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ReportAllocs()
	start, ok := threadNanos()
	n := 0
	for b.Loop() {
		f(n)
		n++
	}
	if end, ok2 := threadNanos(); ok && ok2 && n > 0 {
		b.ReportMetric(float64(end-start)/float64(n), "cpu-ns/op")
	}
	return n
}
