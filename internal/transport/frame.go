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
	held    int // bytes of the memory budget it holds until released
}

// readMessage reads one message (all frames up to the last one) from br.
// max caps the message, frame headers included, so that neither a huge
// declared size nor a stream of empty frames can exhaust memory. A clean
// end of stream before a message returns io.EOF.
func readMessage(br *bufio.Reader, max int) (zmtpMessage, error) {
	return msgReader{br: br, max: max}.read()
}

// msgReader reads ZMTP messages. Without limits (a Dealer) it only caps
// a message's size; a Router's connLimits add read deadlines, admission
// and the memory budget for what a message holds beyond freeMessage.
type msgReader struct {
	br  *bufio.Reader
	max int
	lim *connLimits // nil: none
}

// read reads one message; on error it holds no memory of the budget.
func (r msgReader) read() (msg zmtpMessage, err error) {
	if r.lim != nil {
		r.lim.next()
		defer func() {
			if err != nil {
				r.lim.release(msg.held)
				msg.held = 0
			} else {
				r.lim.end()
			}
		}()
	}
	total := 0
	for {
		flags, err := r.br.ReadByte()
		if err != nil {
			if err == io.EOF && len(msg.frames) > 0 {
				err = io.ErrUnexpectedEOF
			}
			return msg, err
		}
		if r.lim != nil && len(msg.frames) == 0 {
			r.lim.begin()
		}
		if flags&^(flagMore|flagLong|flagCommand) != 0 {
			return msg, fmt.Errorf("%w: reserved frame flags 0x%02x", ErrProtocol, flags)
		}
		var size uint64
		if flags&flagLong != 0 {
			var b [8]byte
			if _, err := io.ReadFull(r.br, b[:]); err != nil {
				return msg, unexpected(err)
			}
			size = binary.BigEndian.Uint64(b[:])
			total += 9
		} else {
			b, err := r.br.ReadByte()
			if err != nil {
				return msg, unexpected(err)
			}
			size = uint64(b)
			total += 2
		}
		if size > uint64(r.max) || total+int(size) > r.max {
			return msg, fmt.Errorf("%w: more than %d bytes", ErrTooLarge, r.max)
		}
		total += int(size)
		var body []byte
		if r.lim == nil || total <= freeMessage {
			body, err = readBody(r.br, int(size), nil, &msg.held)
		} else {
			body, err = readBody(r.br, int(size), r.lim, &msg.held)
		}
		if err != nil {
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

// growStart is the first buffer of a body read in steps.
const growStart = 64 << 10

// readBody reads a body of size bytes. A large one is read into a buffer
// that doubles as the bytes arrive, so memory follows what the peer sent,
// never what it declared. With lim, every buffer is first reserved from
// the budget (the old one is given back once copied) and *held counts
// what the body holds.
func readBody(br *bufio.Reader, size int, lim *connLimits, held *int) ([]byte, error) {
	grow := func(n int) error {
		if lim == nil {
			return nil
		}
		if err := lim.reserve(n); err != nil {
			return err
		}
		*held += n
		return nil
	}
	shrink := func(n int) {
		if lim != nil {
			lim.release(n)
			*held -= n
		}
	}
	if size <= growStart {
		if err := grow(size); err != nil {
			return nil, err
		}
		body := make([]byte, size)
		_, err := io.ReadFull(br, body)
		return body, err
	}
	if err := grow(growStart); err != nil {
		return nil, err
	}
	body := make([]byte, 0, growStart)
	for {
		n, err := io.ReadFull(br, body[len(body):cap(body)])
		body = body[:len(body)+n]
		if err != nil || len(body) == size {
			return body, err
		}
		next := min(size, 2*cap(body))
		if err := grow(next); err != nil {
			return nil, err
		}
		bigger := make([]byte, len(body), next)
		copy(bigger, body)
		shrink(cap(body))
		body = bigger
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
