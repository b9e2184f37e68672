package web

import (
	"bytes"
	"encoding/json"
	"math"
	"net/http"
	"regexp"
	"strings"
	"testing"
)

// sampleWorkers is a master's workers out of index order, one missing, one
// with markup in its id and one whose CPU is not a number.
func sampleWorkers() []WorkerInfo {
	return []WorkerInfo{
		{ID: "host-b_2f1c", Index: 2, State: WorkerMissing, Users: 0, CPU: 12.34, Memory: 80 << 20},
		{ID: xssName, Index: 0, State: WorkerRunning, Users: 50, CPU: 95.06, Memory: 512 << 20},
		{ID: "host-a_9a7e", Index: 1, State: WorkerSpawning, Users: 48, CPU: math.NaN(), Memory: 3 << 30},
	}
}

func masterFake() *fakeController {
	fake := newFake()
	fake.status.State, fake.status.Users, fake.status.TargetUsers = StateRunning, 98, 100
	fake.status.IsMaster = true
	fake.status.Workers = sampleWorkers()
	return fake
}

const sampleWorkersJSON = `[{"id":"\u003cimg src=x onerror=alert(1)\u003e","index":0,"state":"running","user_count":50,"cpu_usage":95.1,"memory_usage":536870912},` +
	`{"id":"host-a_9a7e","index":1,"state":"spawning","user_count":48,"cpu_usage":0,"memory_usage":3221225472},` +
	`{"id":"host-b_2f1c","index":2,"state":"missing","user_count":0,"cpu_usage":12.3,"memory_usage":83886080}]`

func TestAPIStateMaster(t *testing.T) {
	t.Parallel()
	fake := masterFake()
	_, ts := newTestServer(t, Options{}, fake)
	resp, body := get(t, ts, "/api/state")
	wantStatus(t, resp, body, http.StatusOK)
	wantJSON(t, resp)
	doc := decode[map[string]json.RawMessage](t, body)
	if string(doc["is_master"]) != "true" {
		t.Errorf("is_master = %s, want true", doc["is_master"])
	}
	if string(doc["worker_count"]) != "2" {
		t.Errorf("worker_count = %s, want 2 (the missing worker does not count)", doc["worker_count"])
	}
	if got := string(doc["workers"]); got != sampleWorkersJSON {
		t.Errorf("workers =\n%s\nwant (by index, CPU rounded, NaN as 0)\n%s", got, sampleWorkersJSON)
	}
	// The controller's slice is not reordered.
	if fake.Status().Workers[0].Index != 2 {
		t.Error("the web layer sorted the controller's workers in place")
	}

	// A master with no worker yet.
	fake.mu.Lock()
	fake.status.Workers = nil
	fake.mu.Unlock()
	_, body = get(t, ts, "/api/state")
	doc = decode[map[string]json.RawMessage](t, body)
	if string(doc["is_master"]) != "true" || string(doc["worker_count"]) != "0" || string(doc["workers"]) != "[]" {
		t.Errorf("master without workers: is_master %s, worker_count %s, workers %s", doc["is_master"], doc["worker_count"], doc["workers"])
	}
}

func TestAPIStateNotMaster(t *testing.T) {
	t.Parallel()
	fake := newFake()
	fake.status.Workers = sampleWorkers() // ignored without IsMaster
	_, ts := newTestServer(t, Options{}, fake)
	_, body := get(t, ts, "/api/state")
	doc := decode[map[string]json.RawMessage](t, body)
	if string(doc["is_master"]) != "false" || string(doc["worker_count"]) != "0" || string(doc["workers"]) != "[]" {
		t.Errorf("not a master: is_master %s, worker_count %s, workers %s", doc["is_master"], doc["worker_count"], doc["workers"])
	}
}

func TestStatsRequestsMaster(t *testing.T) {
	t.Parallel()
	fake := masterFake()
	_, ts := newTestServer(t, Options{}, fake)
	resp, body := get(t, ts, "/stats/requests")
	wantStatus(t, resp, body, http.StatusOK)
	wantJSON(t, resp)
	doc := decode[map[string]json.RawMessage](t, body)
	// Locust's master: workers with these five keys, in its order.
	want := `[{"id":"\u003cimg src=x onerror=alert(1)\u003e","state":"running","user_count":50,"cpu_usage":95.1,"memory_usage":536870912},` +
		`{"id":"host-a_9a7e","state":"spawning","user_count":48,"cpu_usage":0,"memory_usage":3221225472},` +
		`{"id":"host-b_2f1c","state":"missing","user_count":0,"cpu_usage":12.3,"memory_usage":83886080}]`
	if got := string(doc["workers"]); got != want {
		t.Errorf("workers =\n%s\nwant\n%s", got, want)
	}
	if got := string(doc["worker_count"]); got != "2" {
		t.Errorf("worker_count = %s, want 2", got)
	}
	if string(doc["state"]) != `"running"` || string(doc["user_count"]) != "98" {
		t.Errorf("state %s, user_count %s", doc["state"], doc["user_count"])
	}

	// A master with no worker: the keys are there, empty.
	fake.mu.Lock()
	fake.status.Workers = nil
	fake.mu.Unlock()
	_, body = get(t, ts, "/stats/requests")
	doc = decode[map[string]json.RawMessage](t, body)
	if string(doc["workers"]) != "[]" || string(doc["worker_count"]) != "0" {
		t.Errorf("master without workers: workers %s, worker_count %s", doc["workers"], doc["worker_count"])
	}
}

