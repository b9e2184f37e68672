package herd

import (
	"io"
	"net/http"
	"testing"
)

// BenchmarkSessionHTTPDirect is BenchmarkSessionGet's request sent
// through the session's HTTP client directly, as an SDK given it sends:
// the recording transport times it from the call to the end of its body.
func BenchmarkSessionHTTPDirect(b *testing.B) {
	srvURL := benchServer(b)
	ctx, env, st := sessionEnv(b, srvURL, 0)
	s := newSession(env)
	defer s.Close()
	url := srvURL + "/api/products/42"
	b.ReportAllocs()
	for b.Loop() {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			b.Fatal(err)
		}
		res, err := s.HTTP.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		if n, err := io.Copy(io.Discard, res.Body); err != nil || n != int64(len(benchBody)) {
			b.Fatal(n, err)
		}
		res.Body.Close()
	}
	b.StopTimer()
	checkBenchCount(b, st)
}
