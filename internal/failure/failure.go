// Package failure sorts request errors into a small, stable set of classes
// with bounded messages, so failure tables stay short and readable however
// many requests fail (no ephemeral ports, addresses or object pointers in
// the keys).
package failure

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"regexp"
	"strings"
	"syscall"
)

// Class is the kind of a failure.
type Class int

// The failure classes, from the network up.
const (
	Other    Class = iota // anything else: the (sanitised) error text
	DNS                   // name resolution failed
	Connect               // the connection could not be opened
	TLS                   // handshake or certificate problem
	Timeout               // no answer within the deadline
	Reset                 // the peer reset or closed the connection mid-request
	Protocol              // the peer answered something that is not valid HTTP
	Status                // the peer answered with a failing status
	User                  // the user's own check rejected the response
	// Interrupted: the user was killed at the stop while the request was
	// in flight, before any answer (or a whole one) came.
	Interrupted
)

var classNames = [...]string{"error", "dns", "connect", "tls", "timeout", "reset", "protocol", "status", "user", "interrupted"}

func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return fmt.Sprintf("Class(%d)", int(c))
}

// httpStatus is an HTTP response whose status counts as a failure
// (herd.StatusError): its Error text is its failure message.
type httpStatus interface {
	error
	HTTPStatus() int
}

// UserError is a failure decided by the user's own response check.
type UserError struct{ Err error }

func (e *UserError) Error() string { return e.Err.Error() }
func (e *UserError) Unwrap() error { return e.Err }

// ProtocolError marks a response that could not be parsed.
type ProtocolError struct{ Err error }

func (e *ProtocolError) Error() string { return "invalid response: " + e.Err.Error() }
func (e *ProtocolError) Unwrap() error { return e.Err }

// InterruptedError is a request still in flight when its user was killed
// at the stop. Only the caller knows that (a cancelled context says nothing
// of who cancelled it), so it wraps the client's error in one.
type InterruptedError struct{ Err error }

// InterruptedMessage is the failure message of every InterruptedError: one
// row per endpoint, however long each request had been waiting.
const InterruptedMessage = "interrupted at stop: no response"

func (e *InterruptedError) Error() string { return "interrupted at stop: " + e.Err.Error() }
func (e *InterruptedError) Unwrap() error { return e.Err }

// Classify returns the class of err and the message its failure row shows.
func Classify(err error) (Class, string) {
	if err == nil {
		return Other, ""
	}
	var ie *InterruptedError
	if errors.As(err, &ie) {
		return Interrupted, InterruptedMessage
	}
	var se httpStatus
	if errors.As(err, &se) {
		return Status, se.Error()
	}
	var ue *UserError
	if errors.As(err, &ue) {
		return User, Sanitize(ue.Err.Error())
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		if dnsErr.IsTimeout {
			return DNS, "dns: timeout looking up " + Sanitize(dnsErr.Name)
		}
		return DNS, "dns: cannot resolve " + Sanitize(dnsErr.Name)
	}
	var opErr *net.OpError
	dialing := errors.As(err, &opErr) && opErr.Op == "dial"
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || isTimeout(err) {
		if dialing {
			return Timeout, "timeout: could not connect within the request timeout"
		}
		return Timeout, "timeout: no complete response within the request timeout"
	}
	var certErr *tls.CertificateVerificationError
	var unknownAuth x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidErr x509.CertificateInvalidError
	var recErr tls.RecordHeaderError
	var alert tls.AlertError
	switch {
	case errors.As(err, &certErr), errors.As(err, &unknownAuth), errors.As(err, &hostErr), errors.As(err, &invalidErr):
		return TLS, "tls: certificate not trusted"
	case errors.As(err, &recErr):
		return TLS, "tls: peer did not answer with TLS"
	case errors.As(err, &alert):
		return TLS, Sanitize(alert.Error()) // "tls: bad certificate"
	case opErr != nil && opErr.Op == "remote error":
		// An alert the peer sent over TCP: crypto/tls reports it as a
		// *net.OpError around an unexported type whose text is "tls: …".
		return TLS, "tls: peer refused: " + strings.TrimPrefix(Sanitize(opErr.Err.Error()), "tls: ")
	}
	var pe *ProtocolError
	if errors.As(err, &pe) {
		return Protocol, Sanitize(pe.Error())
	}
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return Connect, "connect: connection refused"
	case errors.Is(err, syscall.ENETUNREACH), errors.Is(err, syscall.EHOSTUNREACH):
		return Connect, "connect: network unreachable"
	case errors.Is(err, syscall.EADDRNOTAVAIL):
		return Connect, "connect: no free local port (too many connections)"
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE):
		return Connect, "connect: too many open files (raise ulimit -n)"
	case dialing:
		return Connect, "connect: " + Sanitize(opErr.Err.Error())
	case errors.Is(err, syscall.ECONNRESET):
		return Reset, "reset: connection reset by peer"
	case errors.Is(err, syscall.EPIPE):
		return Reset, "reset: broken pipe"
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return Reset, "reset: server closed the connection before a full response"
	}
	// Texts of errors without a type to test for.
	msg := err.Error()
	switch {
	case strings.Contains(msg, "server gave HTTP response to HTTPS client"): // net/http
		return TLS, "tls: peer did not answer with TLS"
	case strings.Contains(msg, "server closed idle connection"): // net/http, not retried
		return Reset, "reset: server closed the connection before a full response"
	}
	return Other, Sanitize(msg)
}

// Message is Classify without the class.
func Message(err error) string {
	_, m := Classify(err)
	return m
}

func isTimeout(err error) bool {
	var t interface{ Timeout() bool }
	return errors.As(err, &t) && t.Timeout()
}

var (
	// "127.0.0.1:54321->" in "read tcp 127.0.0.1:54321->127.0.0.1:80": the
	// local end changes with every connection.
	localAddr = regexp.MustCompile(`\S+:\d+->`)
	pointer   = regexp.MustCompile(`0x[0-9a-fA-F]{6,}`)
)

// maxMessage caps one failure message; longer texts (a whole HTML error
// page, say) would make every table unreadable.
const maxMessage = 300

// Sanitize removes the parts of an error text that vary between otherwise
// identical failures and caps its length.
func Sanitize(s string) string {
	s = localAddr.ReplaceAllString(s, "")
	s = pointer.ReplaceAllString(s, "0x…")
	if len(s) > maxMessage {
		cut := maxMessage
		for cut > 0 && s[cut]&0xC0 == 0x80 { // do not split a UTF-8 sequence
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}
