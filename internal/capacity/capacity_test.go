package capacity

import (
	"errors"
	"math"
	"strings"
	"testing"
)

const (
	kib = 1 << 10
	mib = 1 << 20
	gib = 1 << 30
)

func TestCheck(t *testing.T) {
	t.Parallel()
	host := Limits{Memory: 16 * gib, MemoryFrom: "the machine's MemTotal", Available: 10 * gib, Files: 20000, FilesMax: 20000}
	tests := []struct {
		name     string
		limits   Limits
		need     Need
		wantErr  string   // substrings of the error; empty: no error
		wantWarn []string // substrings of the warning; nil: no warning
	}{
		{name: "fits", limits: host, need: Need{Users: 10000, Memory: 10000 * 7680, Files: 10000}},
		{name: "nothing known", limits: Limits{}, need: Need{Users: 2e9, Memory: math.MaxInt64, Files: 2e9}},
		{name: "beyond the machine", limits: host, need: Need{Users: 2e9, Memory: 2e9 * 7680, Files: 2e9},
			wantErr: "2000000000 users need about 14.0 TiB of memory, more than the 16.0 GiB this process may ever use (the machine's MemTotal): lower -u/--users"},
		{name: "beyond a cgroup", limits: Limits{Memory: 512 * mib, MemoryFrom: "cgroup memory.max", Available: 400 * mib}, need: Need{Users: 100000, Memory: 100000 * 7680},
			wantErr: "(cgroup memory.max)"},
		{name: "most of what is available", limits: host, need: Need{Users: 1e6, Memory: 9 * gib},
			wantWarn: []string{"1000000 users need about 9.0 GiB of memory, more than 80% of the 10.0 GiB available now", "lower -u/--users"}},
		{name: "just under 80%", limits: host, need: Need{Users: 1e6, Memory: 8 * gib}},
		{name: "over the soft file limit", limits: Limits{Files: 1024, FilesMax: 1 << 20}, need: Need{Users: 5000, Files: 5000},
			wantWarn: []string{"5000 users need about 5000 open files", "may open 1024", "ulimit -n 5032", "--processes N"}},
		{name: "over the hard file limit", limits: host, need: Need{Users: 30000, Memory: 30000 * 7680, Files: 30000},
			wantWarn: []string{"may open 20000", "raise the hard limit", "--processes N"}},
		{name: "the reserve counts", limits: host, need: Need{Users: 19990, Files: 19990}, wantWarn: []string{"open files"}},
		{name: "no files needed", limits: Limits{Files: 10}, need: Need{Users: 5000, Memory: 5000 * 2048}},
		{name: "both warnings", limits: host, need: Need{Users: 1e6, Memory: 9 * gib, Files: 1e6},
			wantWarn: []string{"of memory", "; ", "open files"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			warn, err := tt.limits.Check(tt.need)
			switch {
			case tt.wantErr == "" && err != nil:
				t.Fatalf("error %v", err)
			case tt.wantErr != "" && (err == nil || !errors.Is(err, ErrTooMany) || !strings.Contains(err.Error(), tt.wantErr)):
				t.Fatalf("error %v, want ErrTooMany with %q", err, tt.wantErr)
			}
			if tt.wantWarn == nil && warn != "" {
				t.Errorf("warning %q, want none", warn)
			}
			for _, w := range tt.wantWarn {
				if !strings.Contains(warn, w) {
					t.Errorf("warning %q lacks %q", warn, w)
				}
			}
		})
	}
}

func TestCheckPerUser(t *testing.T) {
	t.Parallel()
	// The machine's own limits: any answer is fine, as long as a count no
	// machine holds is refused wherever the memory is known.
	t.Logf("this machine: %+v", Probe())
	_, err := Check(2_000_000_000, 1<<40, 1)
	if Probe().Memory > 0 && !errors.Is(err, ErrTooMany) {
		t.Errorf("2e9 users of 1 TiB each: error %v, want ErrTooMany", err)
	}
	if _, err := Check(1, 1, 0); err != nil {
		t.Errorf("one user: %v", err)
	}
}

func TestMul(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		a    int
		b    int64
		want int64
	}{
		{3, 4, 12}, {0, 5, 0}, {-1, 5, 0}, {5, -1, 0},
		{math.MaxInt, 2, math.MaxInt64}, {2e9, 7680, 2e9 * 7680}, {1 << 32, 1 << 31, math.MaxInt64},
	} {
		if got := mul(tt.a, tt.b); got != tt.want {
			t.Errorf("mul(%d, %d) = %d, want %d", tt.a, tt.b, got, tt.want)
		}
	}
}

func TestFormatBytes(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]string{
		0: "0 B", 1023: "1023 B", 1024: "1.0 KiB", 7680: "7.5 KiB", 39 * kib: "39.0 KiB",
		3 * gib / 2: "1.5 GiB", 14 << 40: "14.0 TiB", math.MaxInt64: "8.0 EiB",
	} {
		if got := formatBytes(n); got != want {
			t.Errorf("formatBytes(%d) = %q, want %q", n, got, want)
		}
	}
}
