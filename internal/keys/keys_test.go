package keys

import (
	"os"
	"testing"
)

func TestDelta(t *testing.T) {
	t.Parallel()
	for key, want := range map[byte]int{'w': 1, 'W': 10, 's': -1, 'S': -10, 'x': 0, '\n': 0} {
		if got := Delta(key); got != want {
			t.Errorf("Delta(%q) = %d, want %d", key, got, want)
		}
	}
}

func TestNotATerminal(t *testing.T) {
	t.Parallel()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	stop, ok := Watch(r, func(byte) { t.Error("a pipe is not a keyboard") })
	if ok {
		t.Error("Watch accepted a pipe")
	}
	stop()
}
