//go:build !linux

package stream

func processCPU() (int64, bool) { return 0, false }
