package histogram

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// encodingVersion is the first byte of every encoded histogram.
const encodingVersion = 1

// maxIndex is one past the largest bucket index.
const maxIndex = groups * subCount

// MarshalBinary encodes h exactly and compactly: a version byte, the
// count, sum, min and max, then each non-empty bucket as (index gap,
// count), all as varints: about two bytes per non-empty bucket, so at most
// a few kilobytes per endpoint. herd workers send it to a herd master so that distributed
// percentiles equal single-process ones.
func (h *Histogram) MarshalBinary() ([]byte, error) {
	return h.AppendBinary(nil)
}

// AppendBinary appends the encoding of h to b.
func (h *Histogram) AppendBinary(b []byte) ([]byte, error) {
	b = append(b, encodingVersion)
	b = binary.AppendUvarint(b, h.count)
	b = binary.AppendVarint(b, int64(h.sum))
	b = binary.AppendVarint(b, int64(h.min))
	b = binary.AppendVarint(b, int64(h.max))
	prev := 0
	for g, c := range h.chunks {
		if c == nil {
			continue
		}
		for off, v := range c {
			if v == 0 {
				continue
			}
			idx := g*subCount + off
			b = binary.AppendUvarint(b, uint64(idx-prev))
			b = binary.AppendUvarint(b, v)
			prev = idx
		}
	}
	return b, nil
}

// UnmarshalBinary replaces h with an encoded histogram. It checks that the
// buckets are in range and add up to the count, so a corrupt or hostile
// input is an error (leaving h unchanged), never a panic or a huge
// allocation. The buckets h already has are reused, so decoding into a
// recycled histogram allocates only for new powers of two.
func (h *Histogram) UnmarshalBinary(data []byte) error {
	// One pass checks everything, a second one fills h.
	count, sum, lo, hi, err := decode(data, nil)
	if err != nil {
		return err
	}
	h.Reset()
	var used [groups]bool
	decode(data, func(idx int, v uint64) {
		g, off := idx/subCount, idx%subCount
		if h.chunks[g] == nil {
			h.chunks[g] = new([subCount]uint64)
		}
		h.chunks[g][off] = v
		used[g] = true
	})
	for g := range h.chunks {
		if !used[g] {
			h.chunks[g] = nil // an empty group must not look used (Merge, Bytes)
		}
	}
	h.count, h.sum, h.min, h.max = count, time.Duration(sum), time.Duration(lo), time.Duration(hi)
	return nil
}

// decode parses an encoded histogram, calling bucket (when not nil) for
// every bucket, and returns its summary.
func decode(data []byte, bucket func(idx int, v uint64)) (count uint64, sum, lo, hi int64, err error) {
	if len(data) == 0 || data[0] != encodingVersion {
		return 0, 0, 0, 0, errors.New("histogram: unknown encoding version")
	}
	p := data[1:]
	uv := func(what string) (uint64, error) {
		v, n := binary.Uvarint(p)
		if n <= 0 {
			return 0, fmt.Errorf("histogram: bad %s", what)
		}
		p = p[n:]
		return v, nil
	}
	sv := func(what string) (int64, error) {
		v, n := binary.Varint(p)
		if n <= 0 {
			return 0, fmt.Errorf("histogram: bad %s", what)
		}
		p = p[n:]
		return v, nil
	}
	if count, err = uv("count"); err != nil {
		return
	}
	if sum, err = sv("sum"); err != nil {
		return
	}
	if lo, err = sv("min"); err != nil {
		return
	}
	if hi, err = sv("max"); err != nil {
		return
	}
	if lo < 0 || hi < lo || (count == 0 && (lo != 0 || hi != 0 || sum != 0)) {
		return 0, 0, 0, 0, errors.New("histogram: inconsistent summary")
	}
	idx := 0
	var seen uint64
	for first := true; len(p) > 0; first = false {
		gap, err := uv("bucket index")
		if err != nil {
			return 0, 0, 0, 0, err
		}
		if !first && gap == 0 || gap >= maxIndex || idx+int(gap) >= maxIndex {
			return 0, 0, 0, 0, errors.New("histogram: bucket index out of order or range")
		}
		idx += int(gap)
		v, err := uv("bucket count")
		if err != nil {
			return 0, 0, 0, 0, err
		}
		if v == 0 || v > count-seen {
			return 0, 0, 0, 0, errors.New("histogram: bucket counts exceed the total")
		}
		seen += v
		if bucket != nil {
			bucket(idx, v)
		}
	}
	if seen != count {
		return 0, 0, 0, 0, errors.New("histogram: bucket counts do not add up to the total")
	}
	return count, sum, lo, hi, nil
}
