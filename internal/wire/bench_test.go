package wire

import (
	"os"
	"testing"
)

// BenchmarkStatsRoundTrip decodes and re-encodes the captured stats report.
func BenchmarkStatsRoundTrip(b *testing.B) {
	frame, err := os.ReadFile("testdata/vectors/stats.bin")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(frame)))
	b.ReportAllocs()
	for b.Loop() {
		m, err := Decode(frame)
		if err != nil {
			b.Fatal(err)
		}
		s, err := DecodeStatsReport(m.Data)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := EncodePayload(m.NodeID, s); err != nil {
			b.Fatal(err)
		}
	}
}
