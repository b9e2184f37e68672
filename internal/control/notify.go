package control

import "sync"

// notifier runs listeners the life loop has news for (a CPU warning, a
// worker joining or leaving) on a goroutine of its own, in the order the
// loop queued them: user code then never holds up the loop (and the
// run-time deadline), and may send the controller commands (the runner
// handle's SetUsers, StopTest) without waiting for itself.
type notifier struct {
	mu    sync.Mutex
	queue []func()
	wake  chan struct{} // holds one token while the queue is not empty
	once  sync.Once
}

func (n *notifier) init() { n.once.Do(func() { n.wake = make(chan struct{}, 1) }) }

// post queues fn; it never blocks.
func (n *notifier) post(fn func()) {
	n.init()
	n.mu.Lock()
	n.queue = append(n.queue, fn)
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// run calls the queued listeners until stop is closed, then those still
// queued, and returns.
func (n *notifier) run(stop <-chan struct{}) {
	n.init()
	for {
		select {
		case <-n.wake:
			n.drain()
		case <-stop:
			n.drain()
			return
		}
	}
}

func (n *notifier) drain() {
	for {
		n.mu.Lock()
		q := n.queue
		n.queue = nil
		n.mu.Unlock()
		if len(q) == 0 {
			return
		}
		for _, fn := range q {
			fn()
		}
	}
}
