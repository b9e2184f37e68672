package herd

import (
	"testing"
	"time"

	"github.com/herdload/herd/internal/config"
)

// TestTakeWireOptions: a worker takes its declared options from a spawn's
// parsed_options, whatever number type carried them (a Locust master's
// int, a herd master's), and keeps its own value for one that does not
// convert.
func TestTakeWireOptions(t *testing.T) {
	t.Parallel()
	decls := []config.Custom{{Name: "my-argument", Default: ""}, {Name: "batch", Default: 1},
		{Name: "ratio", Default: 0.5}, {Name: "fast", Default: false}, {Name: "think", Default: time.Second}}
	n := newNode(config.Config{Worker: true, Custom: map[string]any{"my-argument": "", "batch": 1, "ratio": 0.5, "fast": false, "think": time.Second}})
	err := n.takeWireOptions(decls, map[string]any{
		"my_argument": "m", "batch": int64(7), "ratio": float64(2), "fast": true, "think": "bad", "users": int64(10),
	})
	if err == nil {
		t.Error("a bad value was not reported")
	}
	want := map[string]any{"my-argument": "m", "batch": 7, "ratio": 2.0, "fast": true, "think": time.Second}
	for k, v := range want {
		if got := n.option(k); got != v {
			t.Errorf("%s = %#v, want %#v", k, got, v)
		}
	}
	// What a master sends parses back on its worker.
	sent := newNode(config.Config{Custom: map[string]any{"think": 90 * time.Second, "batch": 3}}).wireOptions()
	if err := n.takeWireOptions(decls, sent); err != nil {
		t.Fatal(err)
	}
	if n.option("think") != 90*time.Second || n.option("batch") != 3 {
		t.Errorf("after %v: think %v, batch %v", sent, n.option("think"), n.option("batch"))
	}
}
