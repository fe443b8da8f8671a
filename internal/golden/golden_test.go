package golden_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/ctifeed/ctifeed/internal/golden"
)

// recorder captures what Check reports.
type recorder struct {
	testing.TB
	errors int
}

func (r *recorder) Helper()                   {}
func (r *recorder) Errorf(string, ...any)     { r.errors++ }
func (r *recorder) Fatalf(f string, a ...any) { r.TB.Fatalf(f, a...) }

func TestCheck(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "out.golden")
	golden.Check(t, path, "first\n", true) // writes, then compares equal
	if b, err := os.ReadFile(path); err != nil || string(b) != "first\n" {
		t.Fatalf("update wrote %q, %v", b, err)
	}
	r := &recorder{TB: t}
	golden.Check(r, path, "first\n", false)
	if r.errors != 0 {
		t.Error("equal output reported as a mismatch")
	}
	golden.Check(r, path, "second\n", false)
	if r.errors != 1 {
		t.Error("different output not reported")
	}
}
