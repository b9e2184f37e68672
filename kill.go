package herd

// A user's kill, and who hears of it. The runner cancels a user's context
// on two paths only: killUser (the user's own kill, after the stop timeout
// or when it ends) and kill (every user at once: the runner's stop, the
// run's context ending). Both cancel first, then tell the user's kill
// watchers: clients whose reads and writes take no context (FastSession,
// fastabort.go) and must abort an exchange in flight themselves.
//
// The watchers hang off the user's handle, the handles with watchers off
// the runner, on lists guarded by one mutex that a session takes twice in
// its life (its first request and its close) and each kill once: never per
// request. A context.AfterFunc on the user's context did the same job at
// ~530 B per user (its own object, the children map it gives the user's
// context and that context's Done channel); a list node is 24 B inside the
// session, and 24 B on the handle.

// killWatcher hears of its user's kill, after the user's context is
// cancelled. userKilled runs under the runner's killMu: it must be short
// and must not watch or unwatch.
type killWatcher interface{ userKilled() }

// killWatch is a watcher's node on its user's list; the watcher embeds it.
type killWatch struct {
	next *killWatch
	w    killWatcher
}

// watchKill puts w on the list of h's user: w.w.userKilled runs after
// each kill of the user from now on, until unwatchKill.
//
// A kill that comes before watchKill returns may miss w, but its context
// is cancelled by then: a watcher checks the context, under its own lock,
// after it watched and before each exchange it would have to abort.
func (r *runner) watchKill(h *userHandle, w *killWatch) {
	r.killMu.Lock()
	if h.kills == nil { // h joins the runner's list
		h.killNext, h.killPrev = r.watched, nil
		if r.watched != nil {
			r.watched.killPrev = h
		}
		r.watched = h
	}
	w.next, h.kills = h.kills, w
	r.killMu.Unlock()
}

// unwatchKill takes w off the list of h's user. Once it returns,
// w.w.userKilled does not run any more.
func (r *runner) unwatchKill(h *userHandle, w *killWatch) {
	r.killMu.Lock()
	defer r.killMu.Unlock()
	p := &h.kills
	for *p != nil && *p != w {
		p = &(*p).next
	}
	if *p == nil {
		return // not on the list
	}
	*p, w.next = w.next, nil
	if h.kills != nil {
		return
	}
	// h leaves the runner's list.
	if h.killPrev != nil {
		h.killPrev.killNext = h.killNext
	} else {
		r.watched = h.killNext
	}
	if h.killNext != nil {
		h.killNext.killPrev = h.killPrev
	}
	h.killPrev, h.killNext = nil, nil
}

// killUser cancels the context of h's user, then tells its watchers.
func (r *runner) killUser(h *userHandle) {
	h.cancel()
	r.killMu.Lock()
	for w := h.kills; w != nil; w = w.next {
		w.w.userKilled()
	}
	r.killMu.Unlock()
}

// kill cancels the runner's context, and with it every user's, then tells
// every watcher. Cancelling a context cancels its children before it
// returns, so every user's context is done before its watchers hear.
func (r *runner) kill() {
	r.cancel()
	r.killMu.Lock()
	for h := r.watched; h != nil; h = h.killNext {
		for w := h.kills; w != nil; w = w.next {
			w.w.userKilled()
		}
	}
	r.killMu.Unlock()
}
