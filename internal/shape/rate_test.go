package shape

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestParseRate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec, string string
		end          time.Duration
		at           map[time.Duration]float64
		count        map[time.Duration]float64
	}{
		{"200", "200/s", 0, map[time.Duration]float64{-s: 0, 0: 200, time.Hour: 200}, map[time.Duration]float64{-s: 0, 0: 0, 1500 * time.Millisecond: 300}},
		{" 200 / s ", "200/s", 0, map[time.Duration]float64{0: 200}, map[time.Duration]float64{s: 200}},
		{"1200/m", "1200/m", 0, map[time.Duration]float64{0: 20}, map[time.Duration]float64{time.Minute: 1200}},
		{"0.5/h", "0.5/h", 0, map[time.Duration]float64{0: 0.5 / 3600}, map[time.Duration]float64{4 * time.Hour: 2}},
		{
			"stages:30s:100,1m:100,30s:0", "stages:30s:100,1m:100,30s:0", 2 * time.Minute,
			map[time.Duration]float64{-s: 0, 0: 0, 15 * s: 50, 30 * s: 100, 60 * s: 100, 105 * s: 50, 120 * s: 0, time.Hour: 0},
			map[time.Duration]float64{0: 0, 15 * s: 375, 30 * s: 1500, 90 * s: 7500, 105 * s: 8625, 120 * s: 9000, time.Hour: 9000},
		},
		{
			"stages:start=10,10:30/s,1m:600/m", "stages:start=10,10s:30,1m:600/m", 70 * s,
			map[time.Duration]float64{0: 10, 5 * s: 20, 10 * s: 30, 40 * s: 20, 70*s - 1: 10.000000000333334},
			map[time.Duration]float64{10 * s: 200, 70 * s: 200 + 1200},
		},
		{" stages : start = 1 / m , 1m : 2 / m ", "stages:start=1/m,1m:2/m", time.Minute, map[time.Duration]float64{30 * s: 1.5 / 60}, map[time.Duration]float64{time.Minute: 1.5}},
		{"stages:10s:0,10s:10", "stages:10s:0,10s:10", 20 * s, map[time.Duration]float64{5 * s: 0, 15 * s: 5}, map[time.Duration]float64{10 * s: 0, 20 * s: 50}},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			t.Parallel()
			r, err := ParseRate(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if got := r.String(); got != tt.string {
				t.Errorf("String() = %q, want %q", got, tt.string)
			}
			if got := r.End(); got != tt.end {
				t.Errorf("End() = %v, want %v", got, tt.end)
			}
			for at, want := range tt.at {
				if got := r.At(at); math.Abs(got-want) > 1e-9 {
					t.Errorf("At(%v) = %g, want %g", at, got, want)
				}
			}
			for at, want := range tt.count {
				if got := r.Count(at); math.Abs(got-want) > 1e-9 {
					t.Errorf("Count(%v) = %g, want %g", at, got, want)
				}
			}
		})
	}
}

func TestParseRateErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ spec, want string }{
		{"", `rate "": empty (want a rate like 200/s or stages:duration:rate,...)`},
		{"0", `rate "0": rate is 0`},
		{"-5", `rate "-5": bad rate "-5"`},
		{"fast", `rate "fast": bad rate "fast"`},
		{"5/100ms", `rate "5/100ms": bad rate unit "/100ms" (want /s, /m or /h)`},
		{"5/", `rate "5/": bad rate unit "/" (want /s, /m or /h)`},
		{"1e3", `rate "1e3": bad rate "1e3"`},
		{"2000000000", `rate "2000000000": rate "2000000000" is above 1e+09/s`},
		{"ramp:30s:10", `rate "ramp:30s:10": unknown kind "ramp" (want a rate like 200/s or stages:duration:rate,...)`},
		{"stages:", `rate "stages:": no stages (want duration:rate,...)`},
		{"stages:start=5", `rate "stages:start=5": no stages (want duration:rate,...)`},
		{"stages:start=x,1s:1", `rate "stages:start=x,1s:1": start: bad rate "x"`},
		{"stages:30s:100,1m", `rate "stages:30s:100,1m": stage 2: "1m" is not duration:rate`},
		{"stages:30s:100,1m:1x0", `rate "stages:30s:100,1m:1x0": stage 2: bad rate "1x0"`},
		{"stages:30s:100/d", `rate "stages:30s:100/d": stage 1: bad rate unit "/d" (want /s, /m or /h)`},
		{"stages:0:100", `rate "stages:0:100": stage 1: duration is 0`},
		{"stages:x:100", `rate "stages:x:100": stage 1: bad duration "x"`},
		{"stages:10s:0,5s:0", `rate "stages:10s:0,5s:0": every stage's rate is 0`},
		{"stages:9000h:1,9000h:1", `rate "stages:9000h:1,9000h:1": lasts longer than 10000h`},
	}
	for _, tt := range tests {
		_, err := ParseRate(tt.spec)
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseRate(%q) error = %v\nwant %s", tt.spec, err, tt.want)
		}
	}
}

