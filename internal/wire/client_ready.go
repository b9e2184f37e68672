package wire

import "github.com/vmihailenco/msgpack/v5"

// VersionKind tells the three accepted forms of client_ready data apart.
type VersionKind int

const (
	// VersionText is a non-empty version string such as "2.12.1".
	VersionText VersionKind = iota
	// VersionEmpty is the empty string sent by the stock Debian 2.12.1 build.
	// A real Locust master treats it as a pre-2.0 worker and never acks it; a
	// foreign master should accept it (locust-wire.md 4.1).
	VersionEmpty
	// VersionSkipCheck is the integer -1: "skip the version check".
	VersionSkipCheck
)

// String names the kind.
func (k VersionKind) String() string {
	switch k {
	case VersionText:
		return "text"
	case VersionEmpty:
		return "empty"
	case VersionSkipCheck:
		return "skip-check (-1)"
	}
	return "unknown"
}

// ClientReady is the data of client_ready (worker to master): the worker's
// Locust version, "" or -1.
type ClientReady struct {
	// Version is the version text ("" for VersionEmpty and VersionSkipCheck).
	Version string
	// Kind is the form of the data.
	Kind VersionKind
}

// ClientReadyVersion returns a client_ready carrying version; "" gives
// VersionEmpty.
func ClientReadyVersion(version string) ClientReady {
	if version == "" {
		return ClientReady{Kind: VersionEmpty}
	}
	return ClientReady{Version: version, Kind: VersionText}
}

// ClientReadySkipCheck returns a client_ready carrying -1.
func ClientReadySkipCheck() ClientReady {
	return ClientReady{Kind: VersionSkipCheck}
}

// MessageType returns TypeClientReady.
func (ClientReady) MessageType() string { return TypeClientReady }

// MarshalData encodes -1 for VersionSkipCheck, else the version string.
func (c ClientReady) MarshalData() (msgpack.RawMessage, error) {
	w := newWriter()
	if c.Kind == VersionSkipCheck {
		w.int(-1)
	} else {
		w.str(c.Version)
	}
	return w.raw()
}

// DecodeClientReady decodes client_ready data. A string (empty or not) or
// the integer -1 is accepted; nil, other numbers and other types are
// errors (a real master rejects or crashes on them, locust-wire.md 4.1).
func DecodeClientReady(data msgpack.RawMessage) (ClientReady, error) {
	r, err := newReader(data)
	if err != nil {
		return ClientReady{}, err
	}
	c, err := r.peek("client_ready")
	if err != nil {
		return ClientReady{}, err
	}
	if isInt(c) {
		n, err := r.int64("client_ready")
		if err != nil {
			return ClientReady{}, err
		}
		if n != -1 {
			return ClientReady{}, invalidf("client_ready: version is the integer %d, want a string or -1", n)
		}
		return ClientReadySkipCheck(), nil
	}
	v, err := r.str("client_ready")
	if err != nil {
		return ClientReady{}, err
	}
	return ClientReadyVersion(v), nil
}
