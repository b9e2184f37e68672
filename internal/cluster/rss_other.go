//go:build !linux

package cluster

import "runtime"

// rss approximates resident memory with the Go runtime's view.
func rss() int64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.Sys)
}