// TestConstantTimeOf checks that a constant schedule is exact: iteration k
// of N per P is due at k·P/N rounded to the nanosecond, for any k.
func TestConstantTimeOf(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		spec string
		n    int64 // iterations per
		per  int64 // nanoseconds
	}{{"3", 3, 1e9}, {"7/m", 7, 60e9}, {"1000000", 1e6, 1e9}, {"1/h", 1, 3600e9}} {
		r, err := ParseRate(tt.spec)
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range []int64{0, 1, 2, 3, 10, 1e6 + 1, 1e9 + 7, 1<<40 + 1} {
			want := (k*tt.per/tt.n + (k*tt.per%tt.n*2)/tt.n) // round half up
			if k*tt.per/tt.per != k {
				continue // k·P overflows int64: the check itself cannot be exact
			}
			got, ok := r.TimeOf(float64(k))
			if !ok || int64(got) != want {
				t.Errorf("%s: TimeOf(%d) = %d, %t; want %d", tt.spec, k, got, ok, want)
			}
		}
	}
	r, _ := ParseRate("3")
	if got, _ := r.TimeOf(1); got != 333333333 {
		t.Errorf("3/s: TimeOf(1) = %d ns, want 333333333", got)
	}
	if got, _ := r.TimeOf(2); got != 666666667 {
		t.Errorf("3/s: TimeOf(2) = %d ns, want 666666667", got)
	}
	if got, _ := r.TimeOf(3e9); got != 1e18 {
		t.Errorf("3/s: TimeOf(3e9) = %d ns, want 1e18", got)
	}
	if _, ok := r.TimeOf(1e20); ok {
		t.Error("3/s: TimeOf(1e20) is past any representable time but ok")
	}
	half, _ := ParseRate("0.5")
	if got, _ := half.TimeOf(3); got != 6*s {
		t.Errorf("0.5/s: TimeOf(3) = %v, want 6s", got)
	}
}

func TestProfileTimeOf(t *testing.T) {
	t.Parallel()
	r, err := ParseRate("stages:10s:0,10s:10,10s:10,10s:0,10s:0,10s:20")
	if err != nil {
		t.Fatal(err)
	}
	// Count: 0 until 10s, 50 at 20s, 150 at 30s, 200 from 40s to 50s, 300 at 60s.
	sqrt10 := time.Duration(math.Round(math.Sqrt(10) * 1e9))
	tests := []struct {
		n    float64
		want time.Duration // -1: any instant before the end
		ok   bool
	}{
		{-1, 0, false},
		{math.NaN(), 0, false},
		{0, 10 * s, true},        // rate 0 for 10s: the first iteration waits for it to rise
		{5, 10*s + sqrt10, true}, // ramp 0→10/s from 10s: 0.5·x² = 5
		{50, 20 * s, true},       // the ramp's end
		{150, 30 * s, true},      // the hold's end
		{199.999, -1, true},      // just before the ramp down ends
		{200, 50 * s, true},      // rate 0 from 40s to 50s: due when it rises again
		{299.999, -1, true},      // just before the end
		{300, 0, false},          // Count(End)
		{1e9, 0, false},
	}
	for _, tt := range tests {
		got, ok := r.TimeOf(tt.n)
		if ok != tt.ok || tt.want >= 0 && got != tt.want || ok && got >= r.End() {
			t.Errorf("TimeOf(%g) = %v, %t; want %v, %t", tt.n, got, ok, tt.want, tt.ok)
		}
	}
}