func TestStatsRequestsNotMasterHasNoWorkers(t *testing.T) {
	t.Parallel()
	fake := newFake()
	fake.status.Workers = sampleWorkers()
	_, ts := newTestServer(t, Options{}, fake)
	_, body := get(t, ts, "/stats/requests")
	doc := decode[map[string]json.RawMessage](t, body)
	for _, k := range []string{"workers", "worker_count"} {
		if v, ok := doc[k]; ok {
			t.Errorf("%s = %s in a single process's /stats/requests; Locust has none", k, v)
		}
	}
}

func TestEventsCarryWorkers(t *testing.T) {
	t.Parallel()
	fake := masterFake()
	_, ts := newTestServer(t, Options{}, fake)
	_, br, _ := openEvents(t, ts.URL)
	var state struct {
		IsMaster    bool              `json:"is_master"`
		WorkerCount int               `json:"worker_count"`
		Workers     []json.RawMessage `json:"workers"`
	}
	if err := json.Unmarshal(nextUpdate(t, br)["state"], &state); err != nil {
		t.Fatal(err)
	}
	if !state.IsMaster || state.WorkerCount != 2 || len(state.Workers) != 3 {
		t.Errorf("update state: is_master %v, worker_count %d, %d workers; want true, 2, 3", state.IsMaster, state.WorkerCount, len(state.Workers))
	}
	// A worker goes missing: the next updates say so.
	fake.mu.Lock()
	ws := sampleWorkers()
	ws[1].State = WorkerMissing
	fake.status.Workers = ws
	fake.mu.Unlock()
	eventually(t, "worker_count 1", func() bool {
		json.Unmarshal(nextUpdate(t, br)["state"], &state)
		return state.WorkerCount == 1
	})
}

func TestReportFromControllerWorkers(t *testing.T) {
	t.Parallel()
	fake := masterFake()
	r := ReportFromController(fake)
	if len(r.Workers) != 3 || r.Workers[0].ID != "host-b_2f1c" {
		t.Fatalf("report workers %+v, want the controller's three", r.Workers)
	}
	// A copy: the report does not share the status's slice.
	r.Workers[0].ID = "changed"
	if fake.Status().Workers[0].ID == "changed" {
		t.Error("the report shares the status's workers")
	}

	fake.mu.Lock()
	fake.status.Workers = nil
	fake.mu.Unlock()
	if r := ReportFromController(fake); r.Workers == nil {
		t.Error("a master with no worker left: Workers is nil, want empty (the report still has a workers table)")
	}
	if r := ReportFromController(newFake()); r.Workers != nil {
		t.Errorf("not a master: Workers = %+v, want nil", r.Workers)
	}
}

var reportDataRe = regexp.MustCompile(`(?s)<script type="application/json" id="herd-report">(.*?)</script>`)

func TestHTMLReportWorkers(t *testing.T) {
	t.Parallel()
	embedded := func(r Report) map[string]json.RawMessage {
		t.Helper()
		var b bytes.Buffer
		if err := WriteHTMLReport(&b, r); err != nil {
			t.Fatal(err)
		}
		m := reportDataRe.FindSubmatch(b.Bytes())
		if m == nil {
			t.Fatal("no herd-report element")
		}
		if bytes.Contains(m[1], []byte("<img")) {
			t.Error("a worker id is not escaped in the embedded JSON")
		}
		var doc map[string]json.RawMessage
		if err := json.Unmarshal(m[1], &doc); err != nil {
			t.Fatal(err)
		}
		return doc
	}
	doc := embedded(Report{Stats: sampleSnapshot(), Workers: sampleWorkers()})
	if got := string(doc["workers"]); got != sampleWorkersJSON {
		t.Errorf("report workers =\n%s\nwant\n%s", got, sampleWorkersJSON)
	}
	if got := string(embedded(Report{Workers: []WorkerInfo{}})["workers"]); got != "[]" {
		t.Errorf("master without workers: %s, want []", got)
	}
	if v, ok := embedded(Report{Stats: sampleSnapshot()})["workers"]; ok {
		t.Errorf("single process: workers = %s, want none", v)
	}
	if !strings.Contains(sampleWorkersJSON, `\u003cimg`) {
		t.Fatal("the expected JSON lost its escaping")
	}
}
