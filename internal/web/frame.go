package web

import (
	"bytes"
	"cmp"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/herdload/herd/internal/report"
	"github.com/herdload/herd/internal/stats"
)

// The live update protocol (docs/web-api.md, /api/events): a stream's
// first update holds the whole table ("full": true); each later one holds
// the total and only the items whose values changed since the stream's
// previous update: rows, failures and errors, at most maxUpdateRows of
// each (of the rows, those the client shows first, see POST /api/view;
// then those it got longest ago). So a viewer costs about the same
// whether the test has 10 names or 20,000, and only a reconnect, a reset
// or a new test sends the whole table again.

// maxUpdateRows bounds the items of each list in one update after the
// first; changed items beyond it follow in the next updates.
const maxUpdateRows = 500

// The lists of an update.
const (
	listRows = iota
	listFailures
	listErrors
	lists
)

// liveTick is the test's state at one tick, shared by every stream and
// never changed once published.
type liveTick struct {
	seq   uint64 // 1, 2, … per tick taken
	epoch uint64 // the items' numbering (see liveTable)
	snap  *stats.Snapshot
	lists [lists]listTick
	// rowAt is the number of the row at each position of snap.Entries.
	rowAt                    []int32
	state, thresholds, point []byte // JSON
}

// listTick is one list's items at a tick, by number.
type listTick struct {
	at  []int32  // item i's position in the snapshot's list
	ver []uint64 // the seq of the tick at which item i last changed
}

// liveTable numbers the items of a test's lists (by order of appearance)
// and keeps what each showed at the last tick, to tell which changed.
// Only the hub's goroutine uses it.
type liveTable struct {
	epoch    uint64
	rows     changes[stats.Key, rowSig]
	failures changes[[3]string, uint64] // method, name, error: occurrences
	errors   changes[errKey, errSig]
}

// rowSig is what a live row's change is judged on: every column of the
// live tables follows from these (response times and sizes change only
// with the request count). The whole-run rates, which are not shown live,
// are not followed.
type rowSig struct {
	requests, failures uint64
	rps, fps           float64
}

type errKey struct{ message, trace string }

type errSig struct {
	count uint64
	nodes int
}

// changes numbers the items of one list and keeps the tick each last
// changed at.
type changes[K comparable, S comparable] struct {
	index map[K]int32
	sig   []S
	ver   []uint64
}

// see takes the n items of the list at tick seq (item(p) is the key and
// signature of the one at position p) and returns the number of each
// position; ok is false when an item seen before is gone.
func (c *changes[K, S]) see(seq uint64, n int, item func(p int) (K, S)) (numbers []int32, ok bool) {
	numbers = make([]int32, n)
	for p := range n {
		k, sig := item(p)
		i, seen := c.index[k]
		if !seen {
			if c.index == nil {
				c.index = make(map[K]int32, n)
			}
			i = int32(len(c.sig))
			c.index[k] = i
			c.sig = append(c.sig, sig)
			c.ver = append(c.ver, seq)
		} else if sig != c.sig[i] {
			c.sig[i], c.ver[i] = sig, seq
		}
		numbers[p] = i
	}
	return numbers, len(c.sig) == n
}

// tick is the list's state for a liveTick, given the numbers of its
// positions.
func (c *changes[K, S]) tick(numbers []int32) listTick {
	lt := listTick{at: make([]int32, len(numbers)), ver: slices.Clone(c.ver)}
	for p, i := range numbers {
		lt.at[i] = int32(p)
	}
	return lt
}

// update takes snap as tick seq and fills t's lists. An item that is gone
// (a reset of the statistics, a new test) renumbers them all: a new epoch,
// whose first update to every stream is the whole table.
func (lt *liveTable) update(seq uint64, snap *stats.Snapshot, t *liveTick) {
	rows, ok1 := lt.rows.see(seq, len(snap.Entries), func(p int) (stats.Key, rowSig) {
		e := &snap.Entries[p]
		return stats.Key{Method: e.Method, Name: e.Name}, rowSig{e.Requests, e.Failures, e.CurrentRPS, e.CurrentFailPerSec}
	})
	failures, ok2 := lt.failures.see(seq, len(snap.Failures), func(p int) ([3]string, uint64) {
		f := &snap.Failures[p]
		return [3]string{f.Method, f.Name, f.Error}, f.Occurrences
	})
	errs, ok3 := lt.errors.see(seq, len(snap.Errors), func(p int) (errKey, errSig) {
		e := &snap.Errors[p]
		return errKey{e.Message, e.Trace}, errSig{e.Count, len(e.Nodes)}
	})
	if !ok1 || !ok2 || !ok3 {
		*lt = liveTable{epoch: lt.epoch + 1}
		lt.update(seq, snap, t)
		return
	}
	t.snap, t.epoch, t.rowAt = snap, lt.epoch, rows
	t.lists = [lists]listTick{lt.rows.tick(rows), lt.failures.tick(failures), lt.errors.tick(errs)}
}

