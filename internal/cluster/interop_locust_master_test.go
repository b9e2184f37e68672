package cluster

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A locustfile whose users never run: the master only dispatches them to
// the herd worker, and nothing contacts the host.
const idleLocustfile = `from locust import User, task, constant


class Shopper(User):
    host = "http://127.0.0.1:1"
    wait_time = constant(1)

    @task
    def idle(self):
        pass
`

// TestHerdWorkerWithLocustMaster runs a herd worker under a real Locust
// master (headless, 4 users, a short run time) and checks that the master
// accepts it, gives it the users, counts exactly what it reported (the
// CSV files), and that both end cleanly on the master's quit.
func TestHerdWorkerWithLocustMaster(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		errors bool // also failures and errors in user code
	}{{"clean", false}, {"errors", true}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			needLocust(t)
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			dir := t.TempDir()
			lf := filepath.Join(dir, "locustfile.py")
			if err := os.WriteFile(lf, []byte(idleLocustfile), 0o644); err != nil {
				t.Fatal(err)
			}
			port := freePort(t)
			prefix := filepath.Join(dir, "run")
			master := startLocust(t, ctx, dir, "-f", lf, "--master", "--master-bind-host", "127.0.0.1",
				"--master-bind-port", strconv.Itoa(port), "--headless", "-u", "4", "-r", "4", "-t", "6s",
				"--expect-workers", "1", "--csv", prefix)

			// Each of the first reports with users carries 10 requests of
			// 10 and 30 ms (100 bytes each); with errors, every fifth fails
			// and user code raises twice per report. All of it is reported
			// in the first seconds, well before the run ends, as Locust
			// rewrites its CSV files only once a second.
			local := newScriptedLocal("Shopper")
			reportsWithRequests := 0
			local.onTake = func(r *recorder, users, _ int) {
				if users == 0 || reportsWithRequests == 4 {
					return
				}
				reportsWithRequests++
				for i := range 10 {
					d, fail := 10*time.Millisecond, ""
					if i%2 == 1 {
						d = 30 * time.Millisecond
					}
					if tc.errors && i%5 == 0 {
						fail = "HTTP 503 Service Unavailable"
					}
					r.request("GET", "/x", d, 100, fail)
				}
				if tc.errors {
					r.error("boom", "Traceback: task boom at shop.go:12")
					r.error("boom", "Traceback: task boom at shop.go:12")
				}
			}
			logs, logger := newLogs(t)
			nodeID := "herdtest_" + strings.Repeat("ab", 16)
			errc := make(chan error, 1)
			go func() {
				errc <- RunWorker(ctx, WorkerOptions{Master: "tcp://127.0.0.1:" + strconv.Itoa(port), NodeID: nodeID,
					Logger: logger, HeartbeatEvery: 200 * time.Millisecond, ReportEvery: 250 * time.Millisecond}, local)
			}()

			select {
			case err := <-errc:
				if err != nil {
					t.Fatalf("worker: %v", err)
				}
			case <-ctx.Done():
				t.Fatal("the worker did not end with the master")
			}
			code := master.exitCode(t)
			want := 0
			if tc.errors {
				want = 1 // Locust's --exit-code-on-error for failures and exceptions
			}
			if code != want {
				t.Errorf("locust master exited with %d, want %d", code, want)
			}
			if logs.count("connected to the master") != 1 {
				t.Error("the worker never logged its ack")
			}
			out := master.out.String()
			for _, bad := range []string{"Traceback", "Uncaught exception", "Unknown message type"} {
				if strings.Contains(out, bad) {
					t.Errorf("the master's output has %q", bad)
				}
			}
			if !strings.Contains(out, nodeID) {
				t.Error("the master never logged the worker")
			}
			if got := local.lastApplied(); got["Shopper"] != 4 || len(got) != 1 {
				t.Errorf("the master spawned %v, want Shopper: 4", got)
			}
			if local.stops.Load() == 0 {
				t.Error("the worker's users were never stopped")
			}

			rec := local.recorded()
			if rec.requests != 40 {
				t.Fatalf("the worker reported %d requests, want 40 (did the master stop early?)", rec.requests)
			}
			rows := readCSV(t, prefix+"_stats.csv")
			byName := map[string]map[string]string{}
			for _, r := range rows {
				byName[r["Type"]+" "+r["Name"]] = r
			}
			wantAvg := float64(rec.sum) / float64(time.Millisecond) / float64(rec.requests)
			for _, key := range []string{"GET /x", " Aggregated"} {
				r := byName[key]
				if r == nil {
					t.Errorf("%s_stats.csv has no %q row: %v", filepath.Base(prefix), key, rows)
					continue
				}
				if n, _ := strconv.Atoi(r["Request Count"]); n != rec.requests {
					t.Errorf("%q: %d requests in the master's CSV, the worker reported %d", key, n, rec.requests)
				}
				if n, _ := strconv.Atoi(r["Failure Count"]); n != rec.failures {
					t.Errorf("%q: %d failures in the master's CSV, the worker reported %d", key, n, rec.failures)
				}
				checkNear(t, key+" average", r["Average Response Time"], wantAvg, 0.01)
				checkNear(t, key+" min", r["Min Response Time"], 10, 0.1)
				checkNear(t, key+" max", r["Max Response Time"], 30, 0.1)
				checkNear(t, key+" content size", r["Average Content Size"], 100, 0.001)
			}

			failures := readCSV(t, prefix+"_failures.csv")
			exceptions := readCSV(t, prefix+"_exceptions.csv")
			if !tc.errors {
				if len(failures) != 0 || len(exceptions) != 0 {
					t.Errorf("failures %v, exceptions %v; want none", failures, exceptions)
				}
				return
			}
			// Locust 2.12.1's CSV writer repr()s string errors: 'HTTP 503 …'.
			if len(failures) != 1 || failures[0]["Method"] != "GET" || failures[0]["Name"] != "/x" ||
				strings.Trim(failures[0]["Error"], "'") != "HTTP 503 Service Unavailable" ||
				failures[0]["Occurrences"] != strconv.Itoa(rec.failures) {
				t.Errorf("failures CSV %v, want GET /x HTTP 503 Service Unavailable × %d", failures, rec.failures)
			}
			if len(exceptions) != 1 || exceptions[0]["Count"] != strconv.Itoa(rec.errors) ||
				exceptions[0]["Message"] != "boom" || !strings.Contains(exceptions[0]["Nodes"], nodeID) ||
				!strings.Contains(exceptions[0]["Traceback"], "shop.go:12") {
				t.Errorf("exceptions CSV %v, want boom × %d from %s", exceptions, rec.errors, nodeID)
			}
		})
	}
}

func checkNear(t *testing.T, what, got string, want, tol float64) {
	t.Helper()
	v, err := strconv.ParseFloat(got, 64)
	if err != nil || math.Abs(v-want) > tol {
		t.Errorf("%s = %q, want %v ± %v", what, got, want, tol)
	}
}
