package stats

import (
	"hash/maphash"
	"sync"
	"sync/atomic"
)

// OverflowName is the name of the entry that counts the requests of the
// names past Options.MaxNames, all methods together (its Method is ""):
// a test that puts an id in every URL cannot exhaust memory, and the row
// says which option to look at.
const OverflowName = "(other names: --max-names reached)"

// overflowKey is the overflow entry's key; it never counts toward the cap.
var overflowKey = Key{Name: OverflowName}

// nameStripes splits the admitted names over locks of their own, so that
// shards meeting new names at once rarely wait for each other.
const nameStripes = 64

// nameSet is the set of distinct keys a run admitted, up to max. Shards ask
// it only when a key is new to their own table, so a steady run never
// touches it; a run with a new name per request (the case it is for) takes
// one stripe's lock per request, never a global one.
type nameSet struct {
	max     int64
	n       atomic.Int64 // keys admitted
	seed    maphash.Seed
	stripes [nameStripes]nameStripe
}

type nameStripe struct {
	mu   sync.Mutex
	keys map[Key]struct{}
	_    [48]byte // keep neighbouring stripes' locks off one cache line
}

// newNameSet returns a set that admits up to max keys, or nil (no limit)
// when max ≤ 0.
func newNameSet(max int) *nameSet {
	if max <= 0 {
		return nil
	}
	return &nameSet{max: int64(max), seed: maphash.MakeSeed()}
}

// admit reports whether k may have an entry of its own: it was admitted
// before, or there is room and it is admitted now. The overflow key always
// may. A nil set admits everything.
func (ns *nameSet) admit(k Key) bool {
	if ns == nil || k == overflowKey {
		return true
	}
	st := &ns.stripes[maphash.String(ns.seed, k.Name)%nameStripes]
	st.mu.Lock()
	defer st.mu.Unlock()
	if _, ok := st.keys[k]; ok {
		return true
	}
	for {
		n := ns.n.Load()
		if n >= ns.max {
			return false
		}
		if ns.n.CompareAndSwap(n, n+1) {
			break
		}
	}
	if st.keys == nil {
		st.keys = make(map[Key]struct{})
	}
	st.keys[k] = struct{}{}
	return true
}
