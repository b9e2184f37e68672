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
// the total and only the rows whose values changed since the stream's
// previous update, at most maxUpdateRows of them (the rows the client
// shows first, see POST /api/view, then those it got longest ago), and the
// failures and errors only when they changed. So a viewer costs the same
// whether the test has 10 names or 20,000, and only a reconnect, a reset or
// a new test sends the whole table again.

// maxUpdateRows bounds the rows of one update after the first; changed
// rows beyond it follow in the next updates.
const maxUpdateRows = 500

// liveTick is the test's state at one tick, shared by every stream and
// never changed once published.
type liveTick struct {
	seq   uint64 // 1, 2, … per tick taken
	epoch uint64 // the rows' numbering (see liveTable)
	snap  *stats.Snapshot
	at    []int32  // row i's position in snap.Entries
	rowAt []int32  // the row at position p of snap.Entries
	ver   []uint64 // the seq of the tick at which row i last changed
	// listsVer is the seq at which the failures or errors last changed.
	listsVer                 uint64
	state, thresholds, point []byte // JSON
}

// liveTable numbers the rows of a test (by order of appearance) and keeps
// what each showed at the last tick, to tell which changed. Only the hub's
// goroutine uses it.
type liveTable struct {
	epoch    uint64
	index    map[stats.Key]int32
	sig      []rowSig
	ver      []uint64
	lists    *stats.Snapshot // the snapshot whose failures and errors were last seen
	listsVer uint64
}

// rowSig is what a live row's change is judged on: every column of the
// live tables follows from these (response times and sizes change only
// with the request count). The whole-run rates, which are not shown live,
// are not followed.
type rowSig struct {
	requests, failures uint64
	rps, fps           float64
}

func sigOf(e *stats.Entry) rowSig {
	return rowSig{e.Requests, e.Failures, e.CurrentRPS, e.CurrentFailPerSec}
}

// update takes snap as tick seq and fills t's rows. A row that is gone (a
// reset of the statistics, a new test) renumbers them all: a new epoch,
// whose first update to every stream is the whole table.
func (lt *liveTable) update(seq uint64, snap *stats.Snapshot, t *liveTick) {
	t.snap, t.rowAt = snap, make([]int32, len(snap.Entries))
	for p := range snap.Entries {
		e := &snap.Entries[p]
		k := stats.Key{Method: e.Method, Name: e.Name}
		i, ok := lt.index[k]
		if !ok {
			if lt.index == nil {
				lt.index = make(map[stats.Key]int32, len(snap.Entries))
			}
			i = int32(len(lt.sig))
			lt.index[k] = i
			lt.sig = append(lt.sig, sigOf(e))
			lt.ver = append(lt.ver, seq)
		} else if sig := sigOf(e); sig != lt.sig[i] {
			lt.sig[i], lt.ver[i] = sig, seq
		}
		t.rowAt[p] = i
	}
	if len(lt.sig) > len(snap.Entries) { // some row is gone
		*lt = liveTable{epoch: lt.epoch + 1}
		lt.update(seq, snap, t)
		return
	}
	if lt.lists == nil || !sameLists(lt.lists, snap) {
		lt.lists, lt.listsVer = snap, seq
	}
	t.epoch, t.listsVer = lt.epoch, lt.listsVer
	t.ver = slices.Clone(lt.ver)
	t.at = make([]int32, len(t.rowAt))
	for p, i := range t.rowAt {
		t.at[i] = int32(p)
	}
}

// sameLists reports whether a and b have the same failures and errors.
func sameLists(a, b *stats.Snapshot) bool {
	return slices.Equal(a.Failures, b.Failures) && slices.EqualFunc(a.Errors, b.Errors, func(x, y stats.Error) bool {
		return x.Message == y.Message && x.Trace == y.Trace && x.Count == y.Count && slices.Equal(x.Nodes, y.Nodes)
	})
}

// buildTick takes the test's state as tick seq (on the hub's goroutine).
func (s *Server) buildTick(seq uint64) *liveTick {
	t := &liveTick{}
	var err error
	if t.state, err = json.Marshal(newStateDoc(s.ctl.Status(), s.now())); err != nil {
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
		sub.sent = slices.Repeat([]uint64{t.seq}, len(t.ver))
		sub.listsAt = t.seq
	} else {
		var rows []int32
		rows, pending = sub.pick(t)
		ps := make([]int, len(rows))
		for j, i := range rows {
			ps[j] = int(t.at[i])
			sub.sent[i] = t.seq
		}
		slices.Sort(ps) // the table's order
		lists := t.listsVer > sub.listsAt
		if lists {
			sub.listsAt = t.seq
		}
		st, err = report.MarshalStatsPartJSON(t.snap, ps, lists)
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

// pick chooses the rows (by number) of a diff update: the changed ones the
// client shows, then the changed ones it got longest ago (new rows first),
// up to maxUpdateRows; pending is how many changed rows wait for later.
func (sub *subscriber) pick(t *liveTick) (rows []int32, pending int) {
	for len(sub.sent) < len(t.ver) {
		sub.sent = append(sub.sent, 0) // new rows: never sent
	}
	changed := func(i int32) bool { return t.ver[i] > sub.sent[i] }
	sub.mu.Lock()
	view := sub.view
	sub.mu.Unlock()
	picked := make(map[int32]bool, len(view))
	for _, k := range view {
		if p, ok := findEntry(t.snap.Entries, k); ok {
			if i := t.rowAt[p]; changed(i) && !picked[i] {
				picked[i] = true
				rows = append(rows, i)
			}
		}
	}
	var rest []int32
	for i := range int32(len(t.ver)) {
		if changed(i) && !picked[i] {
			rest = append(rest, i)
		}
	}
	slices.SortStableFunc(rest, func(a, b int32) int { return cmp.Compare(sub.sent[a], sub.sent[b]) })
	n := max(0, min(len(rest), maxUpdateRows-len(rows)))
	return append(rows, rest[:n]...), len(rest) - n
}

// findEntry finds k in entries, sorted by name then method (Snapshot's
// order).
func findEntry(entries []stats.Entry, k viewKey) (int, bool) {
	return slices.BinarySearchFunc(entries, k, func(e stats.Entry, k viewKey) int {
		return cmp.Or(cmp.Compare(e.Name, k[1]), cmp.Compare(e.Method, k[0]))
	})
}
