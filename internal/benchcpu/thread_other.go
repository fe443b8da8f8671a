//go:build !linux

package benchcpu

func threadNanos() (int64, bool) { return 0, false }
