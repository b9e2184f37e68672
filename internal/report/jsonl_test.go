package report

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"github.com/herdload/herd/internal/stats"
)

// TestJSONLGolden runs three seconds of a run on synctest's clock (which
// starts at 2000-01-01 00:00:00 UTC), appending each second's rows as the
// controller does, and compares the file with testdata/history.jsonl.
func TestJSONLGolden(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "run.jsonl")
	synctest.Test(t, func(t *testing.T) {
		f, err := OpenJSONL(path)
		if err != nil {
			t.Fatal(err)
		}
		s := stats.New(time.Now(), stats.Options{Shards: 1, FullHistory: true})
		sh := s.Shard(0)
		for sec := range 3 {
			for i := range 4 {
				sh.Record("GET", "/items?a=1&b=<2>", time.Duration(sec*10+i+1)*time.Millisecond, 100, "")
			}
			if sec > 0 {
				sh.Record("POST", "/cart", 250*time.Millisecond, 20, "HTTP 500")
			}
			time.Sleep(time.Second)
			if err := f.Append(s.Tick(time.Now(), 2)); err != nil {
				t.Fatal(err)
			}
			// Flushed each second: whole lines, one per endpoint and the total.
			got, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if n, want := bytes.Count(got, []byte("\n")), []int{2, 5, 8}[sec]; n != want || got[len(got)-1] != '\n' {
				t.Fatalf("after %d s: %d lines, want %d", sec+1, n, want)
			}
		}
		if err := f.Close(); err != nil {
			t.Fatal(err)
		}
		if err := f.Close(); err != nil {
			t.Errorf("a second Close: %v", err)
		}
		if err := f.Append(nil); err == nil {
			t.Error("Append after Close succeeded")
		}
	})
	got, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, line := range bytes.Split(bytes.TrimSuffix(got, []byte("\n")), []byte("\n")) {
		if !json.Valid(line) {
			t.Errorf("line %d is not JSON: %s", i+1, line)
		}
	}
	golden(t, "history.jsonl", got)
}
