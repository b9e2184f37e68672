package herd_test

import (
	"context"
	"testing"
	"time"

	"github.com/herdload/herd"
	"github.com/herdload/herd/internal/ptytest"
)

// TestKeysChangeUsersMidRun types W then S on a terminal during a headless
// run: the user count goes 2 → 12 → 2, as in Locust.
func TestKeysChangeUsersMidRun(t *testing.T) {
	t.Parallel()
	master, slave := ptytest.Open(t)
	test := pingTest()
	counts := make(chan int, 8)
	test.Events.OnSpawningComplete(func(n int) { counts <- n })
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan int)
	go func() {
		done <- mainRun(test, ctx, herd.Env{Args: []string{"--headless", "-u", "2", "-r", "100", "-t", "1m", "--only-summary", "Quiet"}, Stdin: slave})
	}()
	expect := func(want int) {
		t.Helper()
		select {
		case got := <-counts:
			if got != want {
				t.Fatalf("user count %d, want %d", got, want)
			}
		case <-time.After(30 * time.Second):
			t.Fatalf("user count never reached %d", want)
		}
	}
	expect(2)
	master.Write([]byte("W"))
	expect(12)
	master.Write([]byte("S"))
	expect(2)
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit code %d", code)
	}
}
