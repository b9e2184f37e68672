package wire

import (
	"errors"
	"fmt"
)

// Errors reported by the decoders. Every decoding error wraps exactly one of
// them, so callers can tell a hostile or broken frame (ErrInvalid,
// ErrTrailingData, ErrTooLarge) from a well-formed frame of an unexpected
// shape (also ErrInvalid) with errors.Is.
var (
	// ErrInvalid reports malformed msgpack or a payload of the wrong shape.
	ErrInvalid = errors.New("wire: invalid message")
	// ErrTrailingData reports bytes after the envelope (Locust answers such
	// a frame with "reconnect").
	ErrTrailingData = errors.New("wire: trailing data after message")
	// ErrTooLarge reports a frame above the configured size cap.
	ErrTooLarge = errors.New("wire: frame too large")
)

// invalidf returns an error wrapping ErrInvalid.
func invalidf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{ErrInvalid}, args...)...)
}

// keyPath extends an error path with a map key, shortened so that paths
// stay small however long or deeply nested the keys of a frame are.
func keyPath(path string, key any) string {
	const maxKey = 40
	s, ok := key.(string)
	if !ok {
		s = fmt.Sprint(key)
	}
	if len(s) > maxKey {
		s = s[:maxKey] + "..."
	}
	return path + "." + s
}
