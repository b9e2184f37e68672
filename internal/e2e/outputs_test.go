package e2e

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// view is what one output says about a run: requests and failures per
// endpoint and in its total row.
type view struct {
	name  string
	kind  viewKind
	eps   map[endpoint]tally
	total *tally   // nil: the output has no total row
	errs  []string // what the output could not tell (missing, unreadable, malformed), or got wrong
}

// viewKind is what an output can be compared on.
type viewKind int

const (
	fullView     viewKind = iota // requests and failures per endpoint
	failuresView                 // a failure table: failures per endpoint, summed over its messages
	totalView                    // a total row only
	checkView                    // nothing to count: only its errs
)

func newView(name string) *view { return &view{name: name, eps: map[endpoint]tally{}} }

func (v *view) bad(format string, args ...any) *view {
	v.errs = append(v.errs, fmt.Sprintf(format, args...))
	return v
}

// add counts a row; a row named twice is an error (every output has one
// row per endpoint).
func (v *view) add(ep endpoint, tl tally) {
	if _, dup := v.eps[ep]; dup && v.kind == fullView {
		v.bad("two rows for %s", ep)
	}
	cur := v.eps[ep]
	v.eps[ep] = tally{cur.requests + tl.requests, cur.failures + tl.failures}
}

// compare lists how v differs from the target's count, sorted.
func (v *view) compare(want map[endpoint]tally) []string {
	out := append([]string(nil), v.errs...)
	if v.kind == checkView {
		return out
	}
	var sum tally
	for ep, w := range want {
		sum.requests += w.requests
		sum.failures += w.failures
		got, ok := v.eps[ep]
		switch {
		case v.kind == totalView:
		case v.kind == failuresView && got.failures != w.failures:
			out = append(out, fmt.Sprintf("%s: %d failures, the target %d", ep, got.failures, w.failures))
		case v.kind == failuresView:
		case !ok:
			out = append(out, fmt.Sprintf("%s: no row, the target counted %d requests, %d failures", ep, w.requests, w.failures))
		case got != w:
			out = append(out, fmt.Sprintf("%s: %d requests, %d failures; the target %d, %d", ep, got.requests, got.failures, w.requests, w.failures))
		}
	}
	for ep, got := range v.eps {
		if _, ok := want[ep]; !ok && got != (tally{}) {
			out = append(out, fmt.Sprintf("%s: %d requests, %d failures, the target never saw it", ep, got.requests, got.failures))
		}
	}
	if v.total != nil && *v.total != sum {
		out = append(out, fmt.Sprintf("total: %d requests, %d failures; the target %d, %d", v.total.requests, v.total.failures, sum.requests, sum.failures))
	}
	slices.Sort(out)
	return out
}

// differences compares every view with the target's count and lists each
// difference once, with the outputs that have it.
func differences(views []*view, want map[endpoint]tally) []string {
	var order []string
	where := map[string][]string{}
	for _, v := range views {
		for _, d := range v.compare(want) {
			if where[d] == nil {
				order = append(order, d)
			}
			where[d] = append(where[d], v.name)
		}
	}
	for i, d := range order {
		order[i] = d + "\n\tin " + strings.Join(where[d], ", ")
	}
	return order
}

// Console tables: herd's and Locust's have the same layout.
var (
	statsHeader = regexp.MustCompile(`(?m)^Type +Name +# reqs +# fails +\|`)
	// A row up to its first "|": type (empty for the total), name,
	// requests, failures(percent).
	statsRow  = regexp.MustCompile(`^(\S*) +(\S+) +(\d+) +(\d+)\([0-9.]+%\) +\|`)
	errorsRow = regexp.MustCompile(`^(\d+) +(\S+) (\S+): `)
)

