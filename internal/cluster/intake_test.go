package cluster

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/herdload/herd/internal/histogram"
	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/wire"
)

// canonHist renders a delta entry's histogram, decoded or encoded.
func canonHist(h *histogram.Histogram, enc []byte) string {
	if h == nil && enc != nil {
		h = new(histogram.Histogram)
		if err := h.UnmarshalBinary(enc); err != nil {
			return "corrupt"
		}
	}
	if h == nil || h.Count() == 0 {
		return "-"
	}
	b, _ := h.MarshalBinary()
	return fmt.Sprintf("%x", b)
}

// canonDelta renders what a master merges from a report, whatever form
// its histograms take; failures are a multiset (the reference's come from
// a map).
func canonDelta(d *stats.Delta, info reportInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%v %v %d %d herd=%v open=%d classes=%v counts=%v\n", d.Start.UnixNano(), d.End.UnixNano(),
		d.Iterations, d.Dropped, info.herd, info.openDone, info.classes, info.counts)
	for _, e := range d.Entries {
		fmt.Fprintf(&b, "%q %q %d %d %d %d %s %s\n", e.Method, e.Name, e.Requests, e.Failures, e.Size,
			e.LastRequest.UnixNano(), canonHist(e.Hist, e.HistBinary), canonHist(e.Intended, e.IntendedBinary))
	}
	var fails []string
	for _, f := range d.Failures {
		fails = append(fails, fmt.Sprintf("%q %q %q %d", f.Method, f.Name, f.Error, f.Occurrences))
	}
	slices.Sort(fails)
	fmt.Fprintln(&b, fails, d.Errors)
	extra := map[string]string{}
	for _, f := range info.extra {
		extra[string(f.Key)] = fmt.Sprintf("%x", f.Value)
	}
	for _, k := range slices.Sorted(maps.Keys(extra)) {
		fmt.Fprintf(&b, "%s=%s\n", k, extra[k])
	}
	return b.String()
}

// plainExt reports whether a report's herd extension (if any) has the
// shape herd writes: a map with str keys whose hists and intended are
// maps of str keys to bin, str or nil. Only such extensions must be read
// exactly as the reference reads them: intake refuses some oddities that
// msgpack.Unmarshal lets through (an extension given as an array, bin
// keys), and that no herd worker sends.
func plainExt(data []byte) bool {
	r, err := wire.DecodeStatsReport(data)
	if err != nil {
		return true
	}
	raw, ok := r.Extra[extKey]
	if !ok {
		return true
	}
	v, err := wire.DecodeValue(raw)
	if err != nil {
		return false
	}
	if v == nil {
		return true
	}
	m, ok := v.(map[string]any)
	if !ok {
		return false
	}
	for _, k := range []string{"hists", "intended"} {
		switch h := m[k].(type) {
		case nil:
		case map[string]any:
			for _, x := range h {
				switch x.(type) {
				case nil, []byte, string:
				default:
					return false
				}
			}
		default:
			return false
		}
	}
	return true
}

// checkIntake reads data with a reused intake and with the reference:
// the same verdict and the same delta.
func checkIntake(t *testing.T, in *intake, ref *refHists, data []byte) {
	t.Helper()
	now := time.Unix(1_800_000_000, 0)
	want, wantInfo, errWant := readReportRef(data, now, ref)
	got, gotInfo, errGot := in.read(data, now)
	if (errWant == nil) != (errGot == nil) {
		if !plainExt(data) {
			return
		}
		t.Fatalf("reference error %v, intake error %v", errWant, errGot)
	}
	if errGot != nil {
		return
	}
	if a, b := canonDelta(want, wantInfo), canonDelta(got, gotInfo); a != b {
		t.Fatalf("intake differs from the reference:\nwant %s\ngot  %s", a, b)
	}
	ref.recycle(want)
}

