package web

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestAPIState(t *testing.T) {
	t.Parallel()
	fake := newFake()
	fake.status = Status{
		State: StateRunning, Users: 8, TargetUsers: 10, SpawnRate: 2, Host: "http://a.test",
		StartedAt: t0, RunTime: time.Minute, Deadline: t0.Add(time.Minute),
		UserClasses: []UserClass{{Name: "WebUser", Weight: 3, Selected: true}, {Name: "APIUser", FixedCount: 2}},
		ClassPicker: true, CPUWarning: true, CPUShare: 0.925,
		Shape: "stages:30s:100,1m:100", ArrivalRate: "200/s", MaxUsers: 50,
	}
	_, ts := newTestServer(t, Options{}, fake) // the clock says t0+15s
	resp, body := get(t, ts, "/api/state")
	wantStatus(t, resp, body, http.StatusOK)
	wantJSON(t, resp)
	want := `{"state":"running","user_count":8,"target_users":10,"spawn_rate":2,"host":"http://a.test",` +
		`"started_at":"2024-03-01T12:00:00Z","stopped_at":null,"run_time_s":60,"deadline":"2024-03-01T12:01:00Z",` +
		`"run_time_left_s":45,"user_classes":[{"name":"WebUser","weight":3,"fixed_count":0,"selected":true},` +
		`{"name":"APIUser","weight":0,"fixed_count":2,"selected":false}],"class_picker":true,"cpu_warning":true,` +
		`"cpu_percent":92.5,"is_master":false,"worker_count":0,"workers":[],"shape":"stages:30s:100,1m:100",` +
		`"arrival_rate":"200/s","max_users":50,"server_time":"2024-03-01T12:00:15Z"}` + "\n"
	if body != want {
		t.Errorf("/api/state =\n%s\nwant\n%s", body, want)
	}
}

func TestAPIStateReady(t *testing.T) {
	t.Parallel()
	fake := newFake()
	fake.status = Status{State: StateReady, SpawnRate: 1}
	_, ts := newTestServer(t, Options{}, fake)
	_, body := get(t, ts, "/api/state")
	doc := decode[map[string]any](t, body)
	for _, k := range []string{"started_at", "stopped_at", "deadline", "run_time_left_s"} {
		if v, ok := doc[k]; !ok || v != nil {
			t.Errorf("%s = %v, want null", k, v)
		}
	}
	if cls, ok := doc["user_classes"].([]any); !ok || len(cls) != 0 {
		t.Errorf("user_classes = %v, want []", doc["user_classes"])
	}
}

func TestAPIStats(t *testing.T) {
	t.Parallel()
	_, ts := newTestServer(t, Options{}, newFake())
	resp, body := get(t, ts, "/api/stats")
	wantStatus(t, resp, body, http.StatusOK)
	wantJSON(t, resp)
	doc := decode[map[string]json.RawMessage](t, body)
	for _, k := range []string{"start_time", "end_time", "duration_s", "user_count", "stats", "total", "failures", "errors"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("missing %q", k)
		}
	}
	if _, ok := doc["history"]; ok {
		t.Error("/api/stats holds the history")
	}
	if strings.Contains(body, "<img") {
		t.Error("markup unescaped in /api/stats")
	}
}

func TestAPIHistory(t *testing.T) {
	t.Parallel()
	fake := newFake()
	fake.history = sampleHistory(100)
	_, ts := newTestServer(t, Options{}, fake)

	for _, tt := range []struct {
		query string
		want  int
	}{{"", 100}, {"?points=10", 10}, {"?points=1", 1}, {"?points=5000", 100}} {
		resp, body := get(t, ts, "/api/history"+tt.query)
		wantStatus(t, resp, body, http.StatusOK)
		wantJSON(t, resp)
		doc := decode[map[string][]map[string]any](t, body)
		if got := len(doc["points"]); got != tt.want {
			t.Errorf("%s: %d points, want %d", tt.query, got, tt.want)
		}
		if tt.want > 0 {
			p := doc["points"][0]
			for _, k := range []string{"timestamp", "user_count", "current_rps", "percentiles", "num_requests"} {
				if _, ok := p[k]; !ok {
					t.Errorf("point lacks %q: %v", k, p)
				}
			}
		}
	}
	for _, bad := range []string{"0", "-3", "many", "1.5"} {
		resp, body := get(t, ts, "/api/history?points="+bad)
		wantStatus(t, resp, body, http.StatusBadRequest)
		wantJSON(t, resp)
	}

	fake.mu.Lock()
	fake.history = nil
	fake.mu.Unlock()
	_, body := get(t, ts, "/api/history")
	if body != `{"points":[]}`+"\n" {
		t.Errorf("empty history = %s", body)
	}
}

