package boltstore_test

import (
	"os"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// asUnprivileged runs fn with file-permission checks made as user nobody: tests run as
// root in CI, and root may write anywhere. setfsuid changes only this thread, and drops
// the capabilities that bypass permissions while it is not 0.
func asUnprivileged(t *testing.T, fn func()) {
	t.Helper()
	if os.Getuid() != 0 {
		fn()
		return
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	unix.Setfsuid(65534)
	defer unix.Setfsuid(0)
	if got, _ := unix.SetfsuidRetUid(-1); got != 65534 {
		t.Skipf("cannot check permissions as root: setfsuid left the file-system uid at %d", got)
	}
	fn()
}
