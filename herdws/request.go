package herdws

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/herdload/herd"
)

// Reply tells a Request or Await which message is its answer: it returns
// nil to claim m, Skip to leave it (to other waiters, or to be counted as a
// push), or another error to claim m and fail the exchange with that error
// (an answer that says something went wrong, say). A nil Reply claims the
// first message.
//
// It runs on the connection's reader goroutine, under its lock: it must be
// quick and must not call the Conn. A panic in it fails the exchange.
type Reply func(m Message) error

// Skip is what a Reply returns for a message that is not its answer.
var Skip = errors.New("herdws: not this message")

// waiter is a Request or Await waiting for its message. Waiters are reused
// (Conn.free), so an exchange allocates nothing of its own.
type waiter struct {
	reply Reply
	ch    chan Message // capacity 1: whoever hands it a message never blocks
	err   error        // sent with ch's message: reply's error, the timeout, or the connection's end
	link  *link        // the connection it waits on
	// timer fails the waiter at the request timeout (nil without one). It
	// is an AfterFunc rather than a channel so that waiting is a receive
	// from ch alone, not a select over three channels.
	timer *time.Timer
}

// Request sends m and waits for its answer, the first message that reply
// claims. The exchange is recorded as one request (Type "WS", the given
// name), timed from the send to the answer, its size the answer's. It
// fails when no answer comes within --request-timeout (or Timeout), when
// reply says so, when the server closes the connection (with its close
// code), or when the send fails.
//
// Messages that come before the answer and that no waiter claims count as
// pushes; an answer that comes after its request gave up is treated like
// any other message.
//
// The error, if any, is a *herd.RequestError (already counted: a task may
// return it as it is). A ctx already done sends and records nothing.
func (c *Conn) Request(ctx context.Context, name string, m Message, reply Reply) (Message, error) {
	return c.exchange(ctx, name, &m, reply)
}

// Await waits for a message that reply claims, such as a broadcast the
// user's own Send caused, and records the wait as one request (Type "WS",
// the given name) timed from the call. Only messages that come after the
// call are seen: to wait for the answer to a message, use Request, which
// starts waiting before it sends. Its errors are Request's.
func (c *Conn) Await(ctx context.Context, name string, reply Reply) (Message, error) {
	return c.exchange(ctx, name, nil, reply)
}

// exchange is Request (m != nil) or Await.
func (c *Conn) exchange(ctx context.Context, name string, m *Message, reply Reply) (Message, error) {
	if c == nil {
		return Message{}, errNoConn
	}
	if err := ctx.Err(); err != nil {
		return Message{}, err
	}
	l, err := c.live(ctx)
	if err != nil {
		return Message{}, err
	}
	w := c.enlist(l, reply)
	start := time.Now()
	if m != nil {
		err = l.ws.Write(ctx, m.typ(), m.Data)
	}
	var answer Message
	if err == nil {
		answer, err = c.wait(ctx, l, w)
	} else {
		answer, err = c.withdraw(l, w, err)
	}
	d := time.Since(start)
	c.release(w)
	if err != nil {
		err = c.cause(l, err)
	}
	herd.Record(ctx, herd.Request{Kind: KindWait, Name: name, Start: start, Duration: d, Size: int64(len(answer.Data)), Err: err})
	if err != nil {
		return answer, &herd.RequestError{Kind: KindWait, Name: name, Err: err}
	}
	return answer, nil
}

