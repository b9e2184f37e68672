package herdws

import (
	"net/http"
	"time"
)

// Option changes how Dial connects and how the connection counts.
type Option func(*options)

type options struct {
	name         string
	header       http.Header
	client       *http.Client
	subprotocols []string
	timeout      time.Duration
	pushName     func(Message) string
	readLimit    int64
}

// Name is the connect's name in the statistics; by default it is the URL
// as given to Dial ("/ws/chat").
func Name(name string) Option { return func(o *options) { o.name = name } }

// Header adds a header to the opening handshake.
func Header(key, value string) Option {
	return func(o *options) {
		if o.header == nil {
			o.header = make(http.Header)
		}
		o.header.Add(key, value)
	}
}

// HTTPClient sends the opening handshake with c: pass an HTTPUser's
// u.Client.HTTP so the handshake carries the session's cookies (a login
// made over HTTP) and goes through its proxy and TLS settings.
func HTTPClient(c *http.Client) Option { return func(o *options) { o.client = c } }

// Subprotocols offers the server these subprotocols in the handshake.
func Subprotocols(p ...string) Option {
	return func(o *options) { o.subprotocols = append(o.subprotocols, p...) }
}

// Timeout bounds the connect and each Request's or Await's wait instead of
// --request-timeout; 0 or less keeps that.
func Timeout(d time.Duration) Option { return func(o *options) { o.timeout = d } }

// Pushes names the messages the server sends that no Request or Await
// claims: each is counted (Type "WSR") under the name fn returns, or not at
// all when it returns "". fn runs on the connection's reader goroutine and
// must not block; it may also keep what the message says. By default every
// such message counts as "push".
func Pushes(fn func(m Message) string) Option { return func(o *options) { o.pushName = fn } }

// ReadLimit is the largest message the connection accepts (default 16 MiB);
// a larger one closes the connection with status 1009.
func ReadLimit(n int64) Option { return func(o *options) { o.readLimit = n } }
