package herd

import (
	"reflect"

	"github.com/herdload/herd/internal/capacity"
)

// What one user costs a process, as peak resident memory per user with the
// Go runtime and the garbage collector's headroom included (a collection
// lets the heap grow to about twice what is live), measured with 100,000
// idle users in one process on herd's final code:
const (
	// FastHTTPUser: 714 MiB for 100,000 users (7,483 bytes each), `go run
	// ./bench -memory` (docs/PERFORMANCE.md).
	fastUserBytes = 7_500
	// HTTPUser: 3,689 MiB for 100,000 (38,682 bytes each), same run; net/http
	// keeps two goroutines and their buffers per idle connection.
	httpUserBytes = 39_000
	// Other users whose type has a wait time, so park between tasks: 2.5 to
	// 4.2 KB across runs (1.05–1.1 KB live, BenchmarkIdleUserMemory; the
	// rest is the collector's headroom and the spawn burst's garbage).
	parkedUserBytes = 4_096
	// Other users without a wait time keep their goroutine and its stack:
	// 5.8–5.9 KB in the same runs.
	busyUserBytes = 6_144
)

// footprint estimates what one user of ut costs: bytes of memory, and open
// files (an HTTP user's keep-alive connection). User code's own state comes
// on top; it is usually small beside these.
func (ut *userType) footprint() (bytes int64, fds int) {
	u := ut.New()
	switch _, http := u.(initer); {
	case http && embeds(u, reflect.TypeFor[FastHTTPUser]()):
		return fastUserBytes, 1
	case http:
		return httpUserBytes, 1
	case ut.Wait != nil:
		return parkedUserBytes, 0
	default:
		return busyUserBytes, 0
	}
}

// embeds reports whether u's struct embeds t (or *t), however deep.
func embeds(u User, t reflect.Type) bool {
	ty := reflect.TypeOf(u)
	if ty == nil {
		return false
	}
	if ty.Kind() == reflect.Pointer {
		ty = ty.Elem()
	}
	if ty.Kind() != reflect.Struct {
		return false
	}
	f, ok := ty.FieldByName(t.Name())
	return ok && f.Anonymous && (f.Type == t || f.Type == reflect.PointerTo(t))
}

// needFor estimates what counts[i] users of types[i] need in all, for
// capacity.Limits.Check.
func needFor(types []*userType, counts []int) capacity.Need {
	var n capacity.Need
	for i, ut := range types {
		c := counts[i]
		if c <= 0 {
			continue
		}
		bytes, fds := ut.footprint()
		n.Users += c
		n.Memory = addSat(n.Memory, mulSat(int64(c), bytes))
		n.Files = addSat(n.Files, mulSat(int64(c), int64(fds)))
	}
	return n
}

func mulSat(a, b int64) int64 {
	if a > 0 && b > 0 && a > (1<<63-1)/b {
		return 1<<63 - 1
	}
	return a * b
}

func addSat(a, b int64) int64 {
	if a > 1<<63-1-b {
		return 1<<63 - 1
	}
	return a + b
}
