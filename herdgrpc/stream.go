package herdgrpc

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"time"

	"github.com/herdload/herd"
	"google.golang.org/grpc"
	"google.golang.org/grpc/status"
)

// stream records one stream as one request when it ends: timed from its
// opening until RecvMsg returns io.EOF (or, for a stream of one reply, the
// reply) or an error, which fails it; its size is the proto size of every
// message received. A stream its author drops before its end is not
// recorded.
type stream struct {
	grpc.ClientStream
	t      *timing
	ctx    context.Context // the caller's: the user's, for Record
	sctx   context.Context // the stream's: ctx with its deadline
	name   string          // the statistics'
	single bool            // one reply ends it (unary or client-streaming)
	start  time.Time
	cancel context.CancelFunc // the deadline's, or nil

	last  time.Time    // the previous message's arrival (Messages), RecvMsg's goroutine only
	size  atomic.Int64 // bytes received
	ended atomic.Bool  // recorded
}

// stream opens a stream and wraps it so that its end is recorded. A
// failure to open is recorded at once.
func (t *timing) stream(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn, method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {
	if err := ctx.Err(); err != nil {
		return nil, status.FromContextError(err).Err() // nothing sent, nothing recorded
	}
	d := t.streamTimeout
	if d == 0 {
		d = t.timeout
	}
	sctx, cancel := deadline(ctx, t.timeoutOf(ctx, d))
	start := time.Now()
	cs, err := streamer(sctx, desc, cc, method, opts...)
	if err != nil {
		if cancel != nil {
			cancel()
		}
		d := time.Since(start)
		err = pastDeadline(sctx, err)
		name := t.nameOf(method)
		herd.Record(ctx, herd.Request{Kind: Kind, Name: name, Start: start, Duration: d, Err: err})
		return nil, &herd.RequestError{Kind: Kind, Name: name, Err: err}
	}
	return &stream{ClientStream: cs, t: t, ctx: ctx, sctx: sctx, name: t.nameOf(method), single: !desc.ServerStreams,
		start: start, last: start, cancel: cancel}, nil
}

// RecvMsg receives a message, and records the stream when it ends.
func (s *stream) RecvMsg(m any) error {
	err := s.ClientStream.RecvMsg(m)
	switch {
	case err == nil:
		n := protoSize(m)
		s.size.Add(n)
		if s.t.messages {
			now := time.Now()
			herd.Record(s.ctx, herd.Request{Kind: KindMessage, Name: s.name, Start: s.last, Duration: now.Sub(s.last), Size: n})
			s.last = now
		}
		if s.single {
			s.end(nil) // grpc has read the status behind the reply
		}
		return nil
	case errors.Is(err, io.EOF):
		s.end(nil)
		return err
	}
	return s.fail(err)
}

// SendMsg sends a message; an error other than io.EOF (which says the
// stream has ended: RecvMsg tells how) ends the stream.
func (s *stream) SendMsg(m any) error {
	err := s.ClientStream.SendMsg(m)
	if err == nil || errors.Is(err, io.EOF) {
		return err
	}
	return s.fail(err)
}

// CloseSend closes the sending side; its error ends the stream.
func (s *stream) CloseSend() error {
	if err := s.ClientStream.CloseSend(); err != nil {
		return s.fail(err)
	}
	return nil
}

// fail records the stream's end with err, once, and returns err as a
// *herd.RequestError.
func (s *stream) fail(err error) error {
	err = pastDeadline(s.sctx, err)
	s.end(err)
	return &herd.RequestError{Kind: Kind, Name: s.name, Err: err}
}

// end records the stream, the first time it is called.
func (s *stream) end(err error) {
	if !s.ended.CompareAndSwap(false, true) {
		return
	}
	d := time.Since(s.start)
	if s.cancel != nil {
		s.cancel()
	}
	herd.Record(s.ctx, herd.Request{Kind: Kind, Name: s.name, Start: s.start, Duration: d, Size: s.size.Load(), Err: err})
}
