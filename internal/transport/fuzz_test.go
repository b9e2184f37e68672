package transport

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"testing"
)

// FuzzFrames feeds arbitrary streams to the ZMTP frame reader and to the
// handshake guard: no panic, and nothing above the cap is accepted.
func FuzzFrames(f *testing.F) {
	for _, name := range []string{"testdata/zmtp_worker_side.bin", "testdata/zmtp_master_side.bin"} {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		f.Add(b[64:])
	}
	f.Add([]byte{flagLong, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
	f.Add([]byte{flagMore, 0, flagMore, 0, 0, 1, 'x'})
	f.Fuzz(func(t *testing.T, stream []byte) {
		const max = 4096
		br := bufio.NewReader(bytes.NewReader(stream))
		for {
			msg, err := readMessage(br, max)
			if err != nil {
				break
			}
			size := 0
			for _, fr := range msg.frames {
				size += len(fr)
			}
			if size > max {
				t.Fatalf("message of %d bytes accepted with a cap of %d", size, max)
			}
			if msg.command {
				_, _, _ = parseCommand(msg.frames[0])
			}
		}
		g := &guardConn{limit: max, greeting: greetingSize}
		if err := g.inspect(stream); err != nil && !errors.Is(err, ErrTooLarge) {
			t.Fatalf("guard: %v", err)
		}
	})
}
