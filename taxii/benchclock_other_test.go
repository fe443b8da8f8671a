//go:build !linux

package taxii

// threadCPU is not known on this platform: paired falls back to wall time.
func threadCPU() (int64, bool) { return 0, false }
