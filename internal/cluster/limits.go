package cluster

import "github.com/herdload/herd/internal/transport"

// JoinTimeout is how long a new connection to the master has to register
// (its ZMTP handshake, then client_ready) before it is dropped: 10 s,
// the handshake timeout.
const JoinTimeout = transport.DefaultHandshakeTimeout

// Bytes of a worker's report per request name, at the largest plausible:
// a herd report with exact histograms, open-model histograms and 150
// requests per name in its 3 s window measured 24 MiB for 20,000 names
// (1.26 KB a name with 40-byte names; TestLargestReportFits), so 1,600
// bytes leave room for longer names and the error tables.
const reportBytesPerName = 1600

// MaxReportSize is the cap on one message from a worker that fits a
// report of names distinct request names (herd's --max-names): 1,600
// bytes a name, at least transport.DefaultMaxMessageSize (32 MiB, which
// is 20,000 names), at most 1 GiB; names 0 (no limit) gets 256 MiB.
func MaxReportSize(names int) int {
	const noLimit, most = 256 << 20, 1 << 30
	if names <= 0 {
		return noLimit
	}
	if names > most/reportBytesPerName {
		return most
	}
	return max(transport.DefaultMaxMessageSize, names*reportBytesPerName)
}
