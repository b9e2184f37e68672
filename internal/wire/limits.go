package wire

// Default limits applied by Decode and by every Decode<Type> function.
const (
	// DefaultMaxFrameSize caps the size of one frame (64 MiB). Locust's
	// largest regular message, a stats report, is a few KiB per endpoint.
	DefaultMaxFrameSize = 64 << 20
	// DefaultMaxDepth caps the nesting of arrays and maps. Locust's own
	// messages nest at most 5 levels; custom messages may go deeper.
	DefaultMaxDepth = 100
)

// Limits bounds what a decoder accepts, so that a hostile frame costs no
// more memory than its own size and no deep recursion.
type Limits struct {
	// MaxFrameSize is the largest accepted frame in bytes; 0 means
	// DefaultMaxFrameSize.
	MaxFrameSize int
	// MaxDepth is the deepest accepted nesting of arrays and maps; 0 means
	// DefaultMaxDepth.
	MaxDepth int
}

// DefaultLimits are the limits used by Decode.
var DefaultLimits = Limits{MaxFrameSize: DefaultMaxFrameSize, MaxDepth: DefaultMaxDepth}

// frameSize returns the effective frame size cap.
func (l Limits) frameSize() int {
	if l.MaxFrameSize <= 0 {
		return DefaultMaxFrameSize
	}
	return l.MaxFrameSize
}

// depth returns the effective nesting cap.
func (l Limits) depth() int {
	if l.MaxDepth <= 0 {
		return DefaultMaxDepth
	}
	return l.MaxDepth
}
