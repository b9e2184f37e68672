package threshold

import (
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string // want: canonical String
		scope    string
		window   time.Duration
		limit    float64
	}{
		{in: "p95<300ms", want: "p95<300ms", limit: 300e6},
		{in: "  p95 < 300ms  ", want: "p95<300ms", limit: 300e6},
		{in: "P99.9<1s", want: "p99.9<1s", limit: 1e9},
		{in: "p50<=120ms", want: "p50<=120ms", limit: 120e6},
		{in: "p095<1.5s", want: "p95<1.5s", limit: 1.5e9},
		{in: "p100<2s", want: "p100<2s", limit: 2e9},
		{in: "median<250us", want: "median<250µs", limit: 250e3},
		{in: "avg<200ms", want: "avg<200ms", limit: 200e6},
		{in: "min>1ms", want: "min>1ms", limit: 1e6},
		{in: "max<2m", want: "max<2m", limit: 120e9},
		{in: "max<90s", want: "max<1m30s", limit: 90e9},
		{in: "fail_ratio<1%", want: "fail_ratio<1%", limit: 0.01},
		{in: "fail_ratio < 1.50 %", want: "fail_ratio<1.5%", limit: 0.015},
		{in: "fail_ratio<0.01", want: "fail_ratio<0.01", limit: 0.01},
		{in: "fail_ratio<=0", want: "fail_ratio<=0", limit: 0},
		{in: "failures<10", want: "failures<10", limit: 10},
		{in: "requests>=1000", want: "requests>=1000", limit: 1000},
		{in: "rps>500", want: "rps>500", limit: 500},
		{in: "rps>12.50", want: "rps>12.5", limit: 12.5},
		{in: "p99[1m]<500ms", want: "p99[1m]<500ms", window: time.Minute, limit: 500e6},
		{in: "p99 [ 60s ] < 500ms", want: "p99[1m]<500ms", window: time.Minute, limit: 500e6},
		{in: "fail_ratio[30s]<5%", want: "fail_ratio[30s]<5%", window: 30 * time.Second, limit: 0.05},
		{in: "rps[10s]>100", want: "rps[10s]>100", window: 10 * time.Second, limit: 100},
		{in: "rps[1h]>1", want: "rps[1h]>1", window: time.Hour, limit: 1},
		{in: "p95<300ms;abort", want: "p95<300ms;abort", limit: 300e6},
		{in: "p95<300ms ; ABORT ; grace = 30s", want: "p95<300ms;abort;grace=30s", limit: 300e6},
		{in: "p95<300ms;grace=1m;abort", want: "p95<300ms;abort;grace=1m", limit: 300e6},
		{in: "p95<300ms;abort;grace=0s", want: "p95<300ms;abort", limit: 300e6},
		// Windows and grace periods are durations like any other in herd
		// (internal/duration): a bare number is seconds, a sign is allowed.
		{in: "p99[60]<500ms", want: "p99[1m]<500ms", window: time.Minute, limit: 500e6},
		{in: "p99[+90]<1h1m", want: "p99[1m30s]<1h1m", window: 90 * time.Second, limit: 3660e9},
		{in: "p95<300ms;abort;grace=30", want: "p95<300ms;abort;grace=30s", limit: 300e6},
		{in: "p95<+1s", want: "p95<1s", limit: 1e9},
		// Endpoints: everything before the last colon.
		{in: "GET /cart: p95<300ms", want: "GET /cart: p95<300ms", scope: "GET /cart", limit: 300e6},
		{in: "/cart:p95<300ms", want: "/cart: p95<300ms", scope: "/cart", limit: 300e6},
		{in: "  /cart  :  p95<300ms", want: "/cart: p95<300ms", scope: "/cart", limit: 300e6},
		{in: "ws: chat [room 1]: max<1s", want: "ws: chat [room 1]: max<1s", scope: "ws: chat [room 1]", limit: 1e9},
		{in: "/a:b:c:p95<1s", want: "/a:b:c: p95<1s", scope: "/a:b:c", limit: 1e9},
		{in: "/a::: p95<1s", want: "/a::: p95<1s", scope: "/a::", limit: 1e9},
		{in: "x; y <&\": rps[5s]>1;abort", want: "x; y <&\": rps[5s]>1;abort", scope: "x; y <&\"", window: 5 * time.Second, limit: 1},
		{in: "p95<1s: p95<2s", want: "p95<1s: p95<2s", scope: "p95<1s", limit: 2e9},
		{in: "[GET /cart] p95<1s: requests>0", want: "[GET /cart] p95<1s: requests>0", scope: "[GET /cart] p95<1s", limit: 0},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if s := got.String(); s != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, s, tt.want)
		}
		if got.Scope() != tt.scope || got.Window() != tt.window || got.limit != tt.limit {
			t.Errorf("Parse(%q) = scope %q window %v limit %v, want %q %v %v",
				tt.in, got.Scope(), got.Window(), got.limit, tt.scope, tt.window, tt.limit)
		}
		again, err := Parse(got.String())
		if err != nil || again != got {
			t.Errorf("Parse(%q) does not round-trip: %+v, %v", got.String(), again, err)
		}
	}
}

