//go:build !linux

package capacity

// probeMemory knows no memory limit outside Linux.
func probeMemory() Limits { return Limits{} }
