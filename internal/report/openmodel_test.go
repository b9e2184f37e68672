package report

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/herdload/herd/internal/histogram"
	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/threshold"
)

// openFixture is fixture() as an open-model run: intended-start timings on
// the entries that have requests, and iteration counts.
func openFixture() *stats.Snapshot {
	s := fixture()
	add := func(e *stats.Entry, lateBy time.Duration) {
		if e.Requests == 0 {
			return
		}
		t := &stats.Timing{Min: e.Min, Max: e.Max + lateBy, Mean: e.Mean + lateBy/10,
			Median: e.Median, Percentiles: make([]time.Duration, len(e.Percentiles))}
		for i, p := range e.Percentiles {
			t.Percentiles[i] = p + lateBy*time.Duration(i)/time.Duration(len(e.Percentiles)-1)
		}
		e.Intended = t
	}
	for i := range s.Entries {
		add(&s.Entries[i], time.Second)
	}
	add(&s.Total, time.Second)
	s.Iterations, s.Dropped = 12400, 96
	return s
}

// thresholdFixture evaluates real thresholds over one second of requests.
func thresholdFixture(t *testing.T) []threshold.Result {
	t.Helper()
	list, err := threshold.ParseAll([]string{"p95<300ms", "GET /: max<1s;abort", "fail_ratio[10s]<1%", "GET </script>: p50<1s"})
	if err != nil {
		t.Fatal(err)
	}
	e := threshold.New(t0, list)
	var h histogram.Histogram
	for i := range 100 {
		h.Record(time.Duration(i) * 3 * time.Millisecond)
	}
	e.Observe(t0.Add(time.Second), []threshold.Sample{{Method: "GET", Name: "/", Requests: 100, Failures: 3, Hist: &h}})
	return e.Final()
}

func TestOpenModelGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		file  string
		write func(io.Writer, *stats.Snapshot) error
	}{
		{"open_stats_current.txt", func(w io.Writer, s *stats.Snapshot) error { WriteStats(w, s, true); return nil }},
		{"open_summary.txt", func(w io.Writer, s *stats.Snapshot) error { WriteSummary(w, s); return nil }},
		{"open_stats.csv", WriteStatsCSV},
		{"open_report.json", func(w io.Writer, s *stats.Snapshot) error {
			return WriteRunJSON(w, s, nil, thresholdFixture(t))
		}},
		{"open_stats_history.csv", func(w io.Writer, _ *stats.Snapshot) error {
			rows := fixtureHistory()
			for i := range rows {
				if rows[i].CurrentPercentiles != nil && i%2 == 0 {
					rows[i].CurrentIntended = make([]time.Duration, len(rows[i].CurrentPercentiles))
					for j, p := range rows[i].CurrentPercentiles {
						rows[i].CurrentIntended[j] = p + 250*time.Millisecond
					}
				}
			}
			if err := WriteIntendedHistoryHeader(w); err != nil {
				return err
			}
			return WriteIntendedHistoryRows(w, rows)
		}},
		{"thresholds.txt", func(w io.Writer, _ *stats.Snapshot) error { WriteThresholds(w, thresholdFixture(t)); return nil }},
	} {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			var b bytes.Buffer
			if err := tc.write(&b, openFixture()); err != nil {
				t.Fatal(err)
			}
			golden(t, tc.file, b.Bytes())
		})
	}
}

// Closed-model output is unchanged by the open-model additions: no
// Intended columns, no iteration line.
func TestClosedModelHasNoOpenModelOutput(t *testing.T) {
	t.Parallel()
	var b bytes.Buffer
	WriteSummary(&b, fixture())
	WriteStats(&b, fixture(), true)
	if err := WriteStatsCSV(&b, fixture()); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"Intended", "intended", "Iterations", "Open model"} {
		if bytes.Contains(b.Bytes(), []byte(bad)) {
			t.Errorf("closed-model output mentions %q", bad)
		}
	}
}
