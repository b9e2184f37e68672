package herdws

import (
	"errors"
	"fmt"

	"github.com/coder/websocket"
)

// CloseError is the failure of whatever was waiting when the server closed
// the connection: its close status and reason.
type CloseError struct {
	Code   int    // the close status, e.g. 1011 or 4001
	Reason string // the server's reason, may be ""
}

// Error reads "websocket closed: status 4001 (bad token)", the failure
// table's message.
func (e *CloseError) Error() string {
	if e.Reason == "" {
		return fmt.Sprintf("websocket closed: status %d", e.Code)
	}
	return fmt.Sprintf("websocket closed: status %d (%s)", e.Code, e.Reason)
}

// readError turns the reader's last error into what waiters fail with.
func readError(err error) error {
	var ce websocket.CloseError
	if errors.As(err, &ce) {
		return &CloseError{Code: int(ce.Code), Reason: ce.Reason}
	}
	return err
}

// timeoutError is a reply that did not come in time; herd's failure table
// classifies it by its Timeout method.
type timeoutError struct{}

func (timeoutError) Error() string { return "herdws: no reply within the request timeout" }
func (timeoutError) Timeout() bool { return true }

var errTimeout error = timeoutError{}

// errNoConn is returned by calls on a nil Conn: a Dial that failed.
var errNoConn = errors.New("herdws: no connection (Dial failed)")
