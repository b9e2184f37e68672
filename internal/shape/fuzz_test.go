package shape

import (
	"reflect"
	"testing"
)

// FuzzParse checks that Parse never panics and that a parsed shape's
// String parses back to the same shape.
func FuzzParse(f *testing.F) {
	for _, spec := range []string{
		"stages:30s:100,2m:100,30s:0", "stages:10:5:2.5,1m30s:0", "stages:30s:1x0",
		"steps:users=100,step=10,every=30s", "steps:users=25,step=10,every=1m,hold=5m,rate=2.5",
		"spike:base=10,peak=200,at=1m,ramp=5s,hold=30s,after=1m", "spike:peak=5,hold=0",
		"", "stages", "steps:", "spike:peak=,hold=1",
	} {
		f.Add(spec)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		s, err := Parse(spec)
		if err != nil {
			return
		}
		again, err := Parse(s.String())
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q does not parse: %v", spec, s.String(), err)
		}
		if !reflect.DeepEqual(s, again) {
			t.Fatalf("Parse(%q) = %+v, but its String %q parses to %+v", spec, s, s.String(), again)
		}
		if _, ok := s.At(s.Total()); ok {
			t.Fatalf("Parse(%q): At(Total()) is not over", spec)
		}
		if st, ok := s.At(0); !ok || st.SpawnRate <= 0 || st.Users < 0 {
			t.Fatalf("Parse(%q): At(0) = %+v, %t", spec, st, ok)
		}
	})
}

// FuzzParseRate checks that ParseRate never panics, that a parsed rate's
// String parses back to the same rate, and that TimeOf inverts Count.
func FuzzParseRate(f *testing.F) {
	for _, spec := range []string{
		"200", "200/s", "1200/m", "0.5/h", "stages:30s:100,1m:100,30s:0",
		"stages:start=10/s,10s:30,1m:600/m", "5/100ms", "stages:", "stages:0:1", "",
	} {
		f.Add(spec)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		r, err := ParseRate(spec)
		if err != nil {
			return
		}
		again, err := ParseRate(r.String())
		if err != nil {
			t.Fatalf("ParseRate(%q).String() = %q does not parse: %v", spec, r.String(), err)
		}
		if !reflect.DeepEqual(r, again) {
			t.Fatalf("ParseRate(%q) = %+v, but its String %q parses to %+v", spec, r, r.String(), again)
		}
		if at, ok := r.TimeOf(0); !ok || at < 0 || r.End() > 0 && at >= r.End() {
			t.Fatalf("ParseRate(%q): TimeOf(0) = %v, %t", spec, at, ok)
		}
		if end := r.End(); end > 0 {
			if _, ok := r.TimeOf(r.Count(end)); ok {
				t.Fatalf("ParseRate(%q): TimeOf(Count(End)) is ok", spec)
			}
		}
	})
}
