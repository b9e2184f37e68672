// Command extend_web_ui is Locust's extend_web_ui example in herd: event
// listeners sum the content length of every response per endpoint, and the
// test adds to the web UI a "Content Length" tab (its page, script and
// style in static/), the JSON it reads (/content-length) and a CSV download
// (/content-length/csv). Like Locust's, its users test the load tester's
// own web UI: start it with the web UI on 127.0.0.1:8089,
//
//	go run ./examples/locust/extend_web_ui --web-host 127.0.0.1 --autostart -u 5
//
// and open the tab. Distributed, each worker sends its sums in its reports
// and the master's page shows them added up.
package main

import (
	"context"
	"embed"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"html"
	"io/fs"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/herdload/herd"
)

// WebsiteUser runs MyTaskSet: the home page twice as often as the
// statistics.
type WebsiteUser struct{ herd.HTTPUser }

func (u *WebsiteUser) Tasks() []herd.Task {
	return []herd.Task{{Name: "MyTaskSet", Set: &herd.TaskSet{Tasks: []herd.Task{
		{Name: "index", Weight: 2, Run: func(ctx context.Context) error { return u.Client.Get(ctx, "/").Err() }},
		{Name: "stats", Weight: 1, Run: func(ctx context.Context) error {
			return u.Client.Get(ctx, "/stats/requests").Err()
		}},
	}}}}
}

// contentLengths are the bytes received per request name: on a master its
// workers', on a worker those since its last report.
type contentLengths struct {
	mu    sync.Mutex
	bytes map[string]int64
}

func (c *contentLengths) add(name string, n int64) {
	c.mu.Lock()
	c.bytes[name] += n
	c.mu.Unlock()
}

// take returns the sums and starts again from none.
func (c *contentLengths) take() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.bytes
	c.bytes = map[string]int64{}
	return b
}

// snapshot returns a copy of the sums.
func (c *contentLengths) snapshot() map[string]int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return maps.Clone(c.bytes)
}

// maxRows is how many rows /content-length returns: more would make the
// page slow to render (Locust's example keeps 500 too).
const maxRows = 500

// row is one endpoint in /content-length, with Locust's keys.
type row struct {
	Name          string `json:"name"`
	SafeName      string `json:"safe_name"`
	ContentLength int64  `json:"content_length"`
}

// static holds the tab's page: extend.html, extend.js,
// custom-stats-table.css.
//
//go:embed static
var static embed.FS

// newTest is the test.
func newTest() *herd.Test {
	test := &herd.Test{Users: []*herd.UserType{{
		Name: "WebsiteUser",
		Host: "http://127.0.0.1:8089",
		New:  func() herd.User { return new(WebsiteUser) },
		Wait: herd.Between(2*time.Second, 5*time.Second),
	}}}
	stats := &contentLengths{bytes: map[string]int64{}}

	// Every request, on the node that sent it (Locust's request event).
	test.Events.OnRequest(func(r herd.Request) { stats.add(r.Name, r.Size) })
	// The UI's Reset Stats empties the sums too (Locust's reset_stats).
	test.Events.OnResetStats(func(context.Context) { stats.take() })
	// A worker sends its sums with each report and starts again; the
	// master adds them up, whatever number type msgpack carried.
	test.Events.OnReportToMaster(func(_ context.Context, data map[string]any) {
		sums := map[string]any{}
		for name, n := range stats.take() {
			sums[name] = n
		}
		data["content-length"] = sums
	})
	test.Events.OnWorkerReport(func(_ context.Context, _ string, data map[string]any) {
		sums, ok := herd.ReportMap(data, "content-length")
		if !ok {
			return
		}
		for name := range sums {
			if n, ok := herd.ReportInt(sums, name); ok {
				stats.add(name, n)
			}
		}
	})

	page, err := fs.Sub(static, "static")
	if err != nil {
		panic(err) // the embedded folder exists
	}
	test.WebUI = herd.WebUI{
		Handlers: map[string]http.Handler{
			// The tab's page and its files.
			"/extend/": http.StripPrefix("/extend/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "" {
					http.ServeFileFS(w, r, page, "extend.html")
					return
				}
				http.FileServerFS(page).ServeHTTP(w, r)
			})),
			// The total content length of each endpoint, for the page.
			"/content-length": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				sums := stats.snapshot()
				rows := make([]row, 0, min(len(sums), maxRows))
				for _, name := range slices.Sorted(maps.Keys(sums)) {
					if len(rows) == maxRows {
						break
					}
					rows = append(rows, row{Name: name, SafeName: html.EscapeString(name), ContentLength: sums[name]})
				}
				w.Header().Set("Content-Type", "application/json")
				json.NewEncoder(w).Encode(map[string]any{"stats": rows})
			}),
			// The same as a CSV download.
			"/content-length/csv": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				sums := stats.snapshot()
				w.Header().Set("Content-Type", "text/csv")
				w.Header().Set("Content-Disposition", fmt.Sprintf("attachment;filename=content_length%d.csv", time.Now().Unix()))
				cw := csv.NewWriter(w)
				cw.Write([]string{"Name", "Total content-length"})
				for _, name := range slices.Sorted(maps.Keys(sums)) {
					cw.Write([]string{csvText(name), strconv.FormatInt(sums[name], 10)})
				}
				cw.Flush()
			}),
		},
		Tabs: []herd.WebTab{{Title: "Content Length", Path: "/extend/"}},
	}
	return test
}

// csvText keeps a spreadsheet from running a name as a formula, as herd's
// own CSV files do.
func csvText(s string) string {
	if s != "" && (s[0] == '=' || s[0] == '+' || s[0] == '-' || s[0] == '@' || s[0] == '\t' || s[0] == '\r') {
		return "'" + s
	}
	return s
}

func main() { herd.Main(newTest()) }
