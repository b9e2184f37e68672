package herd

import (
	"math/rand/v2"
	"time"
)

// WaitTime decides how long a user pauses after a task. elapsed is the time
// since the user's previous pause ended (the task's own run time), which
// pacing needs. Any function of this type works; it is called from the
// user's goroutine only.
type WaitTime func(elapsed time.Duration) time.Duration

// Between waits a uniformly random time in [lo, hi], like Locust's between.
func Between(lo, hi time.Duration) WaitTime {
	if hi < lo {
		lo, hi = hi, lo
	}
	span := int64(hi - lo)
	return func(time.Duration) time.Duration {
		if span == 0 {
			return lo
		}
		return lo + time.Duration(rand.Int64N(span+1))
	}
}

// Constant always waits d.
func Constant(d time.Duration) WaitTime {
	return func(time.Duration) time.Duration { return d }
}

// ConstantPacing starts a task every interval at most: the pause is the
// interval minus the task's run time, or nothing when the task took longer.
func ConstantPacing(interval time.Duration) WaitTime {
	return func(elapsed time.Duration) time.Duration {
		return max(interval-elapsed, 0)
	}
}

// ConstantThroughput runs at most perSecond tasks a second per user
// (ConstantPacing of 1/perSecond). perSecond must be positive.
func ConstantThroughput(perSecond float64) WaitTime {
	if perSecond <= 0 {
		panic("herd: ConstantThroughput needs a positive rate")
	}
	return ConstantPacing(time.Duration(float64(time.Second) / perSecond))
}
