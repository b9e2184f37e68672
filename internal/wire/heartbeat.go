package wire

import "github.com/vmihailenco/msgpack/v5"

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
func DecodeHeartbeat(data msgpack.RawMessage) (Heartbeat, error) {
	r, err := newReader(data)
	if err != nil {
		return Heartbeat{}, err
	}
	var h Heartbeat
	var haveState, haveCPU bool
	err = r.fields("heartbeat", func(key string) error {
		var err error
		switch key {
		case "state":
			haveState = true
			h.State, err = r.str("heartbeat.state")
		case "current_cpu_usage":
			haveCPU = true
			h.CurrentCPUUsage, err = r.float("heartbeat.current_cpu_usage")
		case "current_memory_usage":
			var n Number
			n, err = r.number("heartbeat.current_memory_usage")
			if err == nil {
				var exact bool
				if h.CurrentMemoryUsage, exact = n.Int64(); !exact {
					err = invalidf("heartbeat.current_memory_usage: %s is not an integer", n)
				}
			}
		default:
			err = r.skip(keyPath("heartbeat", key))
		}
		return err
	})
	if err != nil {
		return Heartbeat{}, err
	}
	if !haveState || !haveCPU {
		return Heartbeat{}, invalidf("heartbeat: missing state or current_cpu_usage")
	}
	return h, nil
}
