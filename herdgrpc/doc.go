// Package herdgrpc times gRPC calls for herd users, on
// google.golang.org/grpc: each unary call and each stream made through a
// Conn is recorded under its method ("/pkg.Service/Method", Type "grpc"),
// so generated clients just work.
//
// A user dials its connection in OnStart (to -H, grpc://host:port or
// grpcs://host:port) and closes it in OnStop:
//
//	type Greeter struct {
//		conn  *herdgrpc.Conn
//		hello pb.GreeterClient
//	}
//
//	func (u *Greeter) OnStart(ctx context.Context) error {
//		var err error
//		u.conn, err = herdgrpc.Dial(ctx)
//		u.hello = pb.NewGreeterClient(u.conn)
//		return err
//	}
//
//	func (u *Greeter) OnStop(context.Context) error { return u.conn.Close() }
//
// A Pool shares a few connections between every user instead; Interceptors
// times a grpc.ClientConn of the author's own.
//
// What is recorded:
//
//   - A unary call: its response time, the reply's proto size, and a
//     non-OK status as its failure, the code in the message ("rpc error:
//     code = NotFound desc = …"). Each call has a deadline of
//     --request-timeout (or the Timeout option), unless its context has an
//     earlier one; past it the call fails with code DeadlineExceeded.
//   - A stream: one request per stream, timed from its opening to its end
//     (RecvMsg returns io.EOF, or the reply of a client-streaming call),
//     its size the proto sizes of the messages it received; an error status
//     fails it. Its deadline is the calls' unless StreamTimeout says
//     otherwise. A stream dropped before its end is not recorded (cancel
//     its context or read it to the end: grpc needs one or the other).
//     With the Messages option each received message is also a row (Type
//     "grpc-msg"), timed from the previous one.
//   - A call or stream still in flight when its user is killed at the stop
//     counts as interrupted ("interrupted at stop: no response"), as an
//     HTTP request does; one made with a context already done sends
//     nothing and is not recorded.
//
// Errors are returned as *herd.RequestError (already counted: a task may
// return them as they are) around the status error; status.Code(err) reads
// its code.
package herdgrpc