// randomRate builds a random profile: up to 8 stages of 1ms–1h with rates
// 0–1000/s (some exactly 0).
func randomRate(rng *rand.Rand) string {
	var parts []string
	if rng.IntN(2) == 0 {
		parts = append(parts, fmt.Sprintf("start=%d", rng.IntN(1000)))
	}
	for range 1 + rng.IntN(8) {
		d := time.Duration(1+rng.Int64N(int64(time.Hour)/int64(time.Millisecond))) * time.Millisecond
		v := rng.Float64() * 1000
		if rng.IntN(4) == 0 {
			v = 0
		}
		parts = append(parts, fmt.Sprintf("%s:%.3f", d, v))
	}
	parts = append(parts, "1s:1") // never all zero
	return "stages:" + strings.Join(parts, ",")
}

// TestCountTimeOfRoundTrip checks TimeOf(Count(t)) = t within 1 µs wherever
// the rate is positive, and Count(TimeOf(n)) = n, over random profiles.
func TestCountTimeOfRoundTrip(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200 {
		spec := randomRate(rng)
		r, err := ParseRate(spec)
		if err != nil {
			t.Fatal(err)
		}
		for range 200 {
			at := time.Duration(rng.Int64N(int64(r.End())))
			if r.At(at) < 1e-3 {
				continue // Count is (nearly) flat: TimeOf jumps to the end of the flat
			}
			got, ok := r.TimeOf(r.Count(at))
			if d := got - at; !ok || d > time.Microsecond || d < -time.Microsecond {
				t.Fatalf("%s: TimeOf(Count(%v) = %v) = %v, %t (rate %g/s)", spec, at, r.Count(at), got, ok, r.At(at))
			}
		}
		for range 200 {
			n := rng.Float64() * r.Count(r.End())
			got, ok := r.TimeOf(n)
			if !ok || got >= r.End() {
				t.Fatalf("%s: TimeOf(%g) = %v, %t", spec, n, got, ok)
			}
			// One nanosecond of rounding is worth at most r·1ns iterations.
			if c := r.Count(got); math.Abs(c-n) > 1e-6*max(1, n*1e-6)+r.At(got)*2e-9 {
				t.Fatalf("%s: Count(TimeOf(%g) = %v) = %g", spec, n, got, c)
			}
		}
	}
}

// TestTimeOfMonotonic checks that a uniform schedule never goes back in
// time and ends when the profile does.
func TestTimeOfMonotonic(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(3, 4))
	for range 20 {
		spec := randomRate(rng)
		r, err := ParseRate(spec)
		if err != nil {
			t.Fatal(err)
		}
		total := r.Count(r.End())
		step := max(1, math.Floor(total/5000))
		prev := time.Duration(-1)
		for k := 0.0; k < total; k += step {
			got, ok := r.TimeOf(k)
			if !ok || got < prev || got >= r.End() {
				t.Fatalf("%s: TimeOf(%g) = %v, %t after %v", spec, k, got, ok, prev)
			}
			prev = got
		}
		if _, ok := r.TimeOf(math.Ceil(total)); ok && math.Ceil(total) >= total {
			t.Fatalf("%s: TimeOf(%g) past Count(End) = %g is ok", spec, math.Ceil(total), total)
		}
	}
}

func TestZeroRate(t *testing.T) {
	t.Parallel()
	var r Rate
	if _, ok := r.TimeOf(0); ok || r.At(0) != 0 || r.Count(s) != 0 || r.End() != 0 || r.String() != "" {
		t.Error("zero Rate is not empty")
	}
}
