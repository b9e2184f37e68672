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
	// The buckets, the bulk of it: without uv's closure, and most
	// varints are one byte.
	for first := true; len(p) > 0; first = false {
		gap, n := uvarint(p)
		if n <= 0 {
			return 0, 0, 0, 0, errors.New("histogram: bad bucket index")
		}
		p = p[n:]
		if !first && gap == 0 || gap >= maxIndex || idx+int(gap) >= maxIndex {
			return 0, 0, 0, 0, errors.New("histogram: bucket index out of order or range")
		}
		idx += int(gap)
		v, n := uvarint(p)
		if n <= 0 {
			return 0, 0, 0, 0, errors.New("histogram: bad bucket count")
		}
		p = p[n:]
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

// uvarint is binary.Uvarint with a fast path for one-byte values.
func uvarint(p []byte) (uint64, int) {
	if len(p) > 0 && p[0] < 0x80 {
		return uint64(p[0]), 1
	}
	return binary.Uvarint(p)
}

// BinaryCount checks an encoding of MarshalBinary as UnmarshalBinary does
// and returns the number of values it holds.
func BinaryCount(data []byte) (uint64, error) {
	count, _, _, _, err := decode(data, nil)
	return count, err
}

// MergeBinary adds the histogram encoded in data (see MarshalBinary) to
// each of into without decoding it into a histogram of its own: one check
// of the encoding, then one add per non-empty bucket of it and histogram
// (a few dozen for a worker's report of one endpoint), not one per bucket
// the histograms have allocated, which is how a master keeps up with a
// thousand workers. A corrupt encoding is an error and changes nothing.
func MergeBinary(data []byte, into ...*Histogram) error {
	count, sum, lo, hi, err := decode(data, nil)
	if err != nil || count == 0 {
		return err
	}
	decode(data, func(idx int, v uint64) {
		g, off := idx/subCount, idx%subCount
		for _, h := range into {
			c := h.chunks[g]
			if c == nil {
				c = new([subCount]uint64)
				h.chunks[g] = c
			}
			c[off] += v
		}
	})
	for _, h := range into {
		if h.count == 0 || time.Duration(lo) < h.min {
			h.min = time.Duration(lo)
		}
		h.max = max(h.max, time.Duration(hi))
		h.count += count
		h.sum += time.Duration(sum)
	}
	return nil
}