func TestParseOptions(t *testing.T) {
	t.Parallel()
	th, err := Parse("p95<300ms;abort;grace=30s")
	if err != nil {
		t.Fatal(err)
	}
	if abort, grace := th.Abort(); !abort || grace != 30*time.Second {
		t.Errorf("Abort() = %v, %v", abort, grace)
	}
	th, _ = Parse("p95<300ms")
	if abort, grace := th.Abort(); abort || grace != 0 {
		t.Errorf("Abort() = %v, %v", abort, grace)
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{"", `threshold "": empty (want e.g. p95<300ms)`},
		{"   ", `threshold "": empty (want e.g. p95<300ms)`},
		{"p95<3xx", `threshold "p95<3xx": bad duration "3xx" (want e.g. 300ms, 1.5s)`},
		{"p95<300", `threshold "p95<300": response time "300" needs a unit (want e.g. 300ms or 300s)`},
		{"p95<0", `threshold "p95<0": response time "0" needs a unit (want e.g. 0ms or 0s)`},
		{"max<1.5", `threshold "max<1.5": response time "1.5" needs a unit (want e.g. 1.5ms or 1.5s)`},
		{"p95<-1s", `threshold "p95<-1s": duration "-1s" is negative`},
		{"p95<1e3ms", `threshold "p95<1e3ms": bad duration "1e3ms" (want e.g. 300ms, 1.5s)`},
		{"p95<300 ms", `threshold "p95<300 ms": bad duration "300 ms" (want e.g. 300ms, 1.5s)`},
		{"latency<1s", `threshold "latency<1s": unknown metric "latency" (want one of ` + validMetrics + `)`},
		{"p<1s", `threshold "p<1s": unknown metric "p" (want one of ` + validMetrics + `)`},
		{"p9e1<1s", `threshold "p9e1<1s": unknown metric "p9e1" (want one of ` + validMetrics + `)`},
		{"p0<1s", `threshold "p0<1s": percentile "p0" out of range (want above p0, at most p100)`},
		{"P101<1s", `threshold "P101<1s": percentile "P101" out of range (want above p0, at most p100)`},
		{"p95", `threshold "p95": no comparison in "p95" (want e.g. p95<300ms)`},
		{"<300ms", `threshold "<300ms": missing metric before "<300ms" (want one of ` + validMetrics + `)`},
		{"p95 300ms", `threshold "p95 300ms": missing operator after "p95" (want <, <=, > or >=)`},
		{"p95=300ms", `threshold "p95=300ms": bad operator "=" (want <, <=, > or >=)`},
		{"p95==300ms", `threshold "p95==300ms": bad operator "==" (want <, <=, > or >=)`},
		{"p95!=300ms", `threshold "p95!=300ms": bad operator "!=" (want <, <=, > or >=)`},
		{"p95<", `threshold "p95<": missing limit after "p95<"`},
		{"p95[1m]<=", `threshold "p95[1m]<=": missing limit after "p95[1m]<="`},
		{"p95[1m<1s", `threshold "p95[1m<1s": unclosed window "[1m<1s" (want e.g. p95[1m])`},
		{"p95[]<1s", `threshold "p95[]<1s": bad window "" (want e.g. 30s, 1m, 5m)`},
		{"p95[1x]<1s", `threshold "p95[1x]<1s": bad window "1x" (want e.g. 30s, 1m, 5m)`},
		{"p95[500ms]<1s", `threshold "p95[500ms]<1s": window "500ms" too short (at least 1s)`},
		{"p95[1.5s]<1s", `threshold "p95[1.5s]<1s": window "1.5s" is not whole seconds`},
		{"p95[2h]<1s", `threshold "p95[2h]<1s": window "2h" too long (at most 1h)`},
		{"p95[0]<1s", `threshold "p95[0]<1s": window "0" too short (at least 1s)`},
		{"p95[-1m]<1s", `threshold "p95[-1m]<1s": window "-1m" too short (at least 1s)`},
		{"p95[9999999999]<1s", `threshold "p95[9999999999]<1s": window "9999999999" too long (at most 1h)`},
		{"p95[1m]x<1s", `threshold "p95[1m]x<1s": missing operator after "p95[1m]" (want <, <=, > or >=)`},
		{"fail_ratio<x", `threshold "fail_ratio<x": bad ratio "x" (want e.g. 1% or 0.01)`},
		{"fail_ratio<%", `threshold "fail_ratio<%": bad ratio "%" (want e.g. 1% or 0.01)`},
		{"fail_ratio<-1%", `threshold "fail_ratio<-1%": bad ratio "-1%" (want e.g. 1% or 0.01)`},
		{"fail_ratio<150%", `threshold "fail_ratio<150%": ratio "150%" above 100%`},
		{"fail_ratio<5", `threshold "fail_ratio<5": ratio "5" above 1 (write 5% for a percentage)`},
		{"failures<1.5", `threshold "failures<1.5": bad count "1.5" (want a whole number, e.g. 10)`},
		{"requests>1e3", `threshold "requests>1e3": bad count "1e3" (want a whole number, e.g. 10)`},
		{"requests>99999999999999999999", `threshold "requests>99999999999999999999": bad count "99999999999999999999" (want a whole number, e.g. 10)`},
		{"rps>fast", `threshold "rps>fast": bad rate "fast" (want requests per second, e.g. 500 or 12.5)`},
		{"rps>Inf", `threshold "rps>Inf": bad rate "Inf" (want requests per second, e.g. 500 or 12.5)`},
		{": p95<1s", `threshold ": p95<1s": empty endpoint name before ":" (omit it for the total)`},
		{"/cart:", `threshold "/cart:": missing condition (want e.g. p95<300ms)`},
		{"/cart: ;abort", `threshold "/cart: ;abort": missing condition (want e.g. p95<300ms)`},
		{"[GET /cart] p95<1s", `threshold "[GET /cart] p95<1s": "[GET /cart] p95<1s" is not a metric; an endpoint goes before a colon (want e.g. GET /cart: p95<300ms)`},
		{"GET /cart p95<1s", `threshold "GET /cart p95<1s": "GET /cart p95<1s" is not a metric; an endpoint goes before a colon (want e.g. GET /cart: p95<300ms)`},
		{"/cart p95<1s", `threshold "/cart p95<1s": "/cart p95<1s" is not a metric; an endpoint goes before a colon (want e.g. GET /cart: p95<300ms)`},
		{"get<1s", `threshold "get<1s": unknown metric "get" (want one of ` + validMetrics + `)`},
		{"p95<1:00", `threshold "p95<1:00": no comparison in "00" (want e.g. p95<300ms)`},
		{"p95<300ms;", `threshold "p95<300ms;": empty option (a stray ";"?)`},
		{"p95<300ms;;abort", `threshold "p95<300ms;;abort": empty option (a stray ";"?)`},
		{"p95<300ms;stop", `threshold "p95<300ms;stop": unknown option "stop" (want abort or grace=DURATION)`},
		{"p95<300ms;abort=30s", `threshold "p95<300ms;abort=30s": option "abort=30s" takes no value (want abort;grace=30s)`},
		{"p95<300ms;abort;abort", `threshold "p95<300ms;abort;abort": option "abort" given twice`},
		{"p95<300ms;abort;grace=1s;grace=2s", `threshold "p95<300ms;abort;grace=1s;grace=2s": option "grace" given twice`},
		{"p95<300ms;grace=30s", `threshold "p95<300ms;grace=30s": grace needs abort (want e.g. p95<300ms;abort;grace=30s)`},
		{"p95<300ms;abort;grace=soon", `threshold "p95<300ms;abort;grace=soon": grace: bad duration "soon" (want e.g. 300ms, 1.5s)`},
		{"p95<300ms;abort;grace", `threshold "p95<300ms;abort;grace": grace: bad duration "" (want e.g. 300ms, 1.5s)`},
		{"p95<300ms;abort;grace=-5", `threshold "p95<300ms;abort;grace=-5": grace: duration "-5" is negative`},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		if err == nil {
			t.Errorf("Parse(%q) succeeded, want %s", tt.in, tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("Parse(%q):\n got %s\nwant %s", tt.in, err, tt.want)
		}
	}
}

func TestParseAll(t *testing.T) {
	t.Parallel()
	ts, err := ParseAll([]string{"p95<1s", "rps>1"})
	if err != nil || len(ts) != 2 {
		t.Fatalf("ParseAll = %v, %v", ts, err)
	}
	_, err = ParseAll([]string{"p95<1x", "rps>1", "bogus<1"})
	if err == nil {
		t.Fatal("ParseAll accepted bad thresholds")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 2 || !strings.Contains(lines[0], `"p95<1x"`) || !strings.Contains(lines[1], `"bogus<1"`) {
		t.Errorf("ParseAll error = %q, want one line per bad threshold", err)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"p95<300ms", "p99.9[1m]<1s;abort;grace=30s", "GET /cart: fail_ratio<1%",
		"a:b: rps[10s]>100", "requests>=1000", "failures<10;abort", "median<=1.5s",
		"fail_ratio[30s]<0.05", "x: min>1µs", "p95<3xx", ": p95<1s",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		th, err := Parse(s)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "threshold ") {
				t.Fatalf("error %q does not name the threshold", err)
			}
			return
		}
		again, err := Parse(th.String())
		if err != nil {
			t.Fatalf("Parse(%q) = %q, which does not parse: %v", s, th.String(), err)
		}
		if again != th {
			t.Fatalf("Parse(%q) = %+v, but its String %q parses to %+v", s, th, th.String(), again)
		}
	})
}
