// Package evloop is an event loop for HTTP/1.1 clients: one locked OS
// thread, one epoll set, non-blocking sockets read and written with raw
// system calls, and timers, so that a closed loop of requests costs no
// goroutine park or wake per request (docs/PERFORMANCE.md, "An event loop
// per core"). Everything a loop owns (its connections, timers and handlers)
// is touched on its thread only; other goroutines reach it with Post.
//
// The loop is Linux only; the response Parser is plain Go.
package evloop
