package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/herdload/herd/examples/locust/internal/porttest"
)

// TestRun: the SDK's calls, sent through the user's client, are in the
// statistics, authenticated with the token of the file.
func TestRun(t *testing.T) {
	t.Parallel()
	target := porttest.NewTarget(t)
	token := filepath.Join(t.TempDir(), "auth.text")
	if err := os.WriteFile(token, []byte("secret-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The users are killed at the end, in a request (their task never ends).
	res := porttest.Run(t, newTest(token), "-u", "2", "-r", "100", "-t", "500ms", "-H", target.URL)
	r := &res.Report
	if got, want := r.Names(), []string{"POST /archivist/v2/assets"}; !slices.Equal(got, want) {
		t.Fatalf("names %v, want %v\n%s", got, want, res.Stderr)
	}
	e := r.Entry("POST", "/archivist/v2/assets")
	interrupted := r.FailureCount("POST", "/archivist/v2/assets", "interrupted at stop")
	if e.Requests < 10 || e.Failures != interrupted || interrupted > 2 {
		t.Errorf("%+v, %d interrupted at the stop: want many requests, no failure but the users' last", e, interrupted)
	}
	if seen := target.Count("POST", "/archivist/v2/assets"); seen < e.Requests-interrupted || seen > e.Requests {
		t.Errorf("the target saw %d requests, the statistics %d (%d interrupted)", seen, e.Requests, interrupted)
	}
}

func TestTaskRatioAsLocust(t *testing.T) {
	t.Parallel()
	got := porttest.TaskRatio(t, newTest("auth.text"))
	if want := porttest.LocustTaskRatio(t, "sdk_session_patching/session_patch_locustfile.py", "archivist.archivist"); got != want {
		t.Errorf("herd:\n%s\nLocust:\n%s", got, want)
	}
}
