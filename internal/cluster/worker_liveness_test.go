package cluster

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestMasterWatch pins how a worker judges its master (heartbeats every
// second, a 60 s timeout), step by step. A step is "b@t" (a master
// heartbeat handled at t seconds), "p@t" (the heartbeat timer reports
// that the process did not run until t) or "c@t" ("c@t/d": a check due
// at d that ran at t, late); want lists the checks' verdicts other than
// fine.
func TestMasterWatch(t *testing.T) {
	t.Parallel()
	checks := func(from, to int) []string { // on time, every second
		var s []string
		for i := from; i <= to; i++ {
			s = append(s, "c@"+strconv.Itoa(i))
		}
		return s
	}
	steps := func(parts ...any) []string {
		var s []string
		for _, p := range parts {
			switch p := p.(type) {
			case string:
				s = append(s, p)
			case []string:
				s = append(s, p...)
			}
		}
		return s
	}
	for _, tc := range []struct {
		name  string
		steps []string
		want  []string
	}{{
		name:  "a master that answers",
		steps: steps("b@0", "c@1", "b@1", "c@2", "b@2", "c@3", "b@3.5", "c@4"),
	}, {
		name:  "a master that falls silent is reported after 3 heartbeats and gone after 60 s",
		steps: steps("b@0", checks(1, 62)),
		want:  []string{"quiet@3", "gone@61", "gone@62"},
	}, {
		name: "a silence that ends",
		// The second silence is reported again.
		steps: steps("b@0", checks(1, 4), "b@4.5", checks(5, 8)),
		want:  []string{"quiet@3", "quiet@8"},
	}, {
		name:  "a master without heartbeats is never judged",
		steps: steps(checks(1, 100), "c@1000/101", "p@1000", checks(1001, 1010)),
	}, {
		name: "a 70 s pause, then no answer: the master forgot this worker",
		// Its silence before the pause and after it counts, not the
		// pause: gone 60 s of its own time after the last heartbeat.
		steps: steps("b@0.5", "c@71/1", "p@71", checks(72, 131)),
		want:  []string{"forgot@74", "gone@131"},
	}, {
		name: "a 70 s pause, then answers: the master healed this worker",
		// Once it answered for a while, a later silence is only quiet.
		steps: steps("b@0.5", "c@71/1", "p@71", "b@71.1", "c@72", "b@72.1", "c@73", "b@73.1", "c@74",
			"b@74.1", "c@75", "b@75.1", "c@76", "b@76.1", "c@77", checks(78, 80)),
		want: []string{"quiet@80"},
	}, {
		name:  "the pause reported before the late check",
		steps: steps("b@0.5", "p@71", "c@71/1", checks(72, 74)),
		want:  []string{"forgot@74"},
	}, {
		name:  "an answer sent before the pause, read after it, does not prove the master knows this worker",
		steps: steps("b@0.5", "c@71/1", "b@71", "p@71", checks(72, 74)),
		want:  []string{"forgot@74"},
	}, {
		name:  "a message loop held up 70 s while heartbeats went on: no pause, heartbeats queued",
		steps: steps("b@0.5", "c@71/1", "b@71", "b@71", checks(72, 74)),
		want:  []string{"quiet@74"},
	}, {
		name:  "a master already silent 30 s before a pause: forgotten, then gone on the worker's own time",
		steps: steps("b@0", checks(1, 30), "c@101/31", "p@101", checks(102, 132)),
		want:  []string{"quiet@3", "forgot@104", "gone@131", "gone@132"},
	}, {
		name: "the silence before the pause counts toward the timeout",
		// Gone 9 s later than without the 9 s pause.
		steps: steps("b@0", checks(1, 59), "c@69/60", checks(70, 71)),
		want:  []string{"quiet@3", "gone@70", "gone@71"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			t0 := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
			at := func(s string) time.Time {
				f, err := strconv.ParseFloat(s, 64)
				if err != nil {
					t.Fatal(err)
				}
				return t0.Add(time.Duration(f * float64(time.Second)))
			}
			m := newMasterWatch(time.Second, time.Minute)
			var got []string
			for _, s := range tc.steps {
				kind, when, _ := strings.Cut(s, "@")
				now, due, late := strings.Cut(when, "/")
				switch kind {
				case "b":
					m.heartbeat(at(now))
				case "p":
					m.paused(at(now))
				case "c":
					if !late {
						due = now
					}
					if v := m.check(at(due), at(now)); v != masterFine {
						got = append(got, fmt.Sprintf("%s@%s", verdictName[v], now))
					}
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("verdicts %v, want %v", got, tc.want)
			}
		})
	}
}

var verdictName = map[verdict]string{masterQuiet: "quiet", masterForgot: "forgot", masterGone: "gone"}

// TestMasterWatchHeartbeatReportsSilence: a heartbeat after a reported
// silence says how long it was, so the worker can log the end of it.
func TestMasterWatchHeartbeatReportsSilence(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)
	m := newMasterWatch(time.Second, time.Minute)
	m.heartbeat(t0)
	m.check(t0.Add(time.Second), t0.Add(time.Second))
	if d := m.heartbeat(t0.Add(1500 * time.Millisecond)); d != 0 {
		t.Errorf("a silence of 1.5 s that was not reported: %v", d)
	}
	for i := 2; i <= 5; i++ {
		m.check(t0.Add(time.Duration(i)*time.Second), t0.Add(time.Duration(i)*time.Second))
	}
	if d := m.heartbeat(t0.Add(5500 * time.Millisecond)); d != 4*time.Second {
		t.Errorf("the reported silence ended after %v, want 4s", d)
	}
	if want := 3 * time.Second; newMasterWatch(time.Second, time.Minute).rejoinAfter != want {
		t.Errorf("rejoinAfter %v, want %v", newMasterWatch(time.Second, time.Minute).rejoinAfter, want)
	}
	if got := newMasterWatch(time.Second, 2*time.Second).rejoinAfter; got != time.Second {
		t.Errorf("rejoinAfter %v with a 2 s timeout, want 1s", got)
	}
}
