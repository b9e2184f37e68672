package wire

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// asReport converts a view into the StatsReport it stands for, without
// the per-second counters (which a view only checks).
func (v *StatsReportView) asReport() StatsReport {
	entry := func(e StatsEntryView) StatsEntry {
		out := StatsEntry{Name: string(e.Name), StartTime: e.StartTime, NumRequests: e.NumRequests,
			NumNoneRequests: e.NumNoneRequests, NumFailures: e.NumFailures, TotalResponseTime: e.TotalResponseTime,
			MaxResponseTime: e.MaxResponseTime, TotalContentLength: e.TotalContentLength}
		if !e.MethodNil {
			m := string(e.Method)
			out.Method = &m
		}
		if e.HasLastRequest {
			ts := e.LastRequestTimestamp
			out.LastRequestTimestamp = &ts
		}
		if e.HasMin {
			lo := e.MinResponseTime
			out.MinResponseTime = &lo
		}
		out.ResponseTimes = append(out.ResponseTimes, e.ResponseTimes...)
		return out
	}
	r := StatsReport{StatsTotal: entry(v.Total), UserCount: v.UserCount}
	for _, e := range v.Stats {
		r.Stats = append(r.Stats, entry(e))
	}
	if len(v.Errors) > 0 {
		r.Errors = map[string]StatsError{}
	}
	for _, e := range v.Errors {
		r.Errors[string(e.key)] = StatsError{Name: string(e.Name), Method: string(e.Method), Error: string(e.Error),
			Occurrences: e.Occurrences}
	}
	if len(v.UserClasses) > 0 {
		r.UserClassesCount = map[string]int{}
	}
	for _, c := range v.UserClasses {
		r.UserClassesCount[string(c.Name)] = c.Count
	}
	for _, f := range v.Extra {
		if r.Extra == nil {
			r.Extra = map[string]msgpack.RawMessage{}
		}
		r.Extra[string(f.Key)] = append(msgpack.RawMessage(nil), f.Value...)
	}
	return r
}

// comparable drops what a view does not keep: the per-second counters
// and the errors' first_seen and last_seen.
func comparable(r StatsReport) StatsReport {
	clean := func(e StatsEntry) StatsEntry {
		e.NumReqsPerSec, e.NumFailPerSec = nil, nil
		return e
	}
	r.StatsTotal = clean(r.StatsTotal)
	for i := range r.Stats {
		r.Stats[i] = clean(r.Stats[i])
	}
	for k, e := range r.Errors {
		e.FirstSeen, e.LastSeen = nil, nil
		r.Errors[k] = e
	}
	return r
}

// sameReport compares two reports by their encoding.
func sameReport(t *testing.T, want, got StatsReport) {
	t.Helper()
	a, errA := comparable(want).MarshalData()
	b, errB := comparable(got).MarshalData()
	if errA != nil || errB != nil || !bytes.Equal(a, b) {
		t.Fatalf("view differs from the decoder:\n want %+v (%v)\n got  %+v (%v)", want, errA, got, errB)
	}
}

// checkViewMatches decodes data with a reused view and with the reference
// decoders, with and without a skip key: same verdict, same values.
func checkViewMatches(t *testing.T, v *StatsReportView, data []byte) {
	t.Helper()
	for _, skip := range []string{"", "herd"} {
		var want StatsReport
		var errWant error
		if skip == "" {
			want, errWant = DecodeStatsReport(data)
		} else {
			want, errWant = DecodeStatsReportExact(data, skip)
		}
		errGot := v.Decode(data, skip)
		if (errWant == nil) != (errGot == nil) {
			t.Fatalf("skip %q: decoder error %v, view error %v", skip, errWant, errGot)
		}
		if errGot != nil {
			if !strings.Contains(errGot.Error(), ErrInvalid.Error()) {
				t.Fatalf("view error %v does not wrap ErrInvalid", errGot)
			}
			continue
		}
		_, hasSkip := want.Extra[skip]
		if v.ResponseTimesSkipped != (skip != "" && hasSkip) {
			t.Fatalf("skip %q: ResponseTimesSkipped %v", skip, v.ResponseTimesSkipped)
		}
		sameReport(t, want, v.asReport())
	}
}

