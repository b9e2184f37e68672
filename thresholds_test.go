package herd_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/herdload/herd"
)

// steadyCaller's calls take 20 ms, or 200 ms from slowAfter on.
type steadyCaller struct {
	t0        time.Time
	slowAfter time.Duration
}

func (c steadyCaller) Tasks() []herd.Task {
	return []herd.Task{{Name: "call", Run: func(ctx context.Context) error {
		return herd.Time(ctx, "rpc", "call", func(ctx context.Context) (int64, error) {
			d := 20 * time.Millisecond
			if c.slowAfter > 0 && time.Since(c.t0) >= c.slowAfter {
				d = 200 * time.Millisecond
			}
			select {
			case <-time.After(d):
				return 1, nil
			case <-ctx.Done():
				return 0, ctx.Err()
			}
		})
	}}}
}

func steadyTest(slowAfter time.Duration) *herd.Test {
	t0 := time.Now()
	return &herd.Test{Users: []*herd.UserType{{Name: "Caller", Wait: herd.Constant(10 * time.Millisecond),
		New: func() herd.User { return steadyCaller{t0: t0, slowAfter: slowAfter} }}}}
}

// A failed threshold fails the run with its own exit code, and the verdicts
// reach the console, the JSON and the JUnit file.
func TestThresholdsDecideTheExitCode(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		junit := filepath.Join(t.TempDir(), "thresholds.xml")
		code, stdout, stderr := runTest(t, context.Background(), steadyTest(0),
			"--headless", "-u", "2", "-r", "100", "-t", "5s", "--json", "--only-summary", "--junit", junit,
			"--threshold", "p95<50ms", "--threshold", "rpc call: max<10ms", "--threshold", "fail_ratio<1%",
			"--threshold", "GET /missing: p50<1s")
		if code != herd.ExitThreshold {
			t.Fatalf("exit %d, want %d (ExitThreshold)\n%s", code, herd.ExitThreshold, stderr)
		}
		for _, want := range []string{"PASS    p95<50ms", "FAIL    rpc call: max<10ms", "FAIL    GET /missing: p50<1s",
			"Thresholds FAILED: 2 passed, 2 failed"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("summary lacks %q:\n%s", want, stderr)
			}
		}
		var doc struct {
			Thresholds []struct {
				Expr, Status string
			} `json:"thresholds"`
		}
		if err := json.Unmarshal([]byte(stdout), &doc); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range doc.Thresholds {
			got = append(got, r.Expr+"="+r.Status)
		}
		if want := "p95<50ms=pass rpc call: max<10ms=fail fail_ratio<1%=pass GET /missing: p50<1s=fail"; strings.Join(got, " ") != want {
			t.Errorf("JSON thresholds %q, want %q", strings.Join(got, " "), want)
		}
		raw, err := os.ReadFile(junit)
		if err != nil {
			t.Fatal(err)
		}
		var suites struct {
			Suites []struct {
				Tests    int `xml:"tests,attr"`
				Failures int `xml:"failures,attr"`
			} `xml:"testsuite"`
		}
		if err := xml.Unmarshal(raw, &suites); err != nil {
			t.Fatalf("JUnit XML: %v\n%s", err, raw)
		}
		if len(suites.Suites) != 1 || suites.Suites[0].Tests != 4 || suites.Suites[0].Failures != 2 {
			t.Errorf("JUnit suites %+v, want one with 4 tests and 2 failures", suites.Suites)
		}
	})
}

// A broken threshold with abort ends the run early, after its grace period.
func TestThresholdAbortsTheRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		start := time.Now()
		code, _, stderr := runTest(t, context.Background(), steadyTest(6*time.Second),
			"--headless", "-u", "2", "-r", "100", "-t", "60s", "--only-summary",
			"--threshold", "p99[2s]<100ms;abort;grace=3s")
		took := time.Since(start)
		if code != herd.ExitThreshold {
			t.Fatalf("exit %d, want %d\n%s", code, herd.ExitThreshold, stderr)
		}
		if !strings.Contains(stderr, "threshold broken") {
			t.Errorf("no abort reason in the log:\n%s", stderr)
		}
		// Fake time: slow from 6 s, so the tick at 7 s sees the second's
		// p99 at 200 ms and aborts (the 3 s grace is long over).
		if took != 7*time.Second {
			t.Errorf("run took %v, want it aborted by the tick at 7 s", took)
		}
	})
}

// The HTML report written at the end carries the final verdicts: a
// threshold that never had data reads "fail", not "pending".
func TestHTMLReportHasFinalVerdicts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		html := filepath.Join(t.TempDir(), "report.html")
		code, _, stderr := runTest(t, context.Background(), steadyTest(0),
			"--headless", "-u", "1", "-t", "2s", "--only-summary", "--html", html,
			"--threshold", "GET /missing: p50<1s")
		if code != herd.ExitThreshold {
			t.Fatalf("exit %d\n%s", code, stderr)
		}
		raw, err := os.ReadFile(html)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(raw), `"status":"fail"`) || strings.Contains(string(raw), `"status":"pending"`) {
			t.Errorf("the HTML report lacks the final verdict")
		}
	})
}
