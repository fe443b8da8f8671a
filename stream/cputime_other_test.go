//go:build !linux

package stream_test

func threadCPUNanos() (int64, bool) { return 0, false }
