package control

import (
	"reflect"
	"testing"

	"github.com/herdload/herd/internal/cluster"
)

// TestWorkerChanges: one tick's changes of a master's workers.
func TestWorkerChanges(t *testing.T) {
	t.Parallel()
	w := func(id string, index int, state string) cluster.WorkerInfo {
		return cluster.WorkerInfo{ID: id, Index: index, State: state}
	}
	ch := func(kind, id string, index int, state string) WorkerChange {
		return WorkerChange{Kind: kind, Worker: Worker{ID: id, Index: index, State: state}}
	}
	byID := func(ws ...cluster.WorkerInfo) map[string]cluster.WorkerInfo {
		m := map[string]cluster.WorkerInfo{}
		for _, w := range ws {
			m[w.ID] = w
		}
		return m
	}
	tests := []struct {
		name string
		last map[string]cluster.WorkerInfo
		now  []cluster.WorkerInfo
		want []WorkerChange
	}{
		{"nothing", nil, nil, nil},
		{"first tick sees every worker connect", nil,
			[]cluster.WorkerInfo{w("a", 0, "ready"), w("b", 1, "running")},
			[]WorkerChange{ch(WorkerConnected, "a", 0, "ready"), ch(WorkerConnected, "b", 1, "running")}},
		{"states within the living are no change", byID(w("a", 0, "ready")),
			[]cluster.WorkerInfo{w("a", 0, "spawning")}, nil},
		{"missing", byID(w("a", 0, "running"), w("b", 1, "running")),
			[]cluster.WorkerInfo{w("a", 0, "running"), w("b", 1, "missing")},
			[]WorkerChange{ch(WorkerMissing, "b", 1, "missing")}},
		{"still missing", byID(w("b", 1, "missing")), []cluster.WorkerInfo{w("b", 1, "missing")}, nil},
		{"back", byID(w("b", 1, "missing")), []cluster.WorkerInfo{w("b", 1, "ready")},
			[]WorkerChange{ch(WorkerBack, "b", 1, "ready")}},
		{"left, by index", byID(w("c", 2, "running"), w("a", 0, "missing"), w("b", 1, "ready")),
			[]cluster.WorkerInfo{w("b", 1, "ready")},
			[]WorkerChange{ch(WorkerLeft, "a", 0, "missing"), ch(WorkerLeft, "c", 2, "running")}},
		{"a worker first seen missing is no news", nil, []cluster.WorkerInfo{w("a", 0, "missing")}, nil},
		{"joins before departures", byID(w("a", 0, "ready")), []cluster.WorkerInfo{w("b", 1, "ready")},
			[]WorkerChange{ch(WorkerConnected, "b", 1, "ready"), ch(WorkerLeft, "a", 0, "ready")}},
	}
	for _, tt := range tests {
		if got := workerChanges(tt.last, tt.now); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
}
