package shape

import (
	"math"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

func mustRate(t *testing.T, spec string) Rate {
	t.Helper()
	r, err := ParseRate(spec)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// all drains a, failing past limit arrivals.
func all(t *testing.T, a *Arrivals, limit int) []time.Duration {
	t.Helper()
	var out []time.Duration
	for {
		at, ok := a.Next()
		if !ok {
			return out
		}
		if out = append(out, at); len(out) > limit {
			t.Fatalf("more than %d arrivals", limit)
		}
	}
}

func TestUniformArrivals(t *testing.T) {
	t.Parallel()
	a := NewArrivals(mustRate(t, "4"), false, 0)
	for k := range 9 {
		at, ok := a.Next()
		if want := time.Duration(k) * 250 * time.Millisecond; !ok || at != want {
			t.Fatalf("arrival %d at %v, %t; want %v", k, at, ok, want)
		}
	}
	// A ramp 0→10/s over 10s holds 50 iterations; iteration k is due at √(2k) s.
	got := all(t, NewArrivals(mustRate(t, "stages:10s:10"), false, 0), 100)
	if len(got) != 50 {
		t.Fatalf("%d arrivals, want 50", len(got))
	}
	for k, at := range got {
		if want := time.Duration(math.Round(math.Sqrt(2*float64(k)) * 1e9)); at != want {
			t.Errorf("arrival %d at %v, want %v", k, at, want)
		}
	}
	a = NewArrivals(mustRate(t, "stages:1s:1"), false, 0)
	all(t, a, 1)
	if _, ok := a.Next(); ok {
		t.Error("Next after the end is ok")
	}
}

// TestShareUnion checks that n workers' shares together are exactly the
// full schedule, uniform and Poisson, for several n.
func TestShareUnion(t *testing.T) {
	t.Parallel()
	for _, spec := range []string{"stages:start=5,10s:100,5s:100,10s:0", "stages:20s:37"} {
		for _, poisson := range []bool{false, true} {
			full := NewArrivals(mustRate(t, spec), poisson, 42)
			want := all(t, full, 1e5)
			for _, n := range []int{1, 2, 3, 7} {
				var union []time.Duration
				for i := range n {
					share, err := full.Share(i, n)
					if err != nil {
						t.Fatal(err)
					}
					got := all(t, share, 1e5)
					for j, at := range got {
						if want[i+j*n] != at {
							t.Fatalf("%s poisson=%t: worker %d/%d arrival %d at %v, want %v", spec, poisson, i, n, j, at, want[i+j*n])
						}
					}
					union = append(union, got...)
				}
				slices.Sort(union)
				if !slices.Equal(union, want) {
					t.Errorf("%s poisson=%t n=%d: union of %d shares differs from the %d full arrivals", spec, poisson, n, len(union), len(want))
				}
			}
		}
	}
}

func TestShareErrors(t *testing.T) {
	t.Parallel()
	a := NewArrivals(mustRate(t, "1"), false, 0)
	for _, in := range [][2]int{{0, 0}, {-1, 2}, {2, 2}} {
		if _, err := a.Share(in[0], in[1]); err == nil {
			t.Errorf("Share(%d, %d) is ok", in[0], in[1])
		}
	}
	if _, err := a.Share(2, 2); err == nil || err.Error() != "share 2 of 2: want 0 ≤ i < n" {
		t.Errorf("Share(2, 2) error = %v", err)
	}
}

// TestPoissonCount checks the number of Poisson arrivals against their
// expectation Count(End): a Poisson count has variance equal to its mean,
// so it is within 4 standard deviations except with probability 6e-5, and
// the seed is fixed so the test is deterministic.
func TestPoissonCount(t *testing.T) {
	t.Parallel()
	for _, spec := range []string{"stages:100s:100", "stages:start=50,30s:300,1m:300,30s:0"} {
		r := mustRate(t, spec)
		mean := r.Count(r.End())
		for seed := range uint64(3) {
			got := all(t, NewArrivals(r, true, seed), 1e6)
			if d := math.Abs(float64(len(got)) - mean); d > 4*math.Sqrt(mean) {
				t.Errorf("%s seed %d: %d arrivals, want %g ± %g", spec, seed, len(got), mean, 4*math.Sqrt(mean))
			}
			if !slices.IsSorted(got) {
				t.Errorf("%s seed %d: arrivals out of order", spec, seed)
			}
			// First half of the run holds its share of the arrivals too.
			half := r.End() / 2
			n, _ := slices.BinarySearch(got, half)
			if want := r.Count(half); math.Abs(float64(n)-want) > 4*math.Sqrt(want) {
				t.Errorf("%s seed %d: %d arrivals before %v, want %g", spec, seed, n, half, want)
			}
		}
	}
	// Same seed, same schedule; another seed, another one.
	r := mustRate(t, "50")
	a, b, c := NewArrivals(r, true, 7), NewArrivals(r, true, 7), NewArrivals(r, true, 8)
	same, differ := true, false
	for range 100 {
		x, _ := a.Next()
		y, _ := b.Next()
		z, _ := c.Next()
		same = same && x == y
		differ = differ || x != z
	}
	if !same || !differ {
		t.Errorf("same seed same schedule: %t; other seed differs: %t", same, differ)
	}
}

// TestPacing runs a pacing loop over a fake clock: each iteration starts
// exactly at its intended instant, for a constant rate, a ramp and a share.
func TestPacing(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		spec     string
		poisson  bool
		i, n     int
		duration time.Duration
	}{
		{"3", false, 0, 1, 10 * time.Second},
		{"stages:10s:50,10s:0", false, 0, 1, time.Minute},
		{"stages:10s:50,10s:0", true, 1, 3, time.Minute},
	} {
		synctest.Test(t, func(t *testing.T) {
			a := NewArrivals(mustRate(t, tt.spec), tt.poisson, 1)
			a, err := a.Share(tt.i, tt.n)
			if err != nil {
				t.Fatal(err)
			}
			var want []time.Duration
			check, _ := a.Share(tt.i, tt.n)
			for at, ok := check.Next(); ok && at < tt.duration; at, ok = check.Next() {
				want = append(want, at)
			}
			if len(want) < 10 {
				t.Fatalf("%s: only %d arrivals", tt.spec, len(want))
			}

			// The pacer: wait for each intended start, hand the iteration
			// to a worker goroutine, which notes when it started.
			start := time.Now()
			started := make(chan time.Duration, len(want))
			timer := time.NewTimer(0)
			<-timer.C
			for {
				at, ok := a.Next()
				if !ok || at >= tt.duration {
					break
				}
				if wait := at - time.Since(start); wait > 0 {
					timer.Reset(wait)
					<-timer.C
				}
				go func() { started <- time.Since(start) }()
			}
			synctest.Wait()
			close(started)
			var got []time.Duration
			for at := range started {
				got = append(got, at)
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("%s: %d iterations started at %v…, want %d at %v…", tt.spec, len(got), head(got), len(want), head(want))
			}
		})
	}
}

func head(ds []time.Duration) []time.Duration { return ds[:min(len(ds), 5)] }
