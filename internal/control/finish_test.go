package control

import (
	"testing"

	"github.com/herdload/herd/internal/stats"
)

func TestFailedRun(t *testing.T) {
	t.Parallel()
	entry := func(requests, failures, interrupted uint64) stats.Entry {
		return stats.Entry{Method: "GET", Name: "/x", Requests: requests, Failures: failures, Interrupted: interrupted}
	}
	for _, tc := range []struct {
		name    string
		entries []stats.Entry
		errors  int
		want    bool
	}{
		{"clean", []stats.Entry{entry(10, 0, 0)}, 0, false},
		{"a failure", []stats.Entry{entry(10, 1, 0)}, 0, true},
		{"a user error", []stats.Entry{entry(10, 0, 0)}, 1, true},
		{"cut short at the stop", []stats.Entry{entry(10, 3, 3)}, 0, false},
		{"cut short and a failure", []stats.Entry{entry(10, 4, 3)}, 0, true},
		{"never answered", []stats.Entry{entry(10, 0, 0), entry(5, 5, 5)}, 0, true},
		{"no request", []stats.Entry{entry(0, 0, 0)}, 0, false},
	} {
		snap := &stats.Snapshot{Entries: tc.entries, Errors: make([]stats.Error, tc.errors)}
		if got := failed(snap); got != tc.want {
			t.Errorf("%s: failed = %v, want %v", tc.name, got, tc.want)
		}
	}
}
