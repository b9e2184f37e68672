package main

import (
	"slices"
	"testing"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/examples/locust/internal/porttest"
)

// TestTaskRatioAsLocust: a nested set's tasks are shown relative to their
// set per user class (90.9/9.1) and to everything in the total (45.5/4.5).
func TestTaskRatioAsLocust(t *testing.T) {
	t.Parallel()
	got := porttest.TaskRatio(t, newTest())
	if got != golden {
		t.Errorf("herd:\n%s\nwant:\n%s", got, golden)
	}
	if want := porttest.LocustTaskRatio(t, "nested_inline_tasksets.py"); got != want {
		t.Errorf("herd:\n%s\nLocust:\n%s", got, want)
	}
}

// golden is Locust 2.12's output, also checked when Locust is missing.
const golden = ` Task ratio per User class
--------------------------------------------------------------------------------
 100.0      WebsiteUser
   100.0      TopLevelTaskSet
     50.0       IndexTaskSet
       90.9         index
       9.1          stop
     50.0       stats

 Total task ratio
--------------------------------------------------------------------------------
 100.0      WebsiteUser
   100.0      TopLevelTaskSet
     50.0       IndexTaskSet
       45.5         index
       4.5          stop
     50.0       stats`

func TestRun(t *testing.T) {
	t.Parallel()
	target := porttest.NewTarget(t)
	test := newTest()
	test.Users[0].Wait = herd.Constant(time.Millisecond)
	// Until the ratio below has a sample to judge (its tasks are picked at
	// random: ~30 visits to IndexTaskSet); -t is the backstop.
	res := porttest.RunUntil(t, test, map[string]int{"GET /": 300, "GET /stats/requests": 5},
		"-u", "2", "-r", "100", "-t", "30s", "-s", "30s", "-H", target.URL)
	if res.Code != 0 {
		t.Fatalf("exit code %d\n%s", res.Code, res.Stderr)
	}
	if got, want := res.Report.Names(), []string{"GET /", "GET /stats/requests"}; !slices.Equal(got, want) {
		t.Fatalf("names %v, want %v", got, want)
	}
	// Inside IndexTaskSet the user stays for 11 picks on average, 10 of
	// them "/": so "/" runs about 10 times as often as "/stats/requests".
	index, stats := res.Report.Entry("GET", "/").Requests, res.Report.Entry("GET", "/stats/requests").Requests
	if stats < 5 || index < 3*stats || index > 30*stats {
		t.Errorf("%d of / and %d of /stats/requests: want about 10 to 1", index, stats)
	}
}
