package herd

import "context"

// AfterUser registers fn to run when the user ctx belongs to ends (a
// task's context or OnStart's): after its OnStop, or after an OnStart that
// failed, on the user's own goroutine, when herd closes the user's HTTP
// clients. A client a user opens for itself (a gRPC connection, a socket,
// a file) is closed there, and the test ends only once it is. Functions
// run in the order they were registered.
//
// It reports false, and does nothing, when ctx is not a running user's
// (a plain context, OnInit's, or a listener's): close such a client
// yourself.
func AfterUser(ctx context.Context, fn func()) bool {
	env := envFrom(ctx)
	if env == nil || env.x == nil || fn == nil {
		return false
	}
	env.onClose(fn)
	return true
}
