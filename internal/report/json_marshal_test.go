package report

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/herdload/herd/internal/stats"
)

// TestMarshalHelpersMatchWriteJSON checks that the compact helpers give the
// same values as the report, the statistics without "history".
func TestMarshalHelpersMatchWriteJSON(t *testing.T) {
	s, hist := fixture(), fixtureHistory()
	var b bytes.Buffer
	if err := WriteJSON(&b, s, hist); err != nil {
		t.Fatal(err)
	}
	var full map[string]any
	if err := json.Unmarshal(b.Bytes(), &full); err != nil {
		t.Fatal(err)
	}

	statsJSON, err := MarshalStatsJSON(s)
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(statsJSON, &got); err != nil {
		t.Fatal(err)
	}
	wantHistory := full["history"]
	delete(full, "history")
	if !reflect.DeepEqual(got, full) {
		t.Errorf("MarshalStatsJSON =\n%s\nwant the report without history", statsJSON)
	}
	if bytes.ContainsAny(statsJSON, "<>\n") {
		t.Errorf("MarshalStatsJSON is not compact and escaped: %s", statsJSON)
	}

	histJSON, err := MarshalHistoryJSON(hist)
	if err != nil {
		t.Fatal(err)
	}
	var gotHist any
	json.Unmarshal(histJSON, &gotHist)
	if !reflect.DeepEqual(gotHist, wantHistory) {
		t.Errorf("MarshalHistoryJSON = %s", histJSON)
	}
	for i := range hist {
		rowJSON, err := MarshalHistoryRowJSON(&hist[i])
		if err != nil {
			t.Fatal(err)
		}
		var gotRow any
		json.Unmarshal(rowJSON, &gotRow)
		if !reflect.DeepEqual(gotRow, wantHistory.([]any)[i]) {
			t.Errorf("MarshalHistoryRowJSON(row %d) = %s", i, rowJSON)
		}
	}

	// Key order is the report's.
	if !strings.HasPrefix(string(statsJSON), `{"start_time":`) {
		t.Errorf("key order: %s", statsJSON[:40])
	}
	if empty, _ := MarshalHistoryJSON(nil); string(empty) != "[]" {
		t.Errorf("MarshalHistoryJSON(nil) = %s, want []", empty)
	}
	if _, err := MarshalStatsJSON(&stats.Snapshot{Total: stats.Entry{Name: stats.TotalName}}); err != nil {
		t.Errorf("empty snapshot: %v", err)
	}
}
