package web

import (
	"io"
	"net/http"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/herdload/herd/internal/report"
	"github.com/herdload/herd/internal/stats"
)

// statsController is the fake controller over real statistics: every
// Snapshot is taken from them, as the controller of a run does.
type statsController struct {
	*fakeController
	st  *stats.Stats
	now func() time.Time
}

func (c *statsController) Snapshot() *stats.Snapshot { return c.st.Snapshot(c.now(), 50) }

// heapMB is the live heap after a collection, in MB.
func heapMB() float64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return float64(m.HeapAlloc) / (1 << 20)
}

// Issue 12: a test that requests 200,000 unique URLs without naming them.
// Through the real recording path (shards, the once-a-second drain,
// snapshots) with the default --max-names of 20,000, the statistics keep
// 20,000 names and one overflow row, and the heap stays bounded headless
// and with one live viewer, whose updates after the first are small; the
// UI keeps answering. Not parallel: it measures the heap.
func TestUniqueNamesMemory(t *testing.T) {
	const users = 64
	// The bounds: the measured live heap, 91 MB headless and 111 MB with a
	// viewer (about 4.5 KB per name kept: its entry in a shard, its
	// cumulative entry with its window, their histograms, the snapshot's
	// row), with room to spare.
	names, maxNames, perTick := 200_000, 20_000, 10_000 // new names a second
	headlessBoundMB, viewerBoundMB := 150.0, 200.0
	if raceDetector { // the same run, a tenth of it: the figures mean little there
		names, maxNames, perTick = 20_000, 2_000, 1_000
		headlessBoundMB, viewerBoundMB = 30, 40
	}
	base := heapMB()
	start := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	var clockNs atomic.Int64 // read by the hub's goroutine too
	clockNs.Store(start.UnixNano())
	now := func() time.Time { return time.Unix(0, clockNs.Load()).UTC() }
	st := stats.New(start, stats.Options{MaxNames: maxNames})
	seq := 0
	second := func(n int) {
		for range n {
			seq++
			fail := ""
			if seq%50 == 0 {
				fail = "HTTP 500 Internal Server Error"
			}
			st.Shard(seq%users).Record("GET", "/items/"+strconv.Itoa(seq), time.Duration(500+seq%20_000)*time.Microsecond, 1024, fail)
		}
		clockNs.Add(int64(time.Second))
		st.Tick(now(), users)
	}
	for range names / perTick {
		second(perTick)
	}
	snap := st.Snapshot(now(), users)
	report.WriteSummary(io.Discard, snap) // the console's summary, as headless
	headless := heapMB() - base
	runtime.KeepAlive(snap)
	t.Logf("headless: %d names recorded, %d rows kept; live heap %.1f MB (bound %.0f MB)", names, len(snap.Entries), headless, headlessBoundMB)
	if headless > headlessBoundMB {
		t.Errorf("headless heap %.1f MB, want under %.0f MB", headless, headlessBoundMB)
	}
	if len(snap.Entries) != maxNames+1 || !snap.NamesOverflowed {
		t.Fatalf("%d rows, overflowed %v: want %d names and the overflow row", len(snap.Entries), snap.NamesOverflowed, maxNames)
	}
	ov := &snap.Entries[0]
	if ov.Name != stats.OverflowName || ov.Requests != uint64(names-maxNames) || ov.Failures != uint64(names-maxNames)/50 {
		t.Errorf("overflow row %s: %d requests, %d failures; want %d, %d", ov.Name, ov.Requests, ov.Failures, names-maxNames, (names-maxNames)/50)
	}
	whole, err := report.MarshalStatsJSON(snap)
	if err != nil {
		t.Fatal(err)
	}

	// One viewer of the live UI, while unique names keep coming.
	ctl := &statsController{fakeController: newFake(), st: st, now: now}
	ctl.status.State = StateRunning
	s := New(Options{Assets: testAssets(), PushEvery: time.Hour}, ctl)
	ticks := make(chan time.Time)
	s.hub.ticks = ticks
	ts := httpTestServer(t, s)
	_, br, cancel := openEvents(t, ts.URL)
	first := nextLive(t, br)
	if !first.Full || first.Rows != maxNames+1 {
		t.Fatalf("first update: full %v, %d rows", first.Full, first.Rows)
	}
	var diffs []int
	for range 10 {
		second(perTick)
		ticks <- now()
		u := nextLive(t, br)
		if u.Full || u.Rows != maxNames+1 {
			t.Fatalf("update: full %v, %d rows", u.Full, u.Rows)
		}
		diffs = append(diffs, u.size)
	}
	resp, body := get(t, ts, "/api/state")
	wantStatus(t, resp, body, http.StatusOK)
	viewer := heapMB() - base
	t.Logf("one viewer: whole table %d KB (every update before), first update %d KB, then %v bytes; live heap %.1f MB (bound %.0f MB)",
		len(whole)/1024, first.size/1024, diffs, viewer, viewerBoundMB)
	if viewer > viewerBoundMB {
		t.Errorf("heap with one viewer %.1f MB, want under %.0f MB", viewer, viewerBoundMB)
	}
	if m := slicesMax(diffs); m > 20_000 {
		t.Errorf("updates after the first of up to %d bytes, want a few KB (the total, the overflow row, rows whose rate still decays)", m)
	}
	cancel()
}
