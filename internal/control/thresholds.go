package control

import (
	"sync"
	"time"

	"github.com/herdload/herd/internal/histogram"
	"github.com/herdload/herd/internal/stats"
	"github.com/herdload/herd/internal/threshold"
)

// thresholdRun evaluates a test's --threshold conditions: the statistics'
// observer adds every merged batch of requests to one sample per endpoint,
// and each tick hands that second's samples to the evaluator.
type thresholdRun struct {
	list []threshold.Threshold

	mu      sync.Mutex // guards everything below
	start   time.Time  // of the statistics the evaluator covers
	eval    *threshold.Evaluator
	acc     map[stats.Key]*thresholdSample
	samples []threshold.Sample
	aborted bool
}

type thresholdSample struct {
	requests, failures uint64
	hist               histogram.Histogram
}

func newThresholdRun(list []threshold.Threshold, st *stats.Stats) *thresholdRun {
	t := &thresholdRun{list: list, acc: make(map[stats.Key]*thresholdSample)}
	t.start = st.Start()
	t.eval = threshold.New(t.start, list)
	st.SetObserver(t.observe)
	return t
}

// observe is the statistics' observer: it runs under their lock.
func (t *thresholdRun) observe(k stats.Key, requests, failures uint64, h *histogram.Histogram) {
	t.mu.Lock()
	defer t.mu.Unlock()
	a := t.acc[k]
	if a == nil {
		a = new(thresholdSample)
		t.acc[k] = a
	}
	a.requests += requests
	a.failures += failures
	a.hist.Merge(h)
}

// tick evaluates the second that ended at now and returns the broken
// thresholds that ask to abort the run, once. A reset of the statistics
// (start moved) restarts the evaluation.
func (t *thresholdRun) tick(now, start time.Time) []threshold.Result {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !start.Equal(t.start) {
		t.start = start
		t.eval = threshold.New(start, t.list)
	}
	t.samples = t.samples[:0]
	for k, a := range t.acc {
		if a.requests == 0 && a.failures == 0 {
			continue
		}
		t.samples = append(t.samples, threshold.Sample{Method: k.Method, Name: k.Name,
			Requests: a.requests, Failures: a.failures, Hist: &a.hist})
	}
	t.eval.Observe(now, t.samples)
	for _, a := range t.acc {
		a.requests, a.failures = 0, 0
		a.hist.Reset()
	}
	if t.aborted {
		return nil
	}
	var abort []threshold.Result
	for _, r := range t.eval.Results() {
		if r.Abort {
			abort = append(abort, r)
		}
	}
	t.aborted = len(abort) > 0
	return abort
}

func (t *thresholdRun) results() []threshold.Result {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.eval.Results()
}

func (t *thresholdRun) final() []threshold.Result {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.eval.Final()
}
