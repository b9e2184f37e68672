package dispatch

import (
	"slices"
	"testing"
)

func TestCounts(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		types []Type
		n     int
		want  []int
	}{
		{"one type", []Type{{Weight: 1}}, 7, []int{7}},
		{"3 to 1", []Type{{Weight: 3}, {Weight: 1}}, 8, []int{6, 2}},
		{"3 to 1, partial", []Type{{Weight: 3}, {Weight: 1}}, 2, []int{2, 0}},
		{"equal weights alternate", []Type{{Weight: 1}, {Weight: 1}}, 3, []int{2, 1}},
		{"weights reduced by gcd", []Type{{Weight: 200}, {Weight: 100}}, 3, []int{2, 1}},
		{"fixed first", []Type{{Fixed: 2}, {Weight: 1}}, 1, []int{1, 0}},
		{"fixed then weighted", []Type{{Fixed: 2}, {Weight: 1}}, 10, []int{2, 8}},
		{"fixed only caps", []Type{{Fixed: 2}, {Fixed: 1}}, 10, []int{2, 1}},
		{"fixed interleaved", []Type{{Fixed: 2}, {Fixed: 2}}, 2, []int{1, 1}},
		{"zero weight never runs", []Type{{Weight: 0}, {Weight: 1}}, 5, []int{0, 5}},
		{"zero users", []Type{{Weight: 1}}, 0, []int{0}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			p, err := New(tt.types)
			if err != nil {
				t.Fatal(err)
			}
			if got := p.Counts(tt.n); !slices.Equal(got, tt.want) {
				t.Errorf("Counts(%d) = %v, want %v", tt.n, got, tt.want)
			}
		})
	}
}

// TestMonotonic checks that each extra user changes exactly one type, by one.
func TestMonotonic(t *testing.T) {
	t.Parallel()
	p, err := New([]Type{{Weight: 5}, {Fixed: 3}, {Weight: 2}, {Weight: 1}})
	if err != nil {
		t.Fatal(err)
	}
	prev := p.Counts(0)
	for n := 1; n <= 200; n++ {
		cur := p.Counts(n)
		diff := 0
		for i := range cur {
			if d := cur[i] - prev[i]; d < 0 || d > 1 {
				t.Fatalf("n=%d: %v after %v", n, cur, prev)
			} else {
				diff += d
			}
		}
		if diff != 1 {
			t.Fatalf("n=%d: %d types changed", n, diff)
		}
		// Weighted types stay within one user of their exact share.
		w := n - 3
		if w > 0 {
			for i, share := range map[int]float64{0: 5.0 / 8, 2: 2.0 / 8, 3: 1.0 / 8} {
				if d := float64(cur[i]) - share*float64(w); d > 1 || d < -1 {
					t.Fatalf("n=%d: type %d has %d users, share %.1f", n, i, cur[i], share*float64(w))
				}
			}
		}
		prev = cur
	}
}

func TestInvalid(t *testing.T) {
	t.Parallel()
	for _, types := range [][]Type{nil, {{Weight: 0}}, {{Weight: -1}}, {{Fixed: -2}}} {
		if _, err := New(types); err == nil {
			t.Errorf("New(%v) succeeded", types)
		}
	}
}

func TestSpread(t *testing.T) {
	t.Parallel()
	p, err := New([]Type{{Weight: 3}, {Weight: 1}, {Fixed: 2}})
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n <= 50; n++ {
		for w := 1; w <= 4; w++ {
			spread := p.Spread(n, w)
			sum := make([]int, 3)
			lo, hi := n, 0
			for _, counts := range spread {
				users := 0
				for i, c := range counts {
					sum[i] += c
					users += c
				}
				lo, hi = min(lo, users), max(hi, users)
			}
			if !slices.Equal(sum, p.Counts(n)) {
				t.Fatalf("n=%d w=%d: spread %v adds up to %v, want %v", n, w, spread, sum, p.Counts(n))
			}
			if hi-lo > 1 {
				t.Fatalf("n=%d w=%d: uneven spread %v", n, w, spread)
			}
		}
	}
	if got := p.Spread(5, 0); len(got) != 0 {
		t.Errorf("no workers: %v", got)
	}
}
