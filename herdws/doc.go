// Package herdws times WebSocket traffic for herd users, on
// github.com/coder/websocket: the connect, request/reply exchanges (send a
// message, wait for the reply a predicate picks), fire-and-forget sends and
// the server's pushes, each recorded under a name the author chooses.
//
// A user dials its connection in OnStart and closes it in OnStop:
//
//	type Chatter struct {
//		herd.HTTPUser // optional: log in first, share the session's cookies
//		ws *herdws.Conn
//	}
//
//	func (u *Chatter) OnStart(ctx context.Context) error {
//		var err error
//		u.ws, err = herdws.Dial(ctx, "/ws/chat", herdws.HTTPClient(u.Client.HTTP))
//		return err
//	}
//
//	func (u *Chatter) OnStop(ctx context.Context) error { return u.ws.Close() }
//
// The statistics' Type column tells the three kinds of rows apart, after
// locust-plugins' WebSocket users:
//
//	WS   the connect, and every exchange that waits for an answer
//	     (Request, Await): its response time is the wait
//	WSS  a message sent without waiting (Send): the time to write it
//	WSR  a message the server pushed that no Request or Await claimed,
//	     counted under the name Pushes gives it, response time 0
//
// A reply that does not come within --request-timeout (or the Timeout
// option) fails with herd's timeout message; a connection the server closes
// fails what was waiting with its close code and reason ("websocket closed:
// status 4001 …"), and the next call dials again (recorded as a connect).
// A request still waiting when its user is killed at the stop counts as
// interrupted, as an HTTP request does.
package herdws
