package keys

import (
	"testing"
	"time"

	"github.com/herdload/herd/internal/ptytest"
	"golang.org/x/sys/unix"
)

func TestWatchReadsKeysFromATerminal(t *testing.T) {
	t.Parallel()
	master, slave := ptytest.Open(t)
	before, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	keys := make(chan byte, 8)
	stop, ok := Watch(slave, func(k byte) { keys <- k })
	if !ok {
		t.Fatal("Watch refused a terminal")
	}
	if _, err := master.Write([]byte("wS")); err != nil { // no Enter: character mode
		t.Fatal(err)
	}
	for _, want := range []byte("wS") {
		select {
		case got := <-keys:
			if got != want {
				t.Errorf("key %q, want %q", got, want)
			}
		case <-time.After(30 * time.Second): // a hang guard
			t.Fatalf("key %q never arrived", want)
		}
	}
	stop()
	after, err := unix.IoctlGetTermios(int(slave.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if after.Lflag != before.Lflag {
		t.Errorf("terminal not restored: lflag %#x, was %#x", after.Lflag, before.Lflag)
	}
	stop() // a second stop is a no-op
}
