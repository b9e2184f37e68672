package transport

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// ZMTP 3 frame flags.
const (
	flagMore    = 0x01
	flagLong    = 0x02
	flagCommand = 0x04
)

// zmtpMessage is one received ZMTP message: data frames, or one command.
type zmtpMessage struct {
	frames  [][]byte
	command bool
}

// readMessage reads one message (all frames up to the last one) from br.
// max caps the message, frame headers included, so that neither a huge
// declared size nor a stream of empty frames can exhaust memory. A clean
// end of stream before a message returns io.EOF.
func readMessage(br *bufio.Reader, max int) (zmtpMessage, error) {
	var msg zmtpMessage
	total := 0
	for {
		flags, err := br.ReadByte()
		if err != nil {
			if err == io.EOF && len(msg.frames) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return msg, err
		}
		if flags&^(flagMore|flagLong|flagCommand) != 0 {
			return msg, fmt.Errorf("%w: reserved frame flags 0x%02x", ErrProtocol, flags)
		}
		var size uint64
		if flags&flagLong != 0 {
			var b [8]byte
			if _, err := io.ReadFull(br, b[:]); err != nil {
				return msg, unexpected(err)
			}
			size = binary.BigEndian.Uint64(b[:])
			total += 9
		} else {
			b, err := br.ReadByte()
			if err != nil {
				return msg, unexpected(err)
			}
			size = uint64(b)
			total += 2
		}
		if size > uint64(max) || total+int(size) > max {
			return msg, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, max)
		}
		total += int(size)
		body := make([]byte, size)
		if _, err := io.ReadFull(br, body); err != nil {
			return msg, unexpected(err)
		}
		if flags&flagCommand != 0 {
			if flags&flagMore != 0 || len(msg.frames) > 0 {
				return msg, fmt.Errorf("%w: command inside a multi-frame message", ErrProtocol)
			}
			msg.frames = [][]byte{body}
			msg.command = true
			return msg, nil
		}
		msg.frames = append(msg.frames, body)
		if flags&flagMore == 0 {
			return msg, nil
		}
	}
}

// unexpected turns a mid-message EOF into io.ErrUnexpectedEOF.
func unexpected(err error) error {
	if errors.Is(err, io.EOF) {
		return io.ErrUnexpectedEOF
	}
	return err
}

// parseCommand splits a command frame into name and body.
func parseCommand(frame []byte) (string, []byte, error) {
	if len(frame) == 0 || int(frame[0]) > len(frame)-1 {
		return "", nil, fmt.Errorf("%w: malformed command frame", ErrProtocol)
	}
	n := int(frame[0])
	return string(frame[1 : 1+n]), frame[1+n:], nil
}

// pingContext returns the context a PONG must echo: the PING body after
// its 2-byte TTL, at most 16 bytes (ZMTP 3.1).
func pingContext(body []byte) []byte {
	if len(body) <= 2 {
		return nil
	}
	ctx := body[2:]
	if len(ctx) > 16 {
		ctx = ctx[:16]
	}
	return ctx
}
