package cpu

import (
	"testing"
	"time"
)

func TestSample(t *testing.T) {
	t.Parallel()
	cpu := 10 * time.Second
	m := &Meter{cores: 2, read: func() (time.Duration, bool) { return cpu, true }}
	start := time.Unix(1000, 0)
	m.lastWall, m.lastCPU = start, cpu
	cpu += 3 * time.Second // 3 CPU-seconds in 2 wall seconds on 2 cores
	got, ok := m.Sample(start.Add(2 * time.Second))
	if !ok || got != 0.75 {
		t.Errorf("Sample = %v, %v; want 0.75, true", got, ok)
	}
	if got, ok := m.Sample(start.Add(2 * time.Second)); ok {
		t.Errorf("zero interval gave %v", got)
	}
}

func TestRealProcess(t *testing.T) {
	t.Parallel()
	m := NewMeter(time.Now())
	deadline := time.Now().Add(50 * time.Millisecond)
	x := 0
	for time.Now().Before(deadline) {
		x++
	}
	got, ok := m.Sample(time.Now())
	if !ok {
		t.Skip("no process CPU time on this platform")
	}
	if got <= 0 || got > 1.5 {
		t.Errorf("busy loop measured %v of the cores", got)
	}
}
