package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"
)

// Headers shared by the target and both user programs (program_test.go,
// testdata/locustfile.py).
const (
	// procHeader carries the process id of the sender, so that the target
	// can tell workers apart.
	procHeader = "X-E2E-Proc"
	// signalHeader on a response tells the user what to do next: "stop"
	// returns herd.ErrStopTest, "halt" requests /trip (which fails) and
	// then stops the user for good.
	signalHeader = "X-E2E-Signal"
)

// endpoint is one row of every statistics table.
type endpoint struct{ method, name string }

func (e endpoint) String() string { return e.method + " " + e.name }

// tally is what happened to an endpoint's requests.
type tally struct{ requests, failures int }

// target is the counting HTTP server of every case, on 127.0.0.1. It
// counts each request when its handler is entered, so a request counts as
// soon as it arrived, whatever happens to it later. Its endpoints:
//
//	/fast   200 at once
//	/fail   200 at once, but every second /fail answers 500
//	/stall  held (below)
//	/trip   500 at once: the threshold cases' failure
//
// and once gateAfter requests have arrived, every request but /trip is
// held too. So a run always ends with requests in flight: a held request
// waits for a signal (the driver picks it), for holdFor when set, or for
// its client to go away; with holdFor zero it never answers on its own,
// and once every user has a held request (quiet) no user can start another
// one, so whatever stops the run finds every request it ever started
// already counted here. A held request whose client went away counts as a
// failure: it never got an answer.
type target struct {
	URL       string
	gateAfter int
	holdFor   time.Duration

	release chan struct{} // closed at the end of the test: every held request answers

	mu        sync.Mutex
	received  int
	fails     int // /fail requests so far
	eps       map[endpoint]*tally
	gone      map[endpoint]int // held requests whose client went away: cut at the stop
	held      []*heldRequest   // oldest first
	signalled int              // held requests answered with a signal
	// atFirstGone is the held and signalled counts when the first held
	// request lost its client: the moment the run's stop reached the
	// target, for checking that the run was quiet then.
	atFirstGone *[2]int
}

// heldRequest is one request the target holds.
type heldRequest struct {
	ep     endpoint
	proc   string
	signal string        // set (under target.mu) when the driver picks it
	wake   chan struct{} // closed with signal set
}

// newTarget starts a target; the test's end releases what it still holds
// and closes it.
func newTarget(t *testing.T, gateAfter int, holdFor time.Duration) *target {
	tg := &target{gateAfter: gateAfter, holdFor: holdFor, release: make(chan struct{}), eps: map[endpoint]*tally{},
		gone: map[endpoint]int{}}
	srv := httptest.NewServer(tg)
	tg.URL = srv.URL
	t.Cleanup(func() {
		close(tg.release)
		srv.Close()
	})
	return tg
}

func (tg *target) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ep := endpoint{r.Method, r.URL.Path}
	tg.mu.Lock()
	tg.received++
	tl := tg.eps[ep]
	if tl == nil {
		tl = &tally{}
		tg.eps[ep] = tl
	}
	tl.requests++
	status := http.StatusOK
	switch {
	case ep.name == "/trip":
		status = http.StatusInternalServerError
	case ep.name == "/stall" || (tg.gateAfter > 0 && tg.received > tg.gateAfter):
		h := &heldRequest{ep: ep, proc: r.Header.Get(procHeader), wake: make(chan struct{})}
		tg.held = append(tg.held, h)
		tg.mu.Unlock()
		tg.hold(w, r, h, tl)
		return
	case ep.name == "/fail":
		tg.fails++
		if tg.fails%2 == 0 {
			status = http.StatusInternalServerError
		}
	case ep.name != "/fast":
		status = http.StatusNotFound
	}
	if status >= 400 {
		tl.failures++
	}
	tg.mu.Unlock()
	w.WriteHeader(status)
	fmt.Fprintln(w, "ok")
}

// hold waits for h's signal, holdFor, the release or the client's leaving,
// then answers (or counts the failure of a request nobody waits for).
func (tg *target) hold(w http.ResponseWriter, r *http.Request, h *heldRequest, tl *tally) {
	var timeout <-chan time.Time
	if tg.holdFor > 0 {
		tm := time.NewTimer(tg.holdFor)
		defer tm.Stop()
		timeout = tm.C
	}
	select {
	case <-h.wake:
	case <-timeout:
	case <-tg.release:
	case <-r.Context().Done():
	}
	tg.mu.Lock()
	gone := r.Context().Err() != nil
	if i := slices.Index(tg.held, h); i >= 0 {
		if gone && tg.atFirstGone == nil {
			tg.atFirstGone = &[2]int{len(tg.held), tg.signalled}
		}
		tg.held = slices.Delete(tg.held, i, i+1)
	}
	if gone {
		tl.failures++
		tg.gone[h.ep]++
	}
	signal := h.signal
	tg.mu.Unlock()
	if gone {
		return
	}
	if signal != "" {
		w.Header().Set(signalHeader, signal)
	}
	fmt.Fprintln(w, "ok")
}

// quiet reports whether every one of users has a held request or was
// signalled: then none can start another request.
func (tg *target) quiet(users int) bool {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return len(tg.held)+tg.signalled == users
}

// gatedAndHolding reports whether the target holds every new request (it
// has answered gateAfter) and holds at least one.
func (tg *target) gatedAndHolding() bool {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	return tg.received > tg.gateAfter && len(tg.held) > 0
}

// signal answers held requests with signal: the oldest of each distinct
// process when perProc is set, else the oldest one. It returns how many it
// answered (0 when none is held).
func (tg *target) signal(signal string, perProc bool) int {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	seen := map[string]bool{}
	var picked []*heldRequest
	for _, h := range tg.held {
		if perProc && seen[h.proc] || !perProc && len(picked) == 1 {
			continue
		}
		seen[h.proc] = true
		picked = append(picked, h)
	}
	for _, h := range picked {
		h.signal = signal
		close(h.wake)
		tg.held = slices.DeleteFunc(tg.held, func(x *heldRequest) bool { return x == h })
		tg.signalled++
	}
	return len(picked)
}

// counts is the target's count per endpoint, once it holds nothing (every
// request's outcome is known).
func (tg *target) counts() (map[endpoint]tally, bool) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	if len(tg.held) > 0 {
		return nil, false
	}
	out := make(map[endpoint]tally, len(tg.eps))
	for ep, tl := range tg.eps {
		out[ep] = *tl
	}
	return out, true
}

// failsRun reports whether herd's exit-code rule fails the run the target
// saw: a request failed with an answer, or an endpoint's requests were all
// cut at the stop (it never answered); requests cut at the stop otherwise
// do not count.
func (tg *target) failsRun() bool {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	for ep, tl := range tg.eps {
		if tl.failures > tg.gone[ep] || (tl.requests > 0 && tg.gone[ep] == tl.requests) {
			return true
		}
	}
	return false
}

// firstGone is the held and signalled counts when the stop reached the
// target (the first held request losing its client), if it did.
func (tg *target) firstGone() (held, signalled int, ok bool) {
	tg.mu.Lock()
	defer tg.mu.Unlock()
	if tg.atFirstGone == nil {
		return 0, 0, false
	}
	return tg.atFirstGone[0], tg.atFirstGone[1], true
}
