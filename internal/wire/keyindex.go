package wire

import (
	"bytes"
	"hash/maphash"
)

// keyIndex finds a repeated key among the keys of one map, given as views,
// without allocating once it has grown: by a hash of the key's bytes,
// checked against the bytes themselves. The seed is random, so a peer
// cannot pick keys that collide; a collision costs a linear search.
type keyIndex struct {
	seed maphash.Seed
	at   map[uint64]int
}

// reset forgets every key, for the next map.
func (x *keyIndex) reset() {
	if x.at == nil {
		x.seed, x.at = maphash.MakeSeed(), make(map[uint64]int)
	}
	clear(x.at)
}

// seen returns the index of an earlier key equal to key, or -1 after
// noting key as the n-th (keyAt returns the j-th key, j < n).
func (x *keyIndex) seen(key []byte, n int, keyAt func(j int) []byte) int {
	h := maphash.Bytes(x.seed, key)
	j, ok := x.at[h]
	if !ok {
		x.at[h] = n
		return -1
	}
	if bytes.Equal(keyAt(j), key) {
		return j
	}
	for j := range n {
		if bytes.Equal(keyAt(j), key) {
			return j
		}
	}
	return -1
}
