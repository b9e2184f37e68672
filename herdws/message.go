package herdws

import "github.com/coder/websocket"

// Message is one WebSocket data message.
type Message struct {
	Binary bool   // a binary message; false for text
	Data   []byte // its payload, not to be changed once sent or handed over
}

// Text is a text message.
func Text(s string) Message { return Message{Data: []byte(s)} }

// Binary is a binary message.
func Binary(b []byte) Message { return Message{Binary: true, Data: b} }

// String returns the payload as a string.
func (m Message) String() string { return string(m.Data) }

func (m Message) typ() websocket.MessageType {
	if m.Binary {
		return websocket.MessageBinary
	}
	return websocket.MessageText
}

// The statistics' Type column of each kind of row (see the package doc).
const (
	KindWait = "WS"  // the connect, Request and Await
	KindSend = "WSS" // Send
	KindPush = "WSR" // pushes no Request or Await claimed
)
