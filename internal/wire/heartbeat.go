package wire

import (
	"fmt"

	"github.com/vmihailenco/msgpack/v5"
)

// Worker states a worker may report in a heartbeat. A master counts a worker
// as active only in these three (locust-wire.md 4.4).
const (
	StateReady    = "ready"
	StateSpawning = "spawning"
	StateRunning  = "running"
)

// Heartbeat is the data of heartbeat from a worker. (The master's heartbeat,
// since 2.19, has nil data: use Empty(TypeHeartbeat, id).)
type Heartbeat struct {
	// State is StateReady, StateSpawning or StateRunning.
	State string
	// CurrentCPUUsage is the process CPU use in percent.
	CurrentCPUUsage float64
	// CurrentMemoryUsage is the resident set size in bytes.
	CurrentMemoryUsage int64
}

// MessageType returns TypeHeartbeat.
func (Heartbeat) MessageType() string { return TypeHeartbeat }

// MarshalData encodes {"state", "current_cpu_usage" (float64),
// "current_memory_usage"} in Locust's order.
func (h Heartbeat) MarshalData() (msgpack.RawMessage, error) {
	w := newWriter()
	w.mapLen(3)
	w.str("state")
	w.str(h.State)
	w.str("current_cpu_usage")
	w.float(h.CurrentCPUUsage)
	w.str("current_memory_usage")
	w.int(h.CurrentMemoryUsage)
	return w.raw()
}

// DecodeHeartbeat decodes a worker's heartbeat data. state and
// current_cpu_usage (int or float) are required, as a real master requires
// them; current_memory_usage is optional (0 when absent) and may be an int
// or an integral float. Unknown keys are ignored.
//
// A master decodes one heartbeat a second from every worker: this reads
// the data in place (see cursor) and allocates nothing for the three
// states.
func DecodeHeartbeat(data msgpack.RawMessage) (Heartbeat, error) {
	if err := validateObject(data, DefaultMaxDepth); err != nil {
		return Heartbeat{}, err
	}
	c := &cursor{b: data}
	n, err := c.mapLen()
	if err != nil {
		return Heartbeat{}, invalidf("heartbeat: %v", err)
	}
	var h Heartbeat
	var haveState, haveCPU bool
	for range n {
		key, err := c.str()
		if err != nil {
			return Heartbeat{}, invalidf("heartbeat key: %v", err)
		}
		switch string(key) {
		case "state":
			haveState = true
			var state []byte
			if state, err = c.str(); err == nil {
				h.State = knownState(state)
			}
		case "current_cpu_usage":
			haveCPU = true
			var n Number
			n, err = c.number()
			h.CurrentCPUUsage = n.Float64()
		case "current_memory_usage":
			var n Number
			if n, err = c.number(); err == nil {
				var exact bool
				if h.CurrentMemoryUsage, exact = n.Int64(); !exact {
					err = fmt.Errorf("%s is not an integer", n)
				}
			}
		default:
			err = c.skip()
		}
		if err != nil {
			return Heartbeat{}, invalidf("%s: %v", keyPath("heartbeat", string(key)), err)
		}
	}
	if !haveState || !haveCPU {
		return Heartbeat{}, invalidf("heartbeat: missing state or current_cpu_usage")
	}
	return h, nil
}

// knownState returns one of the worker states without allocating, or a
// copy of any other.
func knownState(b []byte) string {
	switch string(b) {
	case StateReady:
		return StateReady
	case StateSpawning:
		return StateSpawning
	case StateRunning:
		return StateRunning
	}
	return string(b)
}
