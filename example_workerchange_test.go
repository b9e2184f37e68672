package herd_test

import (
	"context"
	"log/slog"

	"github.com/herdload/herd"
)

// A master stops the test when a worker goes missing, rather than run on
// with fewer users than asked for.
func ExampleEvents_OnWorkerChange() {
	test := &herd.Test{}
	test.Events.OnWorkerChange(func(ctx context.Context, ch herd.WorkerChange) {
		slog.Info("worker", "change", ch.Kind, "index", ch.Worker.Index, "id", ch.Worker.ID)
		if ch.Kind == herd.WorkerMissing {
			herd.NodeFrom(ctx).StopTest(nil)
		}
	})
	herd.Main(test)
}
