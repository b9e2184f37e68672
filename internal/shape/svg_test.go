package shape

import (
	"bytes"
	"encoding/xml"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite the pictures in docs/shapes")

// pictures are the curves docs/shapes/README.md shows, with the spec each
// is drawn from.
var pictures = []struct {
	file, spec string
	rate       bool
}{
	{"stages.svg", "stages:30s:100,2m:100,30s:0", false},
	{"steps.svg", "steps:users=100,step=20,every=30s", false},
	{"spike.svg", "spike:base=10,peak=200,at=1m,ramp=5s,hold=30s,after=1m", false},
	{"rate-stages.svg", "stages:start=20,30s:100,1m:100,30s:0", true},
}

// TestPictures checks docs/shapes/*.svg against what SVG draws now, so the
// documentation never goes stale; go test -update rewrites them.
func TestPictures(t *testing.T) {
	t.Parallel()
	for _, p := range pictures {
		var got []byte
		if p.rate {
			got = mustRate(t, p.spec).SVG(720, 320)
		} else {
			s, err := Parse(p.spec)
			if err != nil {
				t.Fatal(err)
			}
			got = s.SVG(720, 320)
		}
		if err := xml.Unmarshal(got, new(struct{})); err != nil {
			t.Errorf("%s: not well-formed XML: %v", p.file, err)
		}
		path := filepath.Join("..", "..", "docs", "shapes", p.file)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test ./internal/shape -update)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s is stale: run go test ./internal/shape -update", path)
		}
	}
}

func TestSVGConstantAndZero(t *testing.T) {
	t.Parallel()
	for name, svg := range map[string][]byte{
		"constant rate": mustRate(t, "200/m").SVG(400, 200),
		"zero shape":    Shape{}.SVG(400, 200),
		"zero rate":     Rate{}.SVG(400, 200),
		"long steps":    mustShape(t, "steps:users=1000,step=1,every=1h").SVG(400, 200),
	} {
		if err := xml.Unmarshal(svg, new(struct{})); err != nil {
			t.Errorf("%s: not well-formed XML: %v", name, err)
		}
	}
}

func mustShape(t *testing.T, spec string) Shape {
	t.Helper()
	s, err := Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestREADMEFigures checks the figures docs/shapes/README.md quotes.
func TestREADMEFigures(t *testing.T) {
	t.Parallel()
	for spec, want := range map[string]time.Duration{
		"stages:30s:100,2m:100,30s:0":                            3 * time.Minute,
		"steps:users=100,step=20,every=30s":                      150 * time.Second,
		"steps:users=1000,step=100,every=1m,hold=10m,rate=10":    19 * time.Minute,
		"spike:base=10,peak=200,at=1m,ramp=5s,hold=30s,after=1m": 160 * time.Second,
		"stages:1m:50,10m:50":                                    11 * time.Minute,
		"stages:30s:0,30s:100":                                   time.Minute,
	} {
		if got := mustShape(t, spec).Total(); got != want {
			t.Errorf("%s: Total() = %v, want %v", spec, got, want)
		}
	}
	if step, _ := mustShape(t, "stages:10m:30").At(0); step.SpawnRate != 0.05 {
		t.Errorf("stages:10m:30: spawn rate %g, want 0.05 (one user every 20 s)", step.SpawnRate)
	}
	r := mustRate(t, "stages:start=20,30s:100,1m:100,30s:0")
	if got := r.Count(r.End()); got != 9300 {
		t.Errorf("%s: %g iterations, want 9300", r, got)
	}
}
