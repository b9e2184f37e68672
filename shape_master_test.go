package herd_test

import (
	"encoding/json"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/herdload/herd"
)

// On a master, the master runs the load shape (its workers follow) and
// evaluates the thresholds on the merged statistics.
func TestShapeAndThresholdsOnAMaster(t *testing.T) {
	t.Parallel()
	srv := &countingServer{counts: map[string]int{}}
	ts := httptest.NewServer(srv)
	defer ts.Close()
	test := &herd.Test{Users: []*herd.UserType{{
		Name: "Hammer", Wait: herd.Constant(20 * time.Millisecond), New: func() herd.User { return new(hammer) },
	}}}
	start := time.Now()
	stdout := runCluster(t, test, 2, "--shape", "stages:1s:4,3s:4", "-H", ts.URL, "--json", "--only-summary",
		"--threshold", "requests>=20", "--threshold", "fail_ratio<50%")
	took := time.Since(start)
	var rep struct {
		jsonReport
		Users      int `json:"user_count"`
		Thresholds []struct {
			Expr, Status string
		} `json:"thresholds"`
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("bad JSON: %v\n%s", err, stdout)
	}
	if rep.Users != 4 {
		t.Errorf("%d users at the end, want the shape's 4", rep.Users)
	}
	if took > 20*time.Second {
		t.Errorf("the run took %v: the shape (4 s) should have ended it", took)
	}
	if len(rep.Thresholds) != 2 || rep.Thresholds[0].Status != "pass" || rep.Thresholds[1].Status != "pass" {
		t.Errorf("thresholds %+v, want two passes", rep.Thresholds)
	}
}
