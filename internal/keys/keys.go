// Package keys reads single key presses from a terminal, for changing the
// user count of a headless run from the keyboard as Locust does (w/W add 1/10
// users, s/S remove 1/10).
package keys

import (
	"os"
	"sync"
)

// Watch puts the terminal f in character mode (no line buffering, no echo)
// and calls fn for every key pressed, from its own goroutine, until stop is
// called; stop restores the terminal and returns once that goroutine has
// returned. ok is false, and nothing happens, when f is not a terminal this
// platform can switch.
func Watch(f *os.File, fn func(key byte)) (stop func(), ok bool) {
	t, ok := openTerm(f)
	if !ok {
		return func() {}, false
	}
	var wg sync.WaitGroup
	wg.Go(func() {
		var buf [16]byte
		for {
			n, err := t.read(buf[:])
			for _, b := range buf[:n] {
				fn(b)
			}
			if err != nil {
				return // stopped, or the terminal went away
			}
		}
	})
	var once sync.Once
	return func() {
		once.Do(func() {
			t.wake()
			wg.Wait()
			t.restore()
		})
	}, true
}

// Delta is the change of user count a key asks for, Locust's bindings.
func Delta(key byte) int {
	switch key {
	case 'w':
		return 1
	case 'W':
		return 10
	case 's':
		return -1
	case 'S':
		return -10
	}
	return 0
}
