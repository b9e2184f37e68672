// Package cpu measures how busy the load generator's own process is: past
// about 90% of the cores it may use, its timings include its own queueing
// and the numbers are suspect.
package cpu

import (
	"runtime"
	"time"
)

// Meter reports the process's CPU use between two samples.
type Meter struct {
	cores    int
	lastWall time.Time
	lastCPU  time.Duration
	read     func() (time.Duration, bool)
}

// NewMeter starts measuring at now.
func NewMeter(now time.Time) *Meter {
	m := &Meter{cores: min(runtime.GOMAXPROCS(0), runtime.NumCPU()), read: processTime}
	m.lastCPU, _ = m.read()
	m.lastWall = now
	return m
}

// Sample returns the share (0–1) of the usable cores the process used
// since the previous sample, and false where the platform cannot tell.
func (m *Meter) Sample(now time.Time) (float64, bool) {
	cpu, ok := m.read()
	if !ok {
		return 0, false
	}
	wall := now.Sub(m.lastWall)
	used := cpu - m.lastCPU
	m.lastWall, m.lastCPU = now, cpu
	if wall <= 0 || m.cores <= 0 {
		return 0, false
	}
	return used.Seconds() / (wall.Seconds() * float64(m.cores)), true
}

// Cores is the number of cores the process may use.
func (m *Meter) Cores() int { return m.cores }
