package report

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/herdload/herd/internal/threshold"
)

// WriteThresholds writes the thresholds' results as a table: status,
// observed value and expression, failures explained, then an overall
// verdict. It writes nothing without thresholds.
func WriteThresholds(w io.Writer, results []threshold.Result) {
	if len(results) == 0 {
		return
	}
	var b bytes.Buffer
	width := len("Threshold")
	for _, r := range results {
		width = max(width, len(printable(r.Expr)))
	}
	fmt.Fprintf(&b, "%-7s %-*s %s\n", "Status", width, "Threshold", "Observed")
	b.WriteString(dashes(8+width+1+12) + "\n")
	pass, fail, pending := 0, 0, 0
	for _, r := range results {
		status := strings.ToUpper(r.Status.String())
		switch r.Status {
		case threshold.Pass:
			pass++
		case threshold.Fail:
			fail++
		default:
			pending++
		}
		fmt.Fprintf(&b, "%-7s %-*s %s", status, width, printable(r.Expr), printable(r.Observed))
		if r.Status == threshold.Fail {
			fmt.Fprintf(&b, "  (%s)", printable(r.Message()))
		}
		b.WriteByte('\n')
	}
	verdict := "PASSED"
	if fail > 0 {
		verdict = "FAILED"
	}
	fmt.Fprintf(&b, "Thresholds %s: %d passed, %d failed", verdict, pass, fail)
	if pending > 0 {
		fmt.Fprintf(&b, ", %d pending", pending)
	}
	b.WriteByte('\n')
	_, _ = w.Write(b.Bytes()) // console output: nothing to do on error
}
