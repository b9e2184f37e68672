// Package locustshape checks a herd LoadShape against the Locust example
// it ports: both are asked at the same moments with the same user counts,
// the Locust shape by Locust itself (Debian's python3-locust, its examples
// in /usr/share/doc/python3-locust/examples), and must answer the same.
// It is for the ports' tests only.
package locustshape

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/herdload/herd"
)

// Examples is where Debian installs Locust's examples.
const Examples = "/usr/share/doc/python3-locust/examples"

// Moment is one tick: the time since the shape's start and the users
// running then.
type Moment struct {
	At    time.Duration
	Users int
}

// Tick is a shape's answer at one moment; End when it ends the test.
type Tick struct {
	End       bool     `json:"end"`
	Users     int      `json:"users"`
	SpawnRate float64  `json:"rate"`
	UserTypes []string `json:"classes"`
}

func (t Tick) String() string {
	if t.End {
		return "end"
	}
	s := fmt.Sprintf("%d users at %g/s", t.Users, t.SpawnRate)
	if len(t.UserTypes) > 0 {
		s += " of " + strings.Join(t.UserTypes, ", ")
	}
	return s
}

// driver asks a Locust shape class for its ticks on a fake clock: its
// LoadTestShape reads time.perf_counter, replaced here, and a fake runner
// gives get_current_user_count().
const driver = `
import importlib.util, json, sys, types
import locust.shape
clock = [0.0]
locust.shape.time = types.SimpleNamespace(perf_counter=lambda: clock[0])
spec = importlib.util.spec_from_file_location("example", sys.argv[1])
mod = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mod)
class Runner:
    user_count = 0
shape = getattr(mod, sys.argv[2])()
shape.runner = Runner()
shape.reset_time()  # as Runner.start_shape does
for at, users in json.loads(sys.argv[3]):
    clock[0] = at
    Runner.user_count = users
    tick = shape.tick()
    if tick is None:
        print(json.dumps({"end": True}))
        continue
    out = {"users": tick[0], "rate": tick[1]}
    if len(tick) > 2 and tick[2]:
        out["classes"] = [c.__name__ for c in tick[2]]
    print(json.dumps(out))
`

// Locust runs Locust's shape class of the example file (relative to
// Examples) at each moment. It skips the test when Locust is missing,
// unless HERD_E2E=required.
func Locust(t *testing.T, example, class string, moments []Moment) []Tick {
	t.Helper()
	file := filepath.Join(Examples, example)
	if _, err := os.Stat(file); err != nil {
		if os.Getenv("HERD_E2E") == "required" {
			t.Fatalf("Locust's examples are required (apt-get install python3-locust): %v", err)
		}
		t.Skip("Locust's examples not installed (python3-locust)")
	}
	in := make([][2]any, len(moments))
	for i, m := range moments {
		in[i] = [2]any{m.At.Seconds(), m.Users}
	}
	arg, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(python(), "-c", driver, file, class, string(arg)).Output()
	if err != nil {
		var stderr string
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = string(ee.Stderr)
		}
		t.Fatalf("running %s's %s with Locust: %v\n%s", example, class, err, stderr)
	}
	var ticks []Tick
	for line := range strings.Lines(string(out)) {
		var tk Tick
		if err := json.Unmarshal([]byte(line), &tk); err != nil {
			t.Fatalf("Locust's driver printed %q: %v", line, err)
		}
		ticks = append(ticks, tk)
	}
	if len(ticks) != len(moments) {
		t.Fatalf("Locust answered %d of %d moments", len(ticks), len(moments))
	}
	return ticks
}

// Herd asks shape at each moment as herd's controller does: the time
// since its start or its last ResetTime, and the users running.
func Herd(shape herd.LoadShape, moments []Moment) []Tick {
	var base time.Duration
	ticks := make([]Tick, len(moments))
	for i, m := range moments {
		s := &herd.ShapeState{Elapsed: m.At - base, Users: m.Users, UsersByType: map[string]int{}}
		st, ok := shape.Tick(s)
		if s.Elapsed == 0 { // ResetTime: the base moves here
			base = m.At
		}
		if !ok {
			ticks[i] = Tick{End: true}
			continue
		}
		ticks[i] = Tick{Users: st.Users, SpawnRate: st.SpawnRate, UserTypes: st.UserTypes}
	}
	return ticks
}

// Compare checks that shape answers as Locust's example class does at
// every moment.
func Compare(t *testing.T, example, class string, shape herd.LoadShape, moments []Moment) {
	t.Helper()
	want := Locust(t, example, class, moments)
	got := Herd(shape, moments)
	bad := 0
	for i := range moments {
		if got[i].End == want[i].End && got[i].Users == want[i].Users && got[i].SpawnRate == want[i].SpawnRate &&
			slices.Equal(got[i].UserTypes, want[i].UserTypes) {
			continue
		}
		if bad++; bad <= 10 {
			t.Errorf("at %v with %d users: herd's shape says %v, Locust's %v", moments[i].At, moments[i].Users, got[i], want[i])
		}
	}
	if bad > 10 {
		t.Errorf("… %d moments differ in all", bad)
	}
}

// python is the interpreter Locust runs with: its script's (Debian's
// /usr/bin/python3), not whichever python3 comes first on PATH.
func python() string {
	if b, err := os.ReadFile("/usr/bin/locust"); err == nil {
		if line, _, _ := strings.Cut(string(b), "\n"); strings.HasPrefix(line, "#!") {
			if f := strings.Fields(line[2:]); len(f) == 1 {
				return f[0]
			}
		}
	}
	return "/usr/bin/python3"
}

// Seconds are the moments 0, step, 2·step, … up to last with users
// running (a shape that reads only the time).
func Seconds(step, last time.Duration, users int) []Moment {
	var ms []Moment
	for at := time.Duration(0); at <= last; at += step {
		ms = append(ms, Moment{At: at, Users: users})
	}
	return ms
}
