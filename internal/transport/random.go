package transport

import (
	"crypto/rand"
	"encoding/binary"
)

// randomUint32 returns a random starting point for generated identities.
func randomUint32() uint32 {
	var b [4]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go ≥ 1.24)
	return binary.BigEndian.Uint32(b[:])
}
