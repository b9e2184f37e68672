//go:build linux

package evloop

import "time"

// Expirer is told on the loop's goroutine that its timer fired.
type Expirer interface {
	Expire()
}

// Timer is a loop's one-shot timer, owned by one handler and reused: arming
// it allocates nothing. The zero Timer with its Expirer set is ready.
type Timer struct {
	When time.Time // when it fires, while armed
	E    Expirer
	idx  int // its place in the heap plus one; 0 when not armed
}

// Armed reports whether t is waiting to fire.
func (t *Timer) Armed() bool { return t.idx > 0 }

// Arm (re)arms t to fire at when.
func (l *Loop) Arm(t *Timer, when time.Time) {
	t.When = when
	if t.idx > 0 {
		l.timers.fix(t.idx - 1)
		return
	}
	l.timers.push(t)
}

// Disarm stops t; it is a no-op when t is not armed.
func (l *Loop) Disarm(t *Timer) {
	if t.idx > 0 {
		l.timers.remove(t.idx - 1)
	}
}

// timerHeap is a binary min-heap of armed timers by When.
type timerHeap []*Timer

func (h timerHeap) next() (time.Time, bool) {
	if len(h) == 0 {
		return time.Time{}, false
	}
	return h[0].When, true
}

// expire fires every timer due by the loop's now.
func (h *timerHeap) expire(l *Loop) {
	for len(*h) > 0 && !(*h)[0].When.After(l.now) {
		t := (*h)[0]
		h.remove(0)
		t.E.Expire()
	}
}

func (h *timerHeap) push(t *Timer) {
	*h = append(*h, t)
	t.idx = len(*h)
	h.up(len(*h) - 1)
}

func (h *timerHeap) remove(i int) {
	s := *h
	last := len(s) - 1
	s[i].idx = 0
	if i != last {
		s[i] = s[last]
		s[i].idx = i + 1
	}
	s[last] = nil
	*h = s[:last]
	if i != last {
		h.fix(i)
	}
}

func (h timerHeap) fix(i int) {
	if !h.down(i) {
		h.up(i)
	}
}

func (h timerHeap) less(i, j int) bool { return h[i].When.Before(h[j].When) }

func (h timerHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i+1, j+1
}

func (h timerHeap) up(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		j = i
	}
}

func (h timerHeap) down(i0 int) bool {
	i, n := i0, len(h)
	for {
		j := 2*i + 1
		if j >= n {
			break
		}
		if r := j + 1; r < n && h.less(r, j) {
			j = r
		}
		if !h.less(j, i) {
			break
		}
		h.swap(i, j)
		i = j
	}
	return i > i0
}
