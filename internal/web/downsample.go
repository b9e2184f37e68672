package web

import (
	"time"

	"github.com/herdload/herd/internal/stats"
)

// downsample reduces per-second history rows (oldest first) to at most n
// points for a chart. Up to n rows come back as they are (the same slice).
// Otherwise the rows are cut into n consecutive buckets of equal size (±1)
// and each bucket becomes one row:
//
//   - CurrentRPS and CurrentFailPerSec: the bucket's mean;
//   - CurrentPercentiles and CurrentIntended: each percentile's maximum
//     over the bucket, so a latency spike survives; nil if no row of the
//     bucket has any;
//   - every other field (Time, Users, the whole-run totals and response
//     times): the bucket's last row, which is the latest state.
//
// It never modifies rows.
func downsample(rows []stats.HistoryRow, n int) []stats.HistoryRow {
	if n < 1 || len(rows) <= n {
		return rows
	}
	out := make([]stats.HistoryRow, n)
	for k := range out {
		lo, hi := k*len(rows)/n, (k+1)*len(rows)/n
		out[k] = mergeRows(rows[lo:hi])
	}
	return out
}

// mergeRows merges a non-empty bucket of rows as downsample describes.
func mergeRows(bucket []stats.HistoryRow) stats.HistoryRow {
	r := bucket[len(bucket)-1]
	var rps, fails float64
	var ps, intended []time.Duration
	for i := range bucket {
		b := &bucket[i]
		rps += b.CurrentRPS
		fails += b.CurrentFailPerSec
		ps = maxInto(ps, b.CurrentPercentiles)
		intended = maxInto(intended, b.CurrentIntended)
	}
	n := float64(len(bucket))
	r.CurrentRPS, r.CurrentFailPerSec = rps/n, fails/n
	r.CurrentPercentiles, r.CurrentIntended = ps, intended
	return r
}

// maxInto merges the percentiles ps into acc, element by element keeping
// the maximum; acc is nil until a non-nil ps arrives, and is never one of
// the rows' slices.
func maxInto(acc, ps []time.Duration) []time.Duration {
	if ps == nil {
		return acc
	}
	if acc == nil {
		acc = make([]time.Duration, 0, len(ps))
	}
	for j, v := range ps {
		if j == len(acc) {
			acc = append(acc, v)
		} else {
			acc[j] = max(acc[j], v)
		}
	}
	return acc
}
