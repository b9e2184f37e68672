package web

import (
	"bytes"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/threshold"
)

// TestHTMLReportSelfContained: one page with the bundle inlined, the data
// in one JSON element that no name can break out of, and no URL to fetch.
func TestHTMLReportSelfContained(t *testing.T) {
	const evil = `</script><script>alert(1)</script><!-- & "quote" ' ` + "\u2028"
	f := uiShopAPI(600, time.Second)
	f.snap.Entries[0].Name = evil
	f.snap.Failures[0].Error = evil
	f.snap.Errors[0].Trace = evil
	end := f.snap.Time
	r := Report{
		Title: "Title " + evil, Host: "https://shop.example.test/?a=1&b=<2>", Users: 200, SpawnRate: 2.5, RunTime: 10 * time.Minute,
		UserClasses: []string{"Shopper"}, Start: end.Add(-10 * time.Minute), End: end,
		Stats: f.snap, History: uiLongHistory(end, 4*3600),
	}
	if th, err := threshold.Parse(strings.ReplaceAll(evil, ":", "") + ": p95<300ms"); err != nil {
		t.Fatal(err)
	} else {
		r.Thresholds = []threshold.Result{{Expr: th.String(), Threshold: th, Status: threshold.Fail, Observed: "1s"}}
	}
	var b bytes.Buffer
	if err := WriteHTMLReport(&b, r); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if n := strings.Count(strings.ToLower(page), "<script"); n != 2 {
		t.Errorf("%d <script elements, want 2 (the data and the bundle)", n)
	}
	if n := strings.Count(strings.ToLower(page), "</script"); n != 2 {
		t.Errorf("%d </script, want 2", n)
	}
	if !strings.Contains(page, "<title>Title &lt;/script&gt;") {
		t.Errorf("the title is not escaped")
	}
	for _, external := range []string{`src="`, `href="`, "@import", "url(http"} {
		if strings.Contains(page, external) {
			t.Errorf("the report references %q", external)
		}
	}
	m := regexp.MustCompile(`(?s)<script type="application/json" id="herd-report">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no herd-report element")
	}
	var doc struct {
		Title       string   `json:"title"`
		Host        string   `json:"host"`
		Users       int      `json:"users"`
		SpawnRate   float64  `json:"spawn_rate"`
		RunTime     float64  `json:"run_time_s"`
		UserClasses []string `json:"user_classes"`
		StartTime   string   `json:"start_time"`
		Report      struct {
			Stats []struct {
				Name string `json:"name"`
			} `json:"stats"`
			Failures []struct {
				Error string `json:"error"`
			} `json:"failures"`
			History []json.RawMessage `json:"history"`
		} `json:"report"`
	}
	if err := json.Unmarshal([]byte(m[1]), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Title != r.Title || doc.Host != r.Host || doc.Users != 200 || doc.SpawnRate != 2.5 || doc.RunTime != 600 ||
		len(doc.UserClasses) != 1 || doc.StartTime == "" {
		t.Errorf("parameters %+v", doc)
	}
	if doc.Report.Stats[0].Name != evil || doc.Report.Failures[0].Error != evil {
		t.Errorf("names did not survive: %q, %q", doc.Report.Stats[0].Name, doc.Report.Failures[0].Error)
	}
	if n := len(doc.Report.History); n != reportHistoryPoints {
		t.Errorf("%d history points embedded, want %d (downsampled from 14,400)", n, reportHistoryPoints)
	}
	if strings.ContainsAny(m[1], "<>\u2028") {
		t.Error("the embedded JSON holds raw <, > or U+2028")
	}
	t.Logf("report: %d KB with a 4-hour history", b.Len()/1024)
}

// TestHTMLReportEmpty: a report of nothing still renders.
func TestHTMLReportEmpty(t *testing.T) {
	var b bytes.Buffer
	if err := WriteHTMLReport(&b, Report{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(b.String(), `"stats":[]`) || !strings.Contains(b.String(), "<title>herd load test report</title>") {
		t.Errorf("empty report:\n%.600s", b.String())
	}
}

// uiController is a Controller with fixed answers.
type uiController struct {
	st   Status
	snap *stats.Snapshot
	hist []stats.HistoryRow
	thr  []threshold.Result
}

func (c *uiController) Swarm(SwarmRequest) error    { return nil }
func (c *uiController) Stop()                       {}
func (c *uiController) ResetStats()                 {}
func (c *uiController) Status() Status              { return c.st }
func (c *uiController) Snapshot() *stats.Snapshot   { return c.snap }
func (c *uiController) History() []stats.HistoryRow { return c.hist }
func (c *uiController) TaskRatio() TaskRatio        { return TaskRatio{} }
func (c *uiController) FullHistoryCSV() string      { return "" }
func (c *uiController) Thresholds() []threshold.Result {
	return c.thr
}

func TestHTMLReportFromController(t *testing.T) {
	f := uiShopAPI(300, time.Second)
	start := f.status.StartedAt
	stop := start.Add(5 * time.Minute)
	c := &uiController{st: f.status, snap: f.snap, hist: f.history}
	c.st.State, c.st.StoppedAt = StateStopped, stop
	c.st.UserClasses = []UserClass{{Name: "Shopper", Selected: true}, {Name: "APIClient"}}
	r := ReportFromController(c)
	if r.Host != f.status.Host || r.Users != f.status.TargetUsers || r.SpawnRate != 5 || r.RunTime != 30*time.Minute ||
		!r.Start.Equal(start) || !r.End.Equal(stop) || r.Stats != f.snap || len(r.History) != len(f.history) {
		t.Errorf("report %+v", r)
	}
	if strings.Join(r.UserClasses, ",") != "Shopper" {
		t.Errorf("classes %q, want the selected one", r.UserClasses)
	}
	// Still running: the report ends now (the snapshot's time).
	c.st.StoppedAt = time.Time{}
	if r := ReportFromController(c); !r.End.Equal(f.snap.Time) {
		t.Errorf("running: end %v, want the snapshot's time %v", r.End, f.snap.Time)
	}
	var b bytes.Buffer
	if err := WriteHTMLReport(&b, r); err != nil {
		t.Fatal(err)
	}
}

// TestHTMLReportThresholdsAndIntended: the report embeds the thresholds'
// results, the open model's parameters, its response times from the
// intended start and its iterations; threshold expressions (user data)
// cannot break out of the data element.
func TestHTMLReportThresholdsAndIntended(t *testing.T) {
	const evil = `</script><script>alert(1)</script><!--`
	f := uiShopAPI(120, time.Second)
	withIntended(f.snap, f.history)
	th, err := threshold.Parse(evil + ": p95<300ms")
	if err != nil {
		t.Fatal(err)
	}
	results := append(sampleThresholds(t), threshold.Result{Expr: th.String(), Threshold: th, Status: threshold.Fail,
		Value: 450, Unit: "ms", Observed: "450ms", FirstFailed: f.status.StartedAt.Add(time.Minute)})
	c := &uiController{st: f.status, snap: f.snap, hist: f.history, thr: results}
	c.st.ArrivalRate, c.st.MaxUsers, c.st.Shape = "stages:30s:100,1m:100", 400, "steps:10:30s:5"
	r := ReportFromController(c)
	if len(r.Thresholds) != 4 || r.ArrivalRate != c.st.ArrivalRate || r.MaxUsers != 400 || r.Shape != c.st.Shape {
		t.Fatalf("report from the controller: thresholds %d, arrival %q, max users %d, shape %q", len(r.Thresholds), r.ArrivalRate, r.MaxUsers, r.Shape)
	}
	var b bytes.Buffer
	if err := WriteHTMLReport(&b, r); err != nil {
		t.Fatal(err)
	}
	page := b.String()
	if n := strings.Count(strings.ToLower(page), "<script"); n != 2 {
		t.Errorf("%d <script elements, want 2: a threshold broke out", n)
	}
	if strings.Contains(page, "<!--") {
		t.Error("a threshold's comment opener is in the page unescaped")
	}
	m := regexp.MustCompile(`(?s)<script type="application/json" id="herd-report">(.*?)</script>`).FindStringSubmatch(page)
	if m == nil {
		t.Fatal("no herd-report element")
	}
	var doc struct {
		ArrivalRate string         `json:"arrival_rate"`
		MaxUsers    int            `json:"max_users"`
		Shape       string         `json:"shape"`
		Thresholds  []thresholdDoc `json:"thresholds"`
		Report      struct {
			Iterations uint64 `json:"iterations"`
			Dropped    uint64 `json:"dropped_iterations"`
			Total      struct {
				Intended *struct {
					Percentiles map[string]float64 `json:"percentiles"`
				} `json:"intended"`
			} `json:"total"`
			History []struct {
				Intended map[string]float64 `json:"intended_percentiles"`
			} `json:"history"`
		} `json:"report"`
	}
	if err := json.Unmarshal([]byte(m[1]), &doc); err != nil {
		t.Fatal(err)
	}
	if doc.ArrivalRate != c.st.ArrivalRate || doc.MaxUsers != 400 || doc.Shape != c.st.Shape {
		t.Errorf("parameters: arrival %q, max users %d, shape %q", doc.ArrivalRate, doc.MaxUsers, doc.Shape)
	}
	if len(doc.Thresholds) != 4 {
		t.Fatalf("%d thresholds embedded, want 4", len(doc.Thresholds))
	}
	last := doc.Thresholds[3]
	if last.Expr != evil+": p95<300ms" || last.Status != "fail" || last.Observed != "450ms" || last.FirstFailed == nil ||
		last.Message != "p95 450ms, want <300ms" {
		t.Errorf("threshold %+v", last)
	}
	if doc.Thresholds[0].Status != "pass" || doc.Thresholds[2].Status != "pending" || !doc.Thresholds[2].NoData {
		t.Errorf("statuses %q, %q", doc.Thresholds[0].Status, doc.Thresholds[2].Status)
	}
	if doc.Report.Iterations != 12_000 || doc.Report.Dropped != 300 {
		t.Errorf("iterations %d, dropped %d", doc.Report.Iterations, doc.Report.Dropped)
	}
	if doc.Report.Total.Intended == nil || doc.Report.Total.Intended.Percentiles["99"] <= 0 {
		t.Errorf("the total has no intended-start percentiles: %+v", doc.Report.Total.Intended)
	}
	if n := len(doc.Report.History); n == 0 || doc.Report.History[n-1].Intended["99"] <= 0 {
		t.Error("the history has no intended-start percentiles")
	}

	// Without thresholds nor the open model, none of it is there.
	c = &uiController{st: f.status, snap: uiShopAPI(60, time.Second).snap}
	b.Reset()
	if err := WriteHTMLReport(&b, ReportFromController(c)); err != nil {
		t.Fatal(err)
	}
	data, err := reportData(ReportFromController(c))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"thresholds"`, `"arrival_rate"`, `"max_users"`, `"shape"`, `"intended"`, `"iterations"`} {
		if bytes.Contains(data, []byte(key)) {
			t.Errorf("a closed-model report without thresholds holds %s", key)
		}
	}
}
