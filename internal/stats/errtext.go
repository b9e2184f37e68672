package stats

// MaxErrorMessage and MaxErrorTrace bound the texts of a user error (an
// error a task returned, a panic, or a worker's report of one): a message
// of 100 KB repeated in every table and report would make them unreadable
// and, over 1,000 kinds, cost memory. Failure messages have the same bound
// as MaxErrorMessage (internal/failure).
const (
	MaxErrorMessage = 300
	MaxErrorTrace   = 8 << 10
)

// clip cuts s to at most max bytes, on a UTF-8 boundary, and marks the cut
// with an ellipsis. A text within the bound is returned as is.
func clip(s string, max int) string {
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
		cut--
	}
	return s[:cut] + "…"
}
