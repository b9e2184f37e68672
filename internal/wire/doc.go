// Package wire encodes and decodes the messages of Locust's distributed
// (master/worker) protocol, as spoken by Locust 2.12.1 and later.
//
// Every ZeroMQ frame carries one msgpack array of three elements,
// [type, data, node_id] (see Message). Decode splits a frame into that
// envelope and keeps the data element as raw msgpack; the Decode<Type>
// functions turn the raw data into typed payloads (Heartbeat, Spawn,
// StatsReport, ...). Each payload encodes itself explicitly, key by key, in
// the order Locust writes, so herd's frames are byte-for-byte what Locust
// itself would send: text as msgpack str, integers in their smallest format,
// floats as float64, maps in Locust's insertion order.
//
// A master, which reads a stats report from every worker every 3 s, reads
// them in place instead (StatsReportView over DecodeView's frames):
// views of the frame, no allocation per entry, the same verdicts.
//
// Decoding never panics on hostile input: frames are checked against a size
// cap and a nesting limit before anything is allocated (see Limits), and
// every shape problem is reported as an error wrapping ErrInvalid.
//
// The protocol itself is described in docs/protocol/locust-wire.md.
package wire
