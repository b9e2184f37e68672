package threshold

import (
	"bytes"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden")

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs (go test -update to accept):\n%s", path, got)
	}
}

func TestWriteJUnit(t *testing.T) {
	t.Parallel()
	e := New(t0, mustParse(t,
		"p95<300ms",
		"GET /cart?a=1&b=<2>: fail_ratio[2s]<5%;abort",
		`say "hi": requests>=1`,
		"rps>10",
		"/typo: p99<1s",
	))
	for i := 1; i <= 4; i++ {
		fails := uint64(0)
		if i == 2 {
			fails = 10
		}
		e.Observe(at(float64(i)), []Sample{
			sample("GET", "/cart?a=1&b=<2>", 100, fails, 120*time.Millisecond),
			sample("GET", `say "hi"`, 1, 0, 2*time.Second),
		})
	}
	results := e.Final()
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, "herd thresholds", results, 4*time.Second); err != nil {
		t.Fatal(err)
	}
	golden(t, "junit.golden", buf.Bytes())
	checkXML(t, buf.Bytes())
}

func TestWriteJUnitLive(t *testing.T) {
	t.Parallel()
	ts := mustParse(t, "p95<300ms", "ctl\x01char & <tag>: rps>1")
	e := New(t0, ts)
	e.Observe(at(1), []Sample{sample("GET", "/", 10, 0, time.Millisecond)})
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, "live <run>", e.Results(), 1500*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	golden(t, "junit_live.golden", buf.Bytes())
	checkXML(t, buf.Bytes())
}

// checkXML decodes doc and checks what a CI system reads.
func checkXML(t *testing.T, doc []byte) {
	t.Helper()
	var got struct {
		Suite struct {
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Skipped  int    `xml:"skipped,attr"`
			Cases    []struct {
				Name    string    `xml:"name,attr"`
				Failure *struct{} `xml:"failure"`
				Skipped *struct{} `xml:"skipped"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(doc, &got); err != nil {
		t.Fatalf("invalid XML: %v", err)
	}
	s := got.Suite
	failures, skipped := 0, 0
	for _, c := range s.Cases {
		if c.Failure != nil {
			failures++
		}
		if c.Skipped != nil {
			skipped++
		}
	}
	if s.Tests != len(s.Cases) || s.Failures != failures || s.Skipped != skipped {
		t.Errorf("counts: tests %d failures %d skipped %d, cases %d failed %d skipped %d",
			s.Tests, s.Failures, s.Skipped, len(s.Cases), failures, skipped)
	}
}
