//go:build !linux

package taxii

func threadCPU() (int64, bool) { return 0, false }