// Send sends m without waiting for anything and records it (Type "WSS",
// the given name, timed until it was written, its size m's). Its error is
// a *herd.RequestError; a ctx already done sends and records nothing.
func (c *Conn) Send(ctx context.Context, name string, m Message) error {
	if c == nil {
		return errNoConn
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	l, err := c.live(ctx)
	if err != nil {
		return err
	}
	start := time.Now()
	err = l.ws.Write(ctx, m.typ(), m.Data)
	d := time.Since(start)
	if err != nil {
		err = c.cause(l, err)
	}
	herd.Record(ctx, herd.Request{Kind: KindSend, Name: name, Start: start, Duration: d, Size: int64(len(m.Data)), Err: err})
	if err != nil {
		return &herd.RequestError{Kind: KindSend, Name: name, Err: err}
	}
	return nil
}

// enlist registers a waiter on l before anything is sent, so that no reply
// can come before it, and starts its timeout.
func (c *Conn) enlist(l *link, reply Reply) *waiter {
	c.mu.Lock()
	var w *waiter
	if n := len(c.free); n > 0 {
		w = c.free[n-1]
		c.free = c.free[:n-1]
	} else {
		w = &waiter{ch: make(chan Message, 1)}
	}
	w.reply, w.link = reply, l
	if l.dead {
		w.err = l.err // the reader has gone: fail at once
		w.ch <- Message{}
	} else {
		l.waiters = append(l.waiters, w)
	}
	c.mu.Unlock()
	if c.timeout > 0 {
		if w.timer == nil {
			w.timer = time.AfterFunc(c.timeout, func() { c.expire(w) })
		} else {
			w.timer.Reset(c.timeout)
		}
	}
	return w
}

// expire fails w at its timeout, unless its message came first.
func (c *Conn) expire(w *waiter) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l := w.link
	if i := slices.Index(l.waiters, w); i >= 0 {
		l.waiters = slices.Delete(l.waiters, i, i+1)
		w.err = errTimeout
		w.ch <- Message{}
	}
}

// wait waits for w's message (or its timeout, or the connection's end,
// which come on w.ch too) or ctx.
func (c *Conn) wait(ctx context.Context, l *link, w *waiter) (Message, error) {
	done := ctx.Done()
	if done == nil {
		m := <-w.ch
		return m, w.err
	}
	select {
	case m := <-w.ch:
		return m, w.err
	case <-done:
		return c.withdraw(l, w, ctx.Err())
	}
}

// withdraw takes w off l's list. If the reader handed it its message (or
// the connection's end) meanwhile, that wins over err.
func (c *Conn) withdraw(l *link, w *waiter, err error) (Message, error) {
	c.mu.Lock()
	i := slices.Index(l.waiters, w)
	if i >= 0 {
		l.waiters = slices.Delete(l.waiters, i, i+1)
	}
	c.mu.Unlock()
	if i < 0 {
		return <-w.ch, w.err
	}
	return Message{}, err
}

// release stops w's timer and keeps w for the next exchange, unless the
// timer fired (or is firing): then its expire might still come, and w is
// left to the garbage collector.
func (c *Conn) release(w *waiter) {
	if w.timer != nil && !w.timer.Stop() {
		return
	}
	w.reply, w.err, w.link = nil, nil, nil
	c.mu.Lock()
	c.free = append(c.free, w)
	c.mu.Unlock()
}

// fail hands the reader's last error to every waiter of l: the
// connection has ended.
func (c *Conn) fail(l *link) {
	c.mu.Lock()
	defer c.mu.Unlock()
	l.dead = true
	for _, w := range l.waiters {
		w.err = l.err
		w.ch <- Message{}
	}
	l.waiters = l.waiters[:0]
}

// deliver hands m to the first waiter of l that claims it.
func (c *Conn) deliver(l *link, m Message) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, w := range l.waiters {
		if err := claims(w.reply, m); err != Skip {
			l.waiters = slices.Delete(l.waiters, i, i+1)
			w.err = err
			w.ch <- m
			return true
		}
	}
	return false
}

// claims runs an author's Reply on the reader goroutine, where a panic
// would end the process: it fails the waiter instead.
func claims(reply Reply, m Message) (err error) {
	if reply == nil {
		return nil
	}
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("herdws: Reply panicked: %v", p)
		}
	}()
	return reply(m)
}

// cause prefers the server's close status, when the connection has ended,
// to the error a write or wait saw.
func (c *Conn) cause(l *link, err error) error {
	if err == errTimeout || err == context.Canceled || err == context.DeadlineExceeded {
		return err
	}
	c.mu.Lock()
	dead, lerr := l.dead, l.err
	c.mu.Unlock()
	if _, ok := lerr.(*CloseError); ok && dead {
		return lerr
	}
	return err
}
