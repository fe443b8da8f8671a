package benchcpu_test

import (
	"testing"

	"github.com/ctifeed/ctifeed/internal/benchcpu"
)

func BenchmarkLoop(b *testing.B) {
	sum := 0
	n := benchcpu.Loop(b, func(i int) { sum += i })
	if n != b.N {
		b.Fatalf("Loop ran %d iterations, b.N is %d", n, b.N)
	}
}
