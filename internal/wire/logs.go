package wire

import "github.com/vmihailenco/msgpack/v5"

// Logs is the data of logs (worker to master, since 2.29): the worker's
// captured log lines, cumulative.
type Logs struct {
	// WorkerID is the worker's node id.
	WorkerID string
	// Logs are all captured lines so far.
	Logs []string
}

// MessageType returns TypeLogs.
func (Logs) MessageType() string { return TypeLogs }

// MarshalData encodes {"worker_id", "logs"}.
func (l Logs) MarshalData() (msgpack.RawMessage, error) {
	w := newWriter()
	w.mapLen(2)
	w.str("worker_id")
	w.str(l.WorkerID)
	w.str("logs")
	w.strings(l.Logs)
	return w.raw()
}

// DecodeLogs decodes logs data; both keys are required.
func DecodeLogs(data msgpack.RawMessage) (Logs, error) {
	r, err := newReader(data)
	if err != nil {
		return Logs{}, err
	}
	var l Logs
	var seen keySet
	err = r.fields("logs", func(key string) error {
		var err error
		switch key {
		case "worker_id":
			l.WorkerID, err = r.str("logs.worker_id")
		case "logs":
			l.Logs, err = r.strings("logs.logs")
		default:
			return r.skip(keyPath("logs", key))
		}
		seen.add(key)
		return err
	})
	if err != nil {
		return Logs{}, err
	}
	if !seen.has("worker_id", "logs") {
		return Logs{}, invalidf("logs: want worker_id and logs")
	}
	return l, nil
}
