package web

import (
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/herdload/herd/internal/stats"
)

func row(sec int, users int, rps float64, p ...time.Duration) stats.HistoryRow {
	r := stats.HistoryRow{Time: t0.Add(time.Duration(sec) * time.Second), Users: users, Name: stats.TotalName,
		CurrentRPS: rps, CurrentFailPerSec: rps / 10, Requests: uint64(sec * 10), Median: time.Duration(sec) * time.Millisecond}
	if p != nil {
		r.CurrentPercentiles = p
	}
	return r
}

func TestDownsample(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	three := []stats.HistoryRow{row(0, 1, 10, ms, 2*ms), row(1, 2, 20, 5*ms, ms), row(2, 3, 30)}
	tests := []struct {
		name string
		rows []stats.HistoryRow
		n    int
		want []stats.HistoryRow
	}{
		{"empty", nil, 10, nil},
		{"fewer than n", three, 10, three},
		{"exactly n", three, 3, three},
		{"n below 1 keeps all", three, 0, three},
		{
			"one point",
			three, 1,
			[]stats.HistoryRow{func() stats.HistoryRow {
				r := row(2, 3, 20) // last row's time, users and totals; mean rates
				r.CurrentFailPerSec = 2
				r.CurrentPercentiles = []time.Duration{5 * ms, 2 * ms} // max of each
				return r
			}()},
		},
		{
			"two buckets of 1 and 2",
			three, 2,
			[]stats.HistoryRow{
				row(0, 1, 10, ms, 2*ms),
				func() stats.HistoryRow {
					r := row(2, 3, 25, 5*ms, ms) // percentiles from the only row with any
					r.CurrentFailPerSec = 2.5
					return r
				}(),
			},
		},
		{
			"bucket without percentiles",
			[]stats.HistoryRow{row(0, 1, 0), row(1, 1, 0), row(2, 1, 4, ms), row(3, 1, 4, 3*ms)}, 2,
			[]stats.HistoryRow{
				func() stats.HistoryRow { r := row(1, 1, 0); return r }(),
				func() stats.HistoryRow { r := row(3, 1, 4, 3*ms); return r }(),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			before := slices.Clone(tt.rows)
			got := downsample(tt.rows, tt.n)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("downsample(%d rows, %d) =\n%+v\nwant\n%+v", len(tt.rows), tt.n, got, tt.want)
			}
			if !reflect.DeepEqual(tt.rows, before) {
				t.Error("downsample modified its input")
			}
		})
	}
}

// TestDownsampleLongRun: a four-hour run (14,400 one-second rows) comes back
// within budget, in order, with its one-second latency spike and its last
// state intact.
func TestDownsampleLongRun(t *testing.T) {
	t.Parallel()
	const seconds = 4 * 60 * 60
	rows := make([]stats.HistoryRow, seconds)
	spikeAt := 9_999
	for i := range rows {
		p := make([]time.Duration, len(stats.Percentiles))
		for j := range p {
			p[j] = time.Duration(20+j) * time.Millisecond
		}
		if i == spikeAt {
			p[len(p)-1] = 30 * time.Second
			p[p95] = 12 * time.Second
		}
		rows[i] = row(i, 1+i/100, 100, p...)
	}
	for _, n := range []int{1200, 1000, 500, 7, 1} {
		got := downsample(rows, n)
		if len(got) > n || len(got) == 0 {
			t.Fatalf("n=%d: %d points", n, len(got))
		}
		var maxP100, maxP95 time.Duration
		for i, r := range got {
			if i > 0 && !r.Time.After(got[i-1].Time) {
				t.Fatalf("n=%d: points out of order at %d", n, i)
			}
			if r.CurrentRPS != 100 {
				t.Fatalf("n=%d: mean rps %v, want 100", n, r.CurrentRPS)
			}
			maxP100 = max(maxP100, r.CurrentPercentiles[len(r.CurrentPercentiles)-1])
			maxP95 = max(maxP95, r.CurrentPercentiles[p95])
		}
		if maxP100 != 30*time.Second || maxP95 != 12*time.Second {
			t.Errorf("n=%d: the spike was lost: max 100%% %v, 95%% %v", n, maxP100, maxP95)
		}
		last := got[len(got)-1]
		if !reflect.DeepEqual(last.Time, rows[seconds-1].Time) || last.Users != rows[seconds-1].Users || last.Requests != rows[seconds-1].Requests {
			t.Errorf("n=%d: last point %+v does not end the run", n, last)
		}
	}
}

// TestDownsampleIntended: the open model's percentiles from the intended
// start are merged like the service-time ones (the maximum of the bucket),
// never taken from the last row alone, and stay nil in the closed model.
func TestDownsampleIntended(t *testing.T) {
	t.Parallel()
	ms := time.Millisecond
	rows := []stats.HistoryRow{row(0, 1, 10, ms, 2*ms), row(1, 1, 10, ms, 2*ms), row(2, 1, 10, ms, 2*ms)}
	rows[0].CurrentIntended = []time.Duration{900 * ms, 1000 * ms} // a stall
	rows[2].CurrentIntended = []time.Duration{3 * ms, 4 * ms}
	got := downsample(rows, 1)
	if want := []time.Duration{900 * ms, 1000 * ms}; !slices.Equal(got[0].CurrentIntended, want) {
		t.Errorf("intended = %v, want the bucket's maximum %v", got[0].CurrentIntended, want)
	}
	if rows[2].CurrentIntended[0] != 3*ms {
		t.Error("downsample modified a row")
	}
	closed := []stats.HistoryRow{row(0, 1, 10, ms), row(1, 1, 10, ms)}
	if got := downsample(closed, 1); got[0].CurrentIntended != nil {
		t.Errorf("closed model: intended = %v, want nil", got[0].CurrentIntended)
	}
}
