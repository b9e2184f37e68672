package herdgrpc

import (
	"context"
	"strings"
	"time"

	"github.com/herdload/herd"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// Kind is the Type column of a call or a stream; KindMessage that of a
// stream's message (the Messages option).
const (
	Kind        = "grpc"
	KindMessage = "grpc-msg"
)

// timing is what the interceptors need: the timeouts, whether to count a
// stream's messages, and the rows' names.
type timing struct {
	timeout       time.Duration // 0: --request-timeout; < 0: none
	streamTimeout time.Duration // 0: as timeout; < 0: none
	messages      bool
	name          func(method string) string // nil: the method
}

// Interceptors returns the interceptors that time every call and stream
// made through a grpc.ClientConn of the author's own, as Dial's are timed:
//
//	unary, stream := herdgrpc.Interceptors()
//	cc, err := grpc.NewClient(addr, creds,
//		grpc.WithChainUnaryInterceptor(unary), grpc.WithChainStreamInterceptor(stream))
//
// Only Timeout, StreamTimeout, Messages and Names apply; the other options
// are Dial's. Calls are recorded in the statistics of the user their
// context belongs to; calls made outside a user are made and not recorded.
func Interceptors(opts ...Option) (grpc.UnaryClientInterceptor, grpc.StreamClientInterceptor) {
	t := newTiming(collect(opts))
	return t.unary, t.stream
}

func newTiming(o options) *timing {
	return &timing{timeout: o.timeout, streamTimeout: o.streamTimeout, messages: o.messages, name: o.name}
}

// nameOf is the statistics name of method's calls.
func (t *timing) nameOf(method string) string {
	if t.name == nil {
		return method
	}
	return t.name(method)
}

// unary times one call: its name the method ("/pkg.Service/Method", or
// what Names makes of it), its size the reply's proto size, a non-OK
// status its failure.
func (t *timing) unary(ctx context.Context, method string, req, reply any, cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {
	if err := ctx.Err(); err != nil {
		// Nothing is sent, so nothing is recorded (herd.Record's rule).
		return status.FromContextError(err).Err()
	}
	cctx, cancel := deadline(ctx, t.timeoutOf(ctx, t.timeout))
	start := time.Now()
	err := invoker(cctx, method, req, reply, cc, opts...)
	d := time.Since(start)
	if err != nil {
		err = pastDeadline(cctx, err)
	}
	if cancel != nil {
		cancel()
	}
	var size int64
	if err == nil {
		size = protoSize(reply)
	}
	name := t.nameOf(method)
	herd.Record(ctx, herd.Request{Kind: Kind, Name: name, Start: start, Duration: d, Size: size, Err: err})
	if err != nil {
		return &herd.RequestError{Kind: Kind, Name: name, Err: err}
	}
	return nil
}

// timeoutOf is d, or --request-timeout for 0; 0 for none.
func (t *timing) timeoutOf(ctx context.Context, d time.Duration) time.Duration {
	switch {
	case d < 0:
		return 0
	case d == 0:
		return herd.RequestTimeoutFrom(ctx)
	}
	return d
}

// deadline bounds ctx by d unless it has an earlier deadline (or d is 0);
// cancel is nil when ctx is kept.
func deadline(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if d <= 0 {
		return ctx, nil
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= d {
		return ctx, nil
	}
	return context.WithTimeout(ctx, d)
}

// errDeadline is the error of every call and stream past its deadline.
var errDeadline = status.FromContextError(context.DeadlineExceeded).Err()

// pastDeadline returns errDeadline for err when it says that ctx's
// deadline passed. The client's timer and the server's (which knows the
// deadline too) race: when the server's wins, its reset comes a little
// before the client's deadline, described as "stream terminated by
// RST_STREAM …", which would split one failure into two rows.
func pastDeadline(ctx context.Context, err error) error {
	s, ok := status.FromError(err)
	if !ok || s.Code() != codes.DeadlineExceeded {
		return err
	}
	if _, has := ctx.Deadline(); ctx.Err() == context.DeadlineExceeded || has && strings.HasPrefix(s.Message(), "stream terminated by RST_STREAM") {
		return errDeadline
	}
	return err
}

// protoSize is m's encoded size when it is a protobuf message, else 0: the
// codec's wire size is not visible to an interceptor, and computing the
// size walks the message without allocating.
func protoSize(m any) int64 {
	if pm, ok := m.(proto.Message); ok {
		return int64(proto.Size(pm))
	}
	return 0
}
