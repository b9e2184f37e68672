// Package blackhole gives tests a loopback address whose connection
// attempts hang, as with a host behind a firewall that drops packets: a
// listener with a backlog of 0 that never accepts, its accept queue
// filled. Linux drops SYNs beyond a full accept queue, so a connect to it
// stays in SYN_SENT until the client gives up. Tests only; Linux only.
package blackhole