func TestAPIReportJSON(t *testing.T) {
	t.Parallel()
	_, ts := newTestServer(t, Options{}, newFake())
	resp, body := get(t, ts, "/api/report.json")
	wantStatus(t, resp, body, http.StatusOK)
	wantJSON(t, resp)
	if cd := resp.Header.Get("Content-Disposition"); !regexp.MustCompile(`^attachment; filename="report_\d+\.json"$`).MatchString(cd) {
		t.Errorf("Content-Disposition %q", cd)
	}
	doc := decode[map[string]json.RawMessage](t, body)
	var hist []any
	if err := json.Unmarshal(doc["history"], &hist); err != nil || len(hist) != 3 {
		t.Errorf("history = %s (%v), want 3 rows", doc["history"], err)
	}
}

// TestEveryJSONRouteIsJSON guards against an error path answering HTML.
func TestEveryJSONRouteIsJSON(t *testing.T) {
	t.Parallel()
	_, ts := newTestServer(t, Options{}, newFake())
	for _, path := range []string{"/stats/requests", "/exceptions", "/tasks", "/api/state", "/api/stats", "/api/history", "/api/thresholds", "/api/report.json", "/stop"} {
		resp, body := get(t, ts, path)
		wantStatus(t, resp, body, http.StatusOK)
		if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("%s: Content-Type %q", path, ct)
		}
		if !json.Valid([]byte(body)) {
			t.Errorf("%s: invalid JSON %s", path, body)
		}
	}
}

func TestUnknownRoutes(t *testing.T) {
	t.Parallel()
	_, ts := newTestServer(t, Options{}, newFake())
	for _, path := range []string{"/nope", "/api/nope", "/stats", "/assets/missing.js", "/assets", "/.vite/manifest.json", "/stats/requests/extra"} {
		resp, body := get(t, ts, path)
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404: %s", path, resp.StatusCode, body)
		}
	}
	resp, _ := do(t, ts, http.MethodPost, "/api/state", nil, nil)
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("POST /api/state = %d, want 405", resp.StatusCode)
	}
}

func TestAPIThresholds(t *testing.T) {
	t.Parallel()
	fake := newFake()
	_, ts := newTestServer(t, Options{}, fake)
	resp, body := get(t, ts, "/api/thresholds")
	wantStatus(t, resp, body, http.StatusOK)
	wantJSON(t, resp)
	if body != "[]\n" {
		t.Errorf("no thresholds: %s, want []", body)
	}

	fake.mu.Lock()
	fake.thresholds = sampleThresholds(t)
	fake.mu.Unlock()
	resp, body = get(t, ts, "/api/thresholds")
	wantStatus(t, resp, body, http.StatusOK)
	want := `[{"expr":"p95<300ms","status":"pass","no_data":false,"value":212.5,"unit":"ms","observed":"212.5ms",` +
		`"message":"p95 212.5ms, want <300ms","first_failed":null,"abort":false},` +
		`{"expr":"<script>alert(1)</script>: p99<1s;abort","status":"fail","no_data":false,"value":1250,` +
		`"unit":"ms","observed":"1.25s","message":"p99 1.25s, want <1s","first_failed":"2024-03-01T12:00:05Z","abort":true},` +
		`{"expr":"GET /cart: fail_ratio[30s]<1%","status":"pending","no_data":true,"value":0,"unit":"ratio",` +
		`"observed":"no data","message":"no requests for GET /cart in the last 30s","first_failed":null,"abort":false}]` + "\n"
	// json.Marshal escapes every < and >, so no expression is markup.
	if body != strings.NewReplacer("<", `\u003c`, ">", `\u003e`).Replace(want) {
		t.Errorf("/api/thresholds =\n%s\nwant (with < and > escaped)\n%s", body, want)
	}
}
