package wire

import "github.com/vmihailenco/msgpack/v5"

// Payload is a typed message body: it knows its message type and encodes
// its data element explicitly, key by key.
type Payload interface {
	// MessageType returns the message type string.
	MessageType() string
	// MarshalData encodes the data element.
	MarshalData() (msgpack.RawMessage, error)
}

// New wraps p in a Message addressed with nodeID.
func New(nodeID string, p Payload) (Message, error) {
	data, err := p.MarshalData()
	if err != nil {
		return Message{}, err
	}
	return Message{Type: p.MessageType(), Data: data, NodeID: nodeID}, nil
}

// EncodePayload encodes p as a complete frame addressed with nodeID.
func EncodePayload(nodeID string, p Payload) ([]byte, error) {
	m, err := New(nodeID, p)
	if err != nil {
		return nil, err
	}
	return Encode(m)
}

// Signal is the payload of the messages whose data is nil: spawning, stop,
// client_stopped, quit, reconnect and the master's heartbeat.
type Signal struct {
	// Type is the message type.
	Type string
}

// MessageType returns s.Type.
func (s Signal) MessageType() string { return s.Type }

// MarshalData returns msgpack nil.
func (s Signal) MarshalData() (msgpack.RawMessage, error) { return nilData, nil }

// DecodePayload decodes m's data according to its type: ClientReady, Ack,
// Heartbeat, StatsReport, Spawn, SpawningComplete, Exception, Logs,
// UpdateUserClass, LocustfileRequest or LocustfileReply, or a Signal for
// the types whose data Locust ignores (spawning, stop, client_stopped,
// quit, reconnect) and for a heartbeat with nil data (master to worker).
// A locustfile message is a request when it carries nil or a "version"
// key, a reply otherwise. Any other type decodes as a Custom message.
func DecodePayload(m Message) (Payload, error) {
	switch m.Type {
	case TypeClientReady:
		return DecodeClientReady(m.Data)
	case TypeAck:
		return DecodeAck(m.Data)
	case TypeHeartbeat:
		if m.HasNilData() {
			return Signal{Type: m.Type}, nil
		}
		return DecodeHeartbeat(m.Data)
	case TypeStats:
		return DecodeStatsReport(m.Data)
	case TypeSpawn:
		return DecodeSpawn(m.Data)
	case TypeSpawningComplete:
		return DecodeSpawningComplete(m.Data)
	case TypeException:
		return DecodeException(m.Data)
	case TypeLogs:
		return DecodeLogs(m.Data)
	case TypeUpdateUserClass:
		return DecodeUpdateUserClass(m.Data)
	case TypeLocustfile:
		if isLocustfileRequest(m.Data) {
			return DecodeLocustfileRequest(m.Data)
		}
		return DecodeLocustfileReply(m.Data)
	case TypeSpawning, TypeStop, TypeClientStopped, TypeQuit, TypeReconnect:
		return Signal{Type: m.Type}, nil
	}
	return DecodeCustom(m)
}