// consoleSummary reads the last statistics table of a console output (the
// final summary), and the error report after it. It skips a line prefix
// (Locust's log format) by matching from the header's column.
func consoleSummary(name, out string) (*view, *view) {
	v, ev := newView(name), newView(name+" error report")
	ev.kind = failuresView
	locs := statsHeader.FindAllStringIndex(out, -1)
	if locs == nil {
		return v.bad("no statistics table in the output"), ev.bad("no statistics table in the output")
	}
	lines := strings.Split(out[locs[len(locs)-1][0]:], "\n")
	seps := 0
	i := 1
	for ; i < len(lines) && seps < 2; i++ {
		line := lines[i]
		if strings.HasPrefix(line, "---") {
			seps++
			continue
		}
		m := statsRow.FindStringSubmatch(line)
		if m == nil {
			v.bad("unreadable row %q", line)
			continue
		}
		reqs, _ := strconv.Atoi(m[3])
		fails, _ := strconv.Atoi(m[4])
		v.add(endpoint{m[1], m[2]}, tally{reqs, fails})
	}
	if i < len(lines) {
		if m := statsRow.FindStringSubmatch(lines[i]); m != nil && m[1] == "" && m[2] == "Aggregated" {
			reqs, _ := strconv.Atoi(m[3])
			fails, _ := strconv.Atoi(m[4])
			v.total = &tally{reqs, fails}
		}
	}
	if v.total == nil {
		v.bad("no Aggregated row")
	}
	rest := strings.Join(lines[i:], "\n")
	at := strings.Index(rest, "Error report")
	if at < 0 {
		return v, ev // no failures at all: an empty table is left out
	}
	for _, line := range strings.Split(rest[at:], "\n")[3:] {
		if strings.HasPrefix(line, "---") {
			break
		}
		if m := errorsRow.FindStringSubmatch(line); m != nil {
			n, _ := strconv.Atoi(m[1])
			ev.add(endpoint{m[2], m[3]}, tally{failures: n})
		}
	}
	return v, ev
}

