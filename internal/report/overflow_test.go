package report

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/herdload/herd/internal/stats"
)

// overflowFixture is a run that went past --max-names: one name of its
// own and the overflow row.
func overflowFixture() *stats.Snapshot {
	e := func(method, name string, n uint64) stats.Entry {
		return stats.Entry{Method: method, Name: name, Requests: n, Min: ms(1), Max: ms(3), Mean: ms(2), Median: ms(2),
			Percentiles: pcts(2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3), RPS: float64(n) / 10, CurrentRPS: float64(n) / 10}
	}
	s := &stats.Snapshot{
		Time: t0.Add(10 * time.Second), Start: t0, Duration: 10 * time.Second, Users: 5,
		Entries:  []stats.Entry{e("", stats.OverflowName, 180000), e("GET", "/items/1", 1)},
		Total:    e("", stats.TotalName, 180001),
		MaxNames: 20000, NamesOverflowed: true,
	}
	return s
}

func TestNamesOverflowGolden(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	WriteSummary(&b, overflowFixture())
	golden(t, "overflow_summary.txt", b.Bytes())
	b.Reset()
	if err := WriteJSON(&b, overflowFixture(), nil); err != nil {
		t.Fatal(err)
	}
	golden(t, "overflow_report.json", b.Bytes())
}

func TestNamesOverflowWarning(t *testing.T) {
	t.Parallel()
	s := overflowFixture()
	w := NamesOverflowWarning(s)
	for _, want := range []string{"--max-names (20000)", "180000 requests", stats.OverflowName, "herd.Name"} {
		if !strings.Contains(w, want) {
			t.Errorf("warning %q lacks %q", w, want)
		}
	}
	s.MaxNames = 0 // a master without a cap, whose workers reached theirs
	if w := NamesOverflowWarning(s); !strings.Contains(w, "the --max-names cap") {
		t.Errorf("warning without a cap of its own: %q", w)
	}
	if w := NamesOverflowWarning(fixture()); w != "" {
		t.Errorf("a run within the cap warns %q", w)
	}
	var b bytes.Buffer
	WriteSummary(&b, fixture())
	if strings.Contains(b.String(), "Warning") {
		t.Error("the summary of a run within the cap warns")
	}
	js, err := MarshalStatsJSON(fixture())
	if err != nil || bytes.Contains(js, []byte("names_overflow")) {
		t.Errorf("a run within the cap has names_overflow in its JSON (%v)", err)
	}
}

// A live update's part: only the items asked for, in that order.
func TestMarshalStatsPartJSON(t *testing.T) {
	t.Parallel()
	s := fixture()
	type doc struct {
		Stats    []map[string]any `json:"stats"`
		Total    map[string]any   `json:"total"`
		Failures []map[string]any `json:"failures"`
		Errors   []map[string]any `json:"errors"`
	}
	decode := func(b []byte, err error) doc {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		var d doc
		if err := json.Unmarshal(b, &d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	d := decode(MarshalStatsPartJSON(s, []int{4, 1}, []int{2}, nil))
	if len(d.Stats) != 2 || d.Stats[0]["name"] != s.Entries[4].Name || d.Stats[1]["name"] != s.Entries[1].Name {
		t.Errorf("part rows %v, want entries 4 and 1", d.Stats)
	}
	if len(d.Failures) != 1 || d.Failures[0]["error"] != s.Failures[2].Error || d.Errors == nil || len(d.Errors) != 0 {
		t.Errorf("part lists: failures %v, errors %v; want failure 2 and [] (not null)", d.Failures, d.Errors)
	}
	if d.Total["name"] != stats.TotalName {
		t.Errorf("part total %v", d.Total)
	}
	// A part's items are the whole document's.
	whole := decode(MarshalStatsJSON(s))
	part := decode(MarshalStatsPartJSON(s, []int{2}, []int{0}, []int{1}))
	for _, c := range [][2]any{{whole.Stats[2], part.Stats[0]}, {whole.Failures[0], part.Failures[0]}, {whole.Errors[1], part.Errors[0]}} {
		a, _ := json.Marshal(c[0])
		b, _ := json.Marshal(c[1])
		if !bytes.Equal(a, b) {
			t.Errorf("part item %s differs from the document's %s", b, a)
		}
	}
}
