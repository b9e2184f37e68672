package shape

import (
	"testing"
	"time"
)

const s = time.Second

// check is one At(elapsed) expectation; ok false means the shape is over.
type check struct {
	at    time.Duration
	users int
	rate  float64
	ok    bool
}

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		spec   string
		string string
		total  time.Duration
		checks []check
	}{
		{
			spec: "stages:30s:100,2m:100,30s:0", string: "stages:30s:100,2m:100,30s:0", total: 3 * time.Minute,
			checks: []check{
				{-s, 100, 100.0 / 30, true},
				{0, 100, 100.0 / 30, true},
				{30*s - 1, 100, 100.0 / 30, true},
				{30 * s, 100, 100.0 / 30, true}, // a hold keeps the rate
				{150*s - 1, 100, 100.0 / 30, true},
				{150 * s, 0, 100.0 / 30, true},
				{180*s - 1, 0, 100.0 / 30, true},
				{180 * s, 0, 0, false},
				{time.Hour, 0, 0, false},
			},
		},
		{
			spec: " stages: 10 : 5 , 1m30s:20:4 ,60:20", string: "stages:10s:5,1m30s:20:4,1m:20", total: 160 * s,
			checks: []check{
				{0, 5, 0.5, true},
				{10 * s, 20, 4, true},
				{100 * s, 20, 4, true},
				{160 * s, 0, 0, false},
			},
		},
		{
			spec: "stages:30s:0,1.5:10", string: "stages:30s:0,1.5s:10", total: 31500 * time.Millisecond,
			checks: []check{{0, 0, 1, true}, {30 * s, 10, 10 / 1.5, true}},
		},
		{ // herd's one duration grammar: a sign, Go units down to ns, hours past a day
			spec: "stages:+1h0m30s:10,250ms:10,36h:0", string: "stages:1h30s:10,250ms:10,36h:0", total: 37*time.Hour + 30250*time.Millisecond,
			checks: []check{{0, 10, 10 / 3630.0, true}, {time.Hour + 30*s, 10, 10 / 3630.0, true}},
		},
		{
			spec: "steps:users=100,step=10,every=30s", string: "steps:users=100,step=10,every=30s", total: 300 * s,
			checks: []check{
				{0, 10, 10, true},
				{30*s - 1, 10, 10, true},
				{30 * s, 20, 10, true},
				{270*s - 1, 90, 10, true},
				{270 * s, 100, 10, true},
				{300*s - 1, 100, 10, true},
				{300 * s, 0, 0, false},
			},
		},
		{
			spec: "steps:every=1m,users=25,step=10,hold=5m,rate=2.5", string: "steps:users=25,step=10,every=1m,hold=5m,rate=2.5", total: 7 * time.Minute,
			checks: []check{
				{0, 10, 2.5, true},
				{time.Minute, 20, 2.5, true},
				{2 * time.Minute, 25, 2.5, true},
				{7*time.Minute - 1, 25, 2.5, true},
				{7 * time.Minute, 0, 0, false},
			},
		},
		{
			spec: "spike:base=10,peak=200,at=1m,ramp=5s,hold=30s,after=1m", string: "spike:base=10,peak=200,at=1m,ramp=5s,hold=30s,after=1m", total: 160 * s,
			checks: []check{
				{0, 10, 38, true},
				{60*s - 1, 10, 38, true},
				{60 * s, 200, 38, true},
				{95*s - 1, 200, 38, true},
				{95 * s, 10, 38, true},
				{160*s - 1, 10, 38, true},
				{160 * s, 0, 0, false},
			},
		},
		{
			spec: "spike:peak=50,hold=10", string: "spike:peak=50,hold=10s", total: 12 * s,
			checks: []check{{0, 50, 50, true}, {11 * s, 0, 50, true}, {12 * s, 0, 0, false}},
		},
		{
			spec: "spike:hold=0,peak=50,rate=5,ramp=1s", string: "spike:peak=50,hold=0s,rate=5", total: 2 * s,
			checks: []check{{0, 50, 5, true}, {s, 0, 5, true}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.spec, func(t *testing.T) {
			t.Parallel()
			sh, err := Parse(tt.spec)
			if err != nil {
				t.Fatal(err)
			}
			if got := sh.String(); got != tt.string {
				t.Errorf("String() = %q, want %q", got, tt.string)
			}
			if got := sh.Total(); got != tt.total {
				t.Errorf("Total() = %v, want %v", got, tt.total)
			}
			for _, c := range tt.checks {
				step, ok := sh.At(c.at)
				if ok != c.ok || step.Users != c.users || step.SpawnRate != c.rate {
					t.Errorf("At(%v) = %+v, %t; want {Users:%d SpawnRate:%g}, %t", c.at, step, ok, c.users, c.rate, c.ok)
				}
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ spec, want string }{
		{"", `shape "": empty (want stages, steps or spike, each followed by ':')`},
		{"ramp:30s:10", `shape "ramp:30s:10": unknown kind "ramp" (want stages, steps or spike)`},
		{"stages", `shape "stages": no stages (want duration:users,...)`},
		{"stages:", `shape "stages:": no stages (want duration:users,...)`},
		{"stages:30s:1x0", `shape "stages:30s:1x0": stage 1: bad user count "1x0"`},
		{"stages:30s:10,1m", `shape "stages:30s:10,1m": stage 2: "1m" is not duration:users or duration:users:rate`},
		{"stages:30s:10,", `shape "stages:30s:10,": stage 2: "" is not duration:users or duration:users:rate`},
		{"stages:30x:10", `shape "stages:30x:10": stage 1: bad duration "30x"`},
		{"stages:-30s:10", `shape "stages:-30s:10": stage 1: negative duration "-30s"`},
		{"stages:0s:10", `shape "stages:0s:10": stage 1: duration is 0`},
		{"stages:30s:-10", `shape "stages:30s:-10": stage 1: bad user count "-10"`},
		{"stages:30s:1.5", `shape "stages:30s:1.5": stage 1: bad user count "1.5"`},
		{"stages:30s:99999999999", `shape "stages:30s:99999999999": stage 1: user count "99999999999" is above 1000000000`},
		{"stages:30s:10:0", `shape "stages:30s:10:0": stage 1: spawn rate "0" is not positive`},
		{"stages:30s:10:fast", `shape "stages:30s:10:fast": stage 1: bad spawn rate "fast"`},
		{"stages:30s:10:1:2", `shape "stages:30s:10:1:2": stage 1: "30s:10:1:2" is not duration:users or duration:users:rate`},
		{"stages:9000h:1,9000h:2", `shape "stages:9000h:1,9000h:2": lasts longer than 10000h`},
		{"stages:inf:1", `shape "stages:inf:1": stage 1: bad duration "inf"`},
		{"stages:-30:10", `shape "stages:-30:10": stage 1: negative duration "-30"`},
		{"stages:1e3:10", `shape "stages:1e3:10": stage 1: bad duration "1e3"`},
		{"stages:10001h:1", `shape "stages:10001h:1": stage 1: duration "10001h" is longer than 10000h`},
		{"stages:9999999999999:1", `shape "stages:9999999999999:1": stage 1: bad duration "9999999999999"`},
		{"steps:users=100,step=10", `shape "steps:users=100,step=10": missing every= (want users=N,step=N,every=DURATION)`},
		{"steps:users=100,step=10,every=30s,wait=1", `shape "steps:users=100,step=10,every=30s,wait=1": unknown option "wait" (want users, step, every, hold or rate)`},
		{"steps:users=100,users=10", `shape "steps:users=100,users=10": option "users" given twice`},
		{"steps:users", `shape "steps:users": "users" is not key=value`},
		{"steps:users=", `shape "steps:users=": option "users" has no value`},
		{"steps:users=0,step=10,every=30s", `shape "steps:users=0,step=10,every=30s": users: must be at least 1`},
		{"steps:users=10,step=0,every=30s", `shape "steps:users=10,step=0,every=30s": step: must be at least 1`},
		{"steps:users=10,step=1,every=0", `shape "steps:users=10,step=1,every=0": every: duration is 0`},
		{"steps:users=10,step=1,every=1,hold=0", `shape "steps:users=10,step=1,every=1,hold=0": hold: duration is 0`},
		{"steps:users=10,step=1,every=1,rate=x", `shape "steps:users=10,step=1,every=1,rate=x": rate: bad spawn rate "x"`},
		{"steps:users=1000000,step=1,every=1", `shape "steps:users=1000000,step=1,every=1": 1000000 steps (at most 10000)`},
		{"spike:peak=10", `shape "spike:peak=10": missing hold= (want peak=N,hold=DURATION)`},
		{"spike:peak=10,base=10,hold=1", `shape "spike:peak=10,base=10,hold=1": peak: 10 is not above base 10`},
		{"spike:peak=10,hold=1,ramp=0", `shape "spike:peak=10,hold=1,ramp=0": ramp: duration is 0`},
		{"spike:peak=10,hold=1,at=soon", `shape "spike:peak=10,hold=1,at=soon": at: bad duration "soon"`},
		{"spike:peak=x,hold=1", `shape "spike:peak=x,hold=1": peak: bad user count "x"`},
	}
	for _, tt := range tests {
		_, err := Parse(tt.spec)
		if err == nil || err.Error() != tt.want {
			t.Errorf("Parse(%q) error = %v\nwant %s", tt.spec, err, tt.want)
		}
	}
}

func TestZeroShape(t *testing.T) {
	t.Parallel()
	var sh Shape
	if _, ok := sh.At(0); ok || sh.Total() != 0 || sh.String() != "" {
		t.Errorf("zero Shape: At(0) ok = %t, Total %v, String %q", ok, sh.Total(), sh.String())
	}
}

// TestRampFinishesInStage checks that a runner ramping at a stage's spawn
// rate (first user at once, then one every 1/rate) reaches the stage's
// target before the stage ends.
func TestRampFinishesInStage(t *testing.T) {
	t.Parallel()
	for _, spec := range []string{"stages:30s:100", "stages:7s:3", "stages:1h:7", "stages:1s:1000,3s:1"} {
		sh, err := Parse(spec)
		if err != nil {
			t.Fatal(err)
		}
		var start time.Duration
		users := 0
		for _, seg := range sh.segs {
			steps := abs(seg.step.Users - users)
			if steps > 0 {
				last := time.Duration(float64(steps-1) / seg.step.SpawnRate * 1e9)
				if start+last >= seg.end {
					t.Errorf("%s: stage ending %v reached only at %v", spec, seg.end, start+last)
				}
			}
			users, start = seg.step.Users, seg.end
		}
	}
}