// readCSV reads a CSV file as rows of column → value.
func readCSV(path string) ([]map[string]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return nil, err
	}
	if len(recs) == 0 {
		return nil, fmt.Errorf("empty")
	}
	var rows []map[string]string
	for _, rec := range recs[1:] {
		row := map[string]string{}
		for i, col := range recs[0] {
			if i < len(rec) {
				row[col] = rec[i]
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

func atoi(s string) int {
	n, err := strconv.Atoi(s)
	if err != nil {
		return -1
	}
	return n
}

// csvViews reads the four CSV files of --csv prefix --csv-full-history:
// _stats.csv, the last row of each endpoint and of the total in
// _stats_history.csv, _failures.csv, and _exceptions.csv (which must be
// empty: the users' code raises nothing).
func csvViews(prefix string) []*view {
	st := newView("_stats.csv")
	if rows, err := readCSV(prefix + "_stats.csv"); err != nil {
		st.bad("%v", err)
	} else {
		for _, r := range rows {
			tl := tally{atoi(r["Request Count"]), atoi(r["Failure Count"])}
			if r["Type"] == "" && r["Name"] == "Aggregated" {
				st.total = &tl
				continue
			}
			st.add(endpoint{r["Type"], r["Name"]}, tl)
		}
		if st.total == nil {
			st.bad("no Aggregated row")
		}
	}

	hist := newView("_stats_history.csv (last rows)")
	if rows, err := readCSV(prefix + "_stats_history.csv"); err != nil {
		hist.bad("%v", err)
	} else {
		last := map[endpoint]tally{}
		for _, r := range rows {
			last[endpoint{r["Type"], r["Name"]}] = tally{atoi(r["Total Request Count"]), atoi(r["Total Failure Count"])}
		}
		for ep, tl := range last {
			if ep == (endpoint{"", "Aggregated"}) {
				hist.total = &tl
				continue
			}
			hist.add(ep, tl)
		}
		if hist.total == nil {
			hist.bad("no Aggregated row")
		}
	}

	fails := newView("_failures.csv")
	fails.kind = failuresView
	if rows, err := readCSV(prefix + "_failures.csv"); err != nil {
		fails.bad("%v", err)
	} else {
		for _, r := range rows {
			fails.add(endpoint{r["Method"], r["Name"]}, tally{failures: atoi(r["Occurrences"])})
		}
	}

	exc := newView("_exceptions.csv")
	exc.kind = checkView
	if rows, err := readCSV(prefix + "_exceptions.csv"); err != nil {
		exc.bad("%v", err)
	} else if len(rows) > 0 {
		exc.bad("%d errors in user code, want none: %v", len(rows), rows)
	}
	return []*view{st, hist, fails, exc}
}

// jsonEntry and jsonDoc are the parts of herd's JSON report (and of the
// HTML report's embedded copy) the matrix reads.
type jsonEntry struct {
	Method   string `json:"method"`
	Name     string `json:"name"`
	Requests int    `json:"num_requests"`
	Failures int    `json:"num_failures"`
}

type jsonDoc struct {
	Stats    []jsonEntry `json:"stats"`
	Total    *jsonEntry  `json:"total"`
	Failures []struct {
		Method      string `json:"method"`
		Name        string `json:"name"`
		Occurrences int    `json:"occurrences"`
	} `json:"failures"`
	Errors  []json.RawMessage `json:"errors"`
	History []jsonEntry       `json:"history"`
}

// docViews turns a report document into its statistics, its failure table
// and (when withHistory) the last row of its history.
func docViews(name string, doc *jsonDoc, withHistory bool) []*view {
	st, fails := newView(name), newView(name+" failures")
	fails.kind = failuresView
	for _, e := range doc.Stats {
		st.add(endpoint{e.Method, e.Name}, tally{e.Requests, e.Failures})
	}
	if doc.Total == nil {
		st.bad("no total")
	} else {
		st.total = &tally{doc.Total.Requests, doc.Total.Failures}
	}
	if len(doc.Errors) > 0 {
		st.bad("%d errors in user code, want none: %s", len(doc.Errors), doc.Errors)
	}
	for _, f := range doc.Failures {
		fails.add(endpoint{f.Method, f.Name}, tally{failures: f.Occurrences})
	}
	out := []*view{st, fails}
	if withHistory {
		h := newView(name + " history (last row)")
		h.kind = totalView
		if n := len(doc.History); n == 0 {
			h.bad("no history")
		} else {
			last := doc.History[n-1]
			h.total = &tally{last.Requests, last.Failures}
		}
		out = append(out, h)
	}
	return out
}

// jsonViews reads --json-file.
func jsonViews(path string) []*view {
	var doc jsonDoc
	b, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(b, &doc)
	}
	if err != nil {
		return []*view{newView("JSON report").bad("%v", err)}
	}
	return docViews("JSON report", &doc, true)
}

var htmlData = regexp.MustCompile(`(?s)<script type="application/json" id="herd-report">(.*?)</script>`)

// htmlViews reads --html: the data it embeds for its tables.
func htmlViews(path string) []*view {
	b, err := os.ReadFile(path)
	if err != nil {
		return []*view{newView("HTML report").bad("%v", err)}
	}
	m := htmlData.FindSubmatch(b)
	if m == nil {
		return []*view{newView("HTML report").bad("no embedded data")}
	}
	var outer struct {
		Report jsonDoc `json:"report"`
	}
	if err := json.Unmarshal(m[1], &outer); err != nil {
		return []*view{newView("HTML report").bad("%v", err)}
	}
	return docViews("HTML report", &outer.Report, false)
}

// statsRequests reads /stats/requests of a web UI at base: its table and
// its failures ("errors").
func statsRequests(base string) []*view {
	v, fails := newView("/stats/requests"), newView("/stats/requests errors")
	fails.kind = failuresView
	var doc struct {
		Stats []struct {
			Method   *string `json:"method"`
			Name     string  `json:"name"`
			Requests int     `json:"num_requests"`
			Failures int     `json:"num_failures"`
		} `json:"stats"`
		Errors []struct {
			Method      string `json:"method"`
			Name        string `json:"name"`
			Occurrences int    `json:"occurrences"`
		} `json:"errors"`
	}
	if err := getJSON(base+"/stats/requests", &doc); err != nil {
		return []*view{v.bad("%v", err)}
	}
	for _, s := range doc.Stats {
		if s.Method == nil {
			v.total = &tally{s.Requests, s.Failures}
			continue
		}
		v.add(endpoint{*s.Method, s.Name}, tally{s.Requests, s.Failures})
	}
	if v.total == nil {
		v.bad("no total row")
	}
	for _, e := range doc.Errors {
		fails.add(endpoint{e.Method, e.Name}, tally{failures: e.Occurrences})
	}
	return []*view{v, fails}
}

var webClient = &http.Client{Timeout: 10 * time.Second}

func getJSON(url string, v any) error {
	resp, err := webClient.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: %s: %s", url, resp.Status, b)
	}
	return json.Unmarshal(b, v)
}