// capturedStats returns the data of every captured stats frame.
func capturedStats(t testing.TB) [][]byte {
	var out [][]byte
	for _, dir := range vectorDirs {
		bins, _ := filepath.Glob(filepath.Join(dir, "stats*.bin"))
		for _, bin := range bins {
			b, err := os.ReadFile(bin)
			if err != nil {
				t.Fatal(err)
			}
			m, err := Decode(b)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, m.Data)
		}
	}
	if len(out) == 0 {
		t.Fatal("no captured stats frame")
	}
	return out
}

// handReports are reports of every shape the view must read as the
// decoder does: ints of every width, floats, nil, repeated keys (150 and
// 150.0), extensions, errors, unknown keys, and malformed ones.
func handReports(t testing.TB) [][]byte {
	enc := func(v any) []byte {
		b, err := EncodeValue(v)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	entry := func(name string, extra ...MapItem) Map {
		m := Map{{"name", name}, {"method", "GET"}, {"last_request_timestamp", 1.5}, {"start_time", int64(1)},
			{"num_requests", uint64(3)}, {"num_none_requests", int64(0)}, {"num_failures", int8(1)},
			{"total_response_time", 12.5}, {"max_response_time", int64(9)}, {"min_response_time", nil},
			{"total_content_length", uint32(70000)},
			{"response_times", Map{{int64(3), 1}, {150.0, 1}, {int64(150), 2}, {float64(4.5), 0}}},
			{"num_reqs_per_sec", Map{{int64(100), 2}, {int64(101), 1}}}, {"num_fail_per_sec", Map{}}}
		return append(m, extra...)
	}
	total := Map{{"name", "Aggregated"}, {"method", nil}, {"start_time", 2.25}, {"num_requests", 3},
		{"response_times", Map{}}}
	errs := Map{{"k1", Map{{"name", "/"}, {"method", "GET"}, {"error", "boom"}, {"occurrences", 2}}},
		{"k2", Map{{"name", "/"}, {"method", "GET"}, {"error", "bang"}, {"occurrences", 1}, {"first_seen", 1.0}, {"last_seen", nil}, {"x", []any{1}}}},
		{"k1", Map{{"name", "/"}, {"method", "GET"}, {"error", "boom"}, {"occurrences", 5}}}}
	return [][]byte{
		enc(Map{{"stats", []any{entry("/a"), entry("/b", MapItem{"unknown", Map{{"x", []byte{1}}}})}},
			{"stats_total", total}, {"errors", errs}, {"user_classes_count", Map{{"U", 2}, {"V", 0}, {"U", 3}}},
			{"user_count", 5}, {"herd", Map{{"v", 1}}}, {"plugin", []any{1.5, "x"}}, {"plugin", 2}}),
		enc(Map{{"stats", []any{entry("/a")}}, {"stats_total", total}}),
		enc(Map{{"stats_total", total}, {"stats", []any{}}, {"stats", []any{entry("/second")}}}),
		enc(Map{{"stats", []any{}}}),
		enc(Map{{"stats", []any{entry("/a", MapItem{"num_requests", "x"})}}, {"stats_total", total}}),
		enc(Map{{"stats", []any{entry("/a", MapItem{"response_times", Map{{"150", 1}}})}}, {"stats_total", total}}),
		enc(Map{{"stats", []any{entry("/a", MapItem{"response_times", Map{{"150", 1}}})}}, {"stats_total", total}, {"herd", nil}}),
		enc(Map{{"stats", []any{entry("/a", MapItem{"num_reqs_per_sec", Map{{1.5, 1}}})}}, {"stats_total", total}}),
		enc(Map{{"stats", []any{entry("/a", MapItem{"method", 5})}}, {"stats_total", total}}),
		enc(Map{{"stats", []any{Map{{"name", "/"}}}}, {"stats_total", total}}),
		enc(Map{{"stats", []any{}}, {"stats_total", total}, {"errors", Map{{"k", Map{{"name", "/"}}}}}}),
		enc(Map{{"stats", []any{}}, {"stats_total", total}, {"user_count", uint64(1 << 63)}}),
		enc(Map{{"stats", []any{}}, {"stats_total", total}, {int64(5), 1}}),
		enc([]any{1, 2}),
	}
}

func TestStatsReportViewMatchesDecoder(t *testing.T) {
	t.Parallel()
	var v StatsReportView // reused: nothing may leak from one report to the next
	for _, data := range append(capturedStats(t), handReports(t)...) {
		checkViewMatches(t, &v, data)
	}
	// The first hand-made report is read in full: 150 and 150.0 are one
	// bucket, the later count wins; repeated keys keep their first place.
	if err := v.Decode(handReports(t)[0], ""); err != nil {
		t.Fatal(err)
	}
	rt := v.Stats[1].ResponseTimes
	if len(v.Stats) != 2 || len(rt) != 3 || rt[1].ResponseTime.String() != "150.0" || rt[1].Count != 2 {
		t.Errorf("response times %v", rt)
	}
	if len(v.Errors) != 2 || v.Errors[0].Occurrences != 5 || len(v.UserClasses) != 2 || v.UserClasses[0].Count != 3 ||
		len(v.Extra) != 2 || string(v.Extra[1].Value) != "\x02" || v.ResponseTimesSkipped {
		t.Errorf("view %+v", v)
	}
}

// TestStatsReportViewAllocations: a reused view decodes a report of 100
// entries without allocating.
func TestStatsReportViewAllocations(t *testing.T) {
	data := capturedStats(t)[0]
	hand := handReports(t)[0]
	var v StatsReportView
	for _, skip := range []string{"", "herd"} {
		allocs := testing.AllocsPerRun(50, func() {
			if err := v.Decode(data, skip); err != nil {
				t.Fatal(err)
			}
			if err := v.Decode(hand, skip); err != nil {
				t.Fatal(err)
			}
		})
		if allocs > 0 {
			t.Errorf("skip %q: %v allocations per decode", skip, allocs)
		}
	}
}

// FuzzStatsReportView holds the view to the decoders on arbitrary data:
// the same verdict and, when both accept, the same values, with one view
// reused throughout.
func FuzzStatsReportView(f *testing.F) {
	for _, data := range append(capturedStats(f), handReports(f)...) {
		f.Add(data)
	}
	var v StatsReportView
	f.Fuzz(func(t *testing.T, data []byte) {
		checkViewMatches(t, &v, data)
	})
}

func TestMapFieldsAndBinBytes(t *testing.T) {
	t.Parallel()
	raw, _ := EncodeValue(Map{{"a", []byte{1, 2}}, {"b", "xy"}, {"c", nil}, {"d", 5}})
	var got []string
	err := MapFields(raw, func(k, v []byte) error {
		b, err := BinBytes(v)
		got = append(got, string(k)+"="+string(b)+"/"+map[bool]string{true: "err", false: "ok"}[err != nil])
		return nil
	})
	if want := "[a=\x01\x02/ok b=xy/ok c=/ok d=/err]"; err != nil || strings.Join(got, " ") != strings.Trim(want, "[]") {
		t.Errorf("MapFields: %q, %v", got, err)
	}
	for _, bad := range [][]byte{{0x81, 0x01, 0x01}, {0x82, 0xa1, 'a'}, {0x05}, {}} {
		if err := MapFields(bad, func(k, v []byte) error { return nil }); err == nil {
			t.Errorf("MapFields(%x) accepted", bad)
		}
	}
	if err := MapFields([]byte{0xc0}, func(k, v []byte) error { t.Error("nil has fields"); return nil }); err != nil {
		t.Error(err)
	}
	for _, bad := range [][]byte{{0xc4, 0x05, 1}, {0xa2, 'x', 'y', 'z'}, {0x91, 0x01}} {
		if _, err := BinBytes(bad); err == nil {
			t.Errorf("BinBytes(%x) accepted", bad)
		}
	}
}
