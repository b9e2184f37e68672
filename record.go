package herd

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Request is one timed operation: an HTTP request, or anything a custom
// client does (a gRPC call, a Redis command, a SQL query).
type Request struct {
	Kind     string // the "Type" column: "GET", "POST", "grpc", "redis", …
	Name     string // the "Name" column; group variable parts ("/item/{id}")
	Start    time.Time
	Duration time.Duration
	Size     int64 // bytes received
	Err      error // nil for a success

	// URL is where an HTTP request went (its first URL when redirects
	// were followed); a custom client may set it too.
	URL string
	// Response is an HTTP request's response as its task gets it (its
	// StatusCode is 0 when none arrived); nil for other kinds. A
	// FastSession's is only valid during the request listener.
	Response *Response
	// Context is the context the request was made with: the user's (a
	// task's or a hook's), through which listeners reach its host
	// (HostFrom) and its node (NodeFrom). Record fills it in when nil.
	Context context.Context
}

// Record adds a timed operation to the statistics of the user that ctx
// belongs to (the ctx a task was given), and fires the request event.
// Outside a running user it does nothing.
//
// An operation still in flight when its user was killed at the stop (the
// stop timeout expired; with --stop-timeout 0, the default, at once) is
// not lost: when r.Err is set and ctx was cancelled by the kill, it counts
// as a request and as a failure "interrupted at stop: no response",
// whatever its error said. Its Duration, the time it had waited until the
// kill, is its response time: a lower bound of the answer it never got,
// recorded so that every counted request has one sample and counts, sums,
// averages and histograms agree. Record only operations that were
// attempted: one not started because ctx was already done sent nothing.
// A failure with OnStop's context, which outlives the kill, or with a
// context of the task's own that it cancelled or that timed out, keeps its
// usual message.
func Record(ctx context.Context, r Request) {
	if env := envFrom(ctx); env != nil {
		if r.Context == nil {
			r.Context = ctx
		}
		env.record(ctx, &r)
	}
}

// Time runs op, times it and records it as kind and name; op returns the
// number of bytes received and its error. The error is returned as a
// *RequestError, which a task may return to abort itself without counting
// the failure twice. An op interrupted by its user's kill is recorded as
// Record says; one that fails because ctx was done (by the kill) before it
// began is not recorded, as it sent nothing.
func Time(ctx context.Context, kind, name string, op func(ctx context.Context) (size int64, err error)) error {
	env := envFrom(ctx)
	late := env != nil && env.ctx.Err() != nil && ctx.Err() != nil // unsent, inlined
	start := time.Now()
	size, err := op(ctx)
	r := Request{Kind: kind, Name: name, Start: start, Duration: time.Since(start), Size: size, Err: err, Context: ctx}
	if env != nil && (err == nil || !late) {
		env.record(ctx, &r)
	}
	if err != nil {
		return &RequestError{Kind: kind, Name: name, Err: err}
	}
	return nil
}

// RequestError is a failed request that is already counted in the failure
// table. Returning it from a task ends the task without counting it again as
// a user error.
type RequestError struct {
	Kind, Name string
	Err        error
}

func (e *RequestError) Error() string {
	return e.Kind + " " + e.Name + ": " + e.Err.Error()
}

func (e *RequestError) Unwrap() error { return e.Err }

// StatusError is the error of an HTTP response whose status is a failure
// (400 or more, unless Accept lists it). A Response's Err wraps it:
// find it with errors.As.
type StatusError struct {
	Code   int    // the status code, e.g. 429
	Status string // its reason phrase, "Too Many Requests"; may be ""
}

// Error reads "HTTP 429 Too Many Requests", the failure table's message.
func (e *StatusError) Error() string {
	if e.Status == "" {
		return fmt.Sprintf("HTTP %d", e.Code)
	}
	return fmt.Sprintf("HTTP %d %s", e.Code, e.Status)
}

// HTTPStatus is the status code, for error classifiers (herd's failure
// table groups failures by it).
func (e *StatusError) HTTPStatus() int { return e.Code }

// isRecorded reports whether err is a request failure already counted.
func isRecorded(err error) bool {
	var re *RequestError
	return errors.As(err, &re)
}
