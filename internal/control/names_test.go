package control

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/herdload/herd/internal/config"
	"github.com/herdload/herd/internal/stats"
)

// --max-names reaches the statistics: a run with a name per request keeps
// that many names and one overflow row, warns once in the log and in the
// summary, and says so in the JSON report.
func TestMaxNamesWired(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		s := newSetup(t, func(cfg *config.Config, _ *Options) {
			cfg.Users, cfg.SpawnRate, cfg.RunTime = 4, 4, 5*time.Second
			cfg.MaxNames = 5
			cfg.JSONFile = filepath.Join(dir, "run.json")
		})
		s.f.unique = true
		code, err, _ := s.run(t.Context())()
		if code != 0 || err != nil {
			t.Fatalf("Run = %d, %v", code, err)
		}
		run := s.c.current()
		snap := run.stats.Snapshot(run.stopped, 0)
		if len(snap.Entries) != 6 || !snap.NamesOverflowed || snap.MaxNames != 5 {
			t.Fatalf("%d entries, overflowed %v, max %d: want 5 names and the overflow row", len(snap.Entries), snap.NamesOverflowed, snap.MaxNames)
		}
		if snap.Entries[0].Name != stats.OverflowName || snap.Entries[0].Requests != snap.Total.Requests-5 {
			t.Errorf("overflow row %+v, want every request but the first 5 of %d", snap.Entries[0], snap.Total.Requests)
		}
		if n := strings.Count(s.logs.String(), "distinct request names (--max-names)"); n != 1 {
			t.Errorf("the log warns %d times, want once:\n%s", n, s.logs)
		}
		if !strings.Contains(s.stdout.String(), "Warning: more distinct request names than --max-names (5)") {
			t.Errorf("the summary does not warn:\n%s", s.stdout)
		}
		data, err := os.ReadFile(filepath.Join(dir, "run.json"))
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Overflow struct {
				MaxNames int    `json:"max_names"`
				Name     string `json:"name"`
			} `json:"names_overflow"`
		}
		if err := json.Unmarshal(data, &doc); err != nil || doc.Overflow.MaxNames != 5 || doc.Overflow.Name != stats.OverflowName {
			t.Errorf("JSON names_overflow %+v (%v)", doc.Overflow, err)
		}
	})
}
