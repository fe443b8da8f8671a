//go:build !linux

package boltstore_test

import (
	"os"
	"testing"
)

// asUnprivileged runs fn; as root, where permissions do not apply, the test skips (only
// Linux can drop them for one thread).
func asUnprivileged(t *testing.T, fn func()) {
	t.Helper()
	if os.Getuid() == 0 {
		t.Skip("running as root: permissions do not apply, and this platform cannot drop them")
	}
	fn()
}