// buildTick takes the test's state as tick seq (on the hub's goroutine).
func (s *Server) buildTick(seq uint64) *liveTick {
	t := &liveTick{}
	var err error
	if t.state, err = json.Marshal(s.stateDoc()); err != nil {
		s.log.Error("web: encode live state", "err", err)
		return nil
	}
	if t.thresholds, err = json.Marshal(thresholdDocs(s.ctl.Thresholds())); err != nil {
		s.log.Error("web: encode live thresholds", "err", err)
		return nil
	}
	t.point = []byte("null")
	if row := lastRow(s.ctl.History()); row != nil {
		if t.point, err = report.MarshalHistoryRowJSON(row); err != nil {
			s.log.Error("web: encode live history point", "err", err)
			return nil
		}
	}
	s.table.update(seq, s.snapshot(), t)
	return t
}

// viewKey is a row the client shows: [method, name].
type viewKey [2]string

// maxViewRows bounds the rows a client may ask to follow.
const maxViewRows = 200

// setView records the rows the client shows.
func (sub *subscriber) setView(keys []viewKey) {
	sub.mu.Lock()
	defer sub.mu.Unlock()
	sub.view = keys[:min(len(keys), maxViewRows)]
}

// frame renders the update that brings this stream from its last frame to
// tick t, and records it as written.
func (sub *subscriber) frame(t *liveTick) ([]byte, error) {
	full := sub.last == 0 || sub.epoch != t.epoch
	var st []byte
	var err error
	pending := 0
	if full {
		st, err = report.MarshalStatsJSON(t.snap)
		for l := range sub.sent {
			sub.sent[l] = slices.Repeat([]uint64{t.seq}, len(t.lists[l].ver))
		}
	} else {
		var picked [lists][]int
		for l := range picked {
			var items []int32
			var waiting int
			if l == listRows {
				items, waiting = sub.pick(t, l, sub.viewRows(t))
				pending = waiting
			} else {
				items, _ = sub.pick(t, l, nil)
			}
			ps := make([]int, len(items))
			for j, i := range items {
				ps[j] = int(t.lists[l].at[i])
				sub.sent[l][i] = t.seq
			}
			slices.Sort(ps) // the snapshot's order
			picked[l] = ps
		}
		st, err = report.MarshalStatsPartJSON(t.snap, picked[listRows], picked[listFailures], picked[listErrors])
	}
	if err != nil {
		return nil, err
	}
	sub.last, sub.epoch = t.seq, t.epoch

	// Compact JSON holds no newline, so it fits one data: line.
	var b bytes.Buffer
	b.Grow(len(st) + len(t.state) + len(t.thresholds) + len(t.point) + 160)
	b.WriteString("event: update\ndata: {\"full\":")
	b.WriteString(strconv.FormatBool(full))
	b.WriteString(",\"seq\":")
	b.WriteString(strconv.FormatUint(t.seq, 10))
	b.WriteString(",\"client\":\"" + sub.id + "\",\"rows\":")
	b.WriteString(strconv.Itoa(len(t.snap.Entries)))
	b.WriteString(",\"pending\":")
	b.WriteString(strconv.Itoa(pending))
	b.WriteString(",\"state\":")
	b.Write(t.state)
	b.WriteString(",\"stats\":")
	b.Write(st)
	b.WriteString(",\"thresholds\":")
	b.Write(t.thresholds)
	b.WriteString(",\"point\":")
	b.Write(t.point)
	b.WriteString("}\n\n")
	return b.Bytes(), nil
}

// viewRows is the numbers of the rows the client shows.
func (sub *subscriber) viewRows(t *liveTick) []int32 {
	sub.mu.Lock()
	view := sub.view
	sub.mu.Unlock()
	var out []int32
	for _, k := range view {
		if p, ok := findEntry(t.snap.Entries, k); ok {
			out = append(out, t.rowAt[p])
		}
	}
	return out
}

// pick chooses the items (by number) of list l for a diff update: the
// changed ones among first, then the changed ones it sent longest ago (new
// items first), up to maxUpdateRows; pending is how many changed items
// wait for later.
func (sub *subscriber) pick(t *liveTick, l int, first []int32) (items []int32, pending int) {
	ver := t.lists[l].ver
	for len(sub.sent[l]) < len(ver) {
		sub.sent[l] = append(sub.sent[l], 0) // new items: never sent
	}
	sent := sub.sent[l]
	changed := func(i int32) bool { return ver[i] > sent[i] }
	taken := make(map[int32]bool, len(first))
	for _, i := range first {
		if changed(i) && !taken[i] && len(items) < maxUpdateRows {
			taken[i] = true
			items = append(items, i)
		}
	}
	var rest []int32
	for i := range int32(len(ver)) {
		if changed(i) && !taken[i] {
			rest = append(rest, i)
		}
	}
	slices.SortStableFunc(rest, func(a, b int32) int { return cmp.Compare(sent[a], sent[b]) })
	n := min(len(rest), maxUpdateRows-len(items))
	return append(items, rest[:n]...), len(rest) - n
}

// findEntry finds k in entries, sorted by name then method (Snapshot's
// order).
func findEntry(entries []stats.Entry, k viewKey) (int, bool) {
	return slices.BinarySearchFunc(entries, k, func(e stats.Entry, k viewKey) int {
		return cmp.Or(cmp.Compare(e.Name, k[1]), cmp.Compare(e.Method, k[0]))
	})
}
