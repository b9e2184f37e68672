// Package evloop is an event loop for HTTP/1.1 clients: one goroutine per
// loop, one epoll set, non-blocking sockets read and written with raw
// system calls, and timers, so that a closed loop of requests costs no
// goroutine park or wake per request (docs/PERFORMANCE.md, "An event loop
// per core"). While requests flow, the loop keeps its thread and P between
// wake-ups (a raw epoll_pwait of at most 1 ms) and yields to the P's other
// goroutines once a millisecond; once idle, it sleeps through the
// scheduler. Everything a loop owns (its connections, timers and handlers)
// is touched on its goroutine only; other goroutines reach it with Post.
//
// The loop is Linux only; the response Parser is plain Go.
package evloop
