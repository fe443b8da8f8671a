//go:build !linux

package access

func threadCPUNanos() (int64, bool) { return 0, false }