// intakeReports are herd and Locust reports of a worker, as on the wire.
func intakeReports(t testing.TB) [][]byte {
	w := stats.New(t0, stats.Options{Shards: 1})
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 500 {
		fail := ""
		if i%7 == 0 {
			fail = "HTTP 500"
		}
		w.Shard(0).Record([]string{"GET", "POST"}[i%2], fmt.Sprintf("/item/%d", i%9),
			time.Duration(r.ExpFloat64()*float64(20*time.Millisecond)), 100, fail)
	}
	w.Shard(0).RecordIntended("GET", "/open", time.Millisecond, 3*time.Millisecond, 1, "")
	w.Shard(0).AddIterations(4, 1)
	w.Shard(0).RecordError("boom", "task", "trace")
	herd, err := toReportDone(w.TakeDelta(t0.Add(3*time.Second)), map[string]int{"U": 3, "V": 0},
		[]Class{{Name: "U", Weight: 2}}, 42)
	if err != nil {
		t.Fatal(err)
	}
	locust := herd
	locust.Extra = nil
	// A herd report whose histogram says fewer requests than the entry.
	short := herd
	short.Stats = slices.Clone(herd.Stats)
	short.Stats[0].NumRequests += 5
	var out [][]byte
	for _, rep := range []wire.StatsReport{herd, locust, short} {
		b, err := rep.MarshalData()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	bins, _ := filepath.Glob(filepath.Join("..", "wire", "testdata", "vectors", "*", "stats*.bin"))
	more, _ := filepath.Glob(filepath.Join("..", "wire", "testdata", "vectors", "stats*.bin"))
	for _, bin := range append(bins, more...) {
		b, err := os.ReadFile(bin)
		if err != nil {
			t.Fatal(err)
		}
		m, err := wire.Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, m.Data)
	}
	return out
}

func TestIntakeMatchesReference(t *testing.T) {
	t.Parallel()
	var in intake
	var ref refHists
	reports := intakeReports(t)
	for range 2 { // the second round reuses everything
		for _, data := range reports {
			checkIntake(t, &in, &ref, data)
		}
	}
	// The herd report is read exactly, the Locust one from its buckets.
	d, info, err := in.read(reports[0], t0.Add(3*time.Second))
	if err != nil || !info.herd || info.openDone != 42 || len(info.classes) != 1 || d.Iterations != 4 {
		t.Fatalf("herd report: %v, %+v", err, info)
	}
	for _, e := range d.Entries {
		if e.Hist != nil || e.HistBinary == nil {
			t.Errorf("%s %s: not merged from its encoding", e.Method, e.Name)
		}
	}
}

// TestIntakeAllocations: once warm, reading a report of 100 entries
// allocates a few times per report (the extension's small fields), not
// per entry.
func TestIntakeAllocations(t *testing.T) {
	reports := intakeReports(t)
	var in intake
	for _, data := range reports[:2] {
		if _, _, err := in.read(data, t0); err != nil {
			t.Fatal(err)
		}
		allocs := testing.AllocsPerRun(20, func() {
			if _, _, err := in.read(data, t0); err != nil {
				t.Fatal(err)
			}
		})
		if allocs > 12 {
			t.Errorf("%.0f allocations per report", allocs)
		}
	}
}

// FuzzIntakeMatchesReference holds the master's report decoding to the
// one it replaced (reference_test.go) on arbitrary data, one intake reused
// throughout: Locust reports, and herd reports with a plain extension, are
// read the same, or refused both.
func FuzzIntakeMatchesReference(f *testing.F) {
	for _, data := range intakeReports(f) {
		f.Add(data)
	}
	var in intake
	var ref refHists
	f.Fuzz(func(t *testing.T, data []byte) {
		checkIntake(t, &in, &ref, data)
	})
}

// TestIntakeLetsGoOfLargeReports: the buffers a very large report grew are
// dropped once reports are small again, and Locust workers' histograms
// are kept up to keptHists.
func TestIntakeLetsGoOfLargeReports(t *testing.T) {
	t.Parallel()
	w := stats.New(t0, stats.Options{Shards: 1})
	for i := range largeReport + 10 {
		w.Shard(0).Record("GET", fmt.Sprintf("/%d", i), time.Millisecond, 1, "")
	}
	large, err := toReport(w.TakeDelta(t0.Add(time.Second)), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	large.Extra = nil // a Locust worker's: histograms from rounded buckets
	big, err := large.MarshalData()
	if err != nil {
		t.Fatal(err)
	}
	var in intake
	d, _, err := in.read(big, t0)
	if err != nil || len(d.Entries) != largeReport+10 || len(in.hists) != keptHists {
		t.Fatalf("large report: %v, %d entries, %d histograms kept", err, len(d.Entries), len(in.hists))
	}
	small := intakeReports(t)[0]
	for range 2 {
		if _, _, err := in.read(small, t0); err != nil {
			t.Fatal(err)
		}
	}
	if c := cap(in.delta.Entries); c > largeReport {
		t.Errorf("still %d entries' room after small reports", c)
	}
}
