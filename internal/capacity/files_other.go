//go:build !unix

package capacity

// probeFiles knows no open-file limit outside Unix (Windows has none that
// matters at these counts).
func probeFiles() (soft, hard uint64) { return 0, 0 }
