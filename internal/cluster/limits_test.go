package cluster

import (
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/transport"
	"github.com/herdload/herd/internal/wire"
)

// TestLargestReportFits measures the report behind MaxReportSize: a herd
// worker's report at its largest plausible, with exact histograms and the
// open model's second histogram, 150 requests per name in the 3 s window
// (a million requests a second over 20,000 names) with latencies spread
// over seconds, 40-byte names. It fits reportBytesPerName per name, so
// the default cap fits --max-names 20000 (24 MiB measured at 20,000
// names; this test builds 2,000 to stay fast, the size is linear).
func TestLargestReportFits(t *testing.T) {
	t.Parallel()
	const names = 2000
	r := rand.New(rand.NewPCG(7, 7))
	st := stats.New(t0, stats.Options{Shards: 1})
	for i := range names {
		name := fmt.Sprintf("/api/v1/catalogue/products/item/%08d", i)
		for range 150 {
			d := time.Duration(r.ExpFloat64() * float64(300*time.Millisecond))
			st.Shard(0).RecordIntended("GET", name, d, 2*d, 512, "")
		}
	}
	rep, err := toReport(st.TakeDelta(t0.Add(3*time.Second)), map[string]int{"User": 100}, nil)
	if err != nil {
		t.Fatal(err)
	}
	frame, err := wire.EncodePayload("w", rep)
	if err != nil {
		t.Fatal(err)
	}
	perName := float64(len(frame)) / names
	t.Logf("%d bytes for %d names: %.0f bytes a name", len(frame), names, perName)
	if perName > reportBytesPerName {
		t.Errorf("%.0f bytes a name, more than the %d MaxReportSize allows", perName, reportBytesPerName)
	}
	for _, c := range []struct{ names, want int }{
		{0, 256 << 20}, {1, transport.DefaultMaxMessageSize}, {20000, transport.DefaultMaxMessageSize},
		{100_000, 160_000_000}, {1 << 40, 1 << 30},
	} {
		if got := MaxReportSize(c.names); got != c.want {
			t.Errorf("MaxReportSize(%d) = %d, want %d", c.names, got, c.want)
		}
	}
}
