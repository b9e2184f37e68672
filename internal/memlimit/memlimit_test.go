package memlimit

import (
	"io/fs"
	"runtime"
	"runtime/debug"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		want Setting
		err  bool
	}{
		{in: "", want: Setting{Auto: true}},
		{in: "auto", want: Setting{Auto: true}},
		{in: " AUTO ", want: Setting{Auto: true}},
		{in: "off", want: Setting{}},
		{in: "0", want: Setting{}},
		{in: "2GiB", want: Setting{Bytes: 2 << 30}},
		{in: "512MiB", want: Setting{Bytes: 512 << 20}},
		{in: "512 mib", want: Setting{Bytes: 512 << 20}},
		{in: "1.5GB", want: Setting{Bytes: 1_500_000_000}},
		{in: "1048576", want: Setting{Bytes: 1 << 20}},
		{in: "64KiB", err: true}, // below 1MiB
		{in: "-1GiB", err: true},
		{in: "lots", err: true},
		{in: "NaN", err: true},
		{in: "GiB", err: true},
		{in: "1e30TB", err: true},
	} {
		got, err := Parse(tc.in)
		if (err != nil) != tc.err || (err == nil && got != tc.want) {
			t.Errorf("Parse(%q) = %+v, %v; want %+v, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"auto", "off", "2GiB", "1.5GB", "1048576", "-1", "1e308TiB"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := Parse(s)
		if err != nil {
			return
		}
		if got.Auto && got.Bytes != 0 || got.Bytes < 0 || (got.Bytes > 0 && got.Bytes < 1<<20) {
			t.Fatalf("Parse(%q) = %+v", s, got)
		}
	})
}

func TestLimit(t *testing.T) {
	t.Parallel()
	const mib = 1 << 20
	for _, tc := range []struct {
		name                 string
		live, other, ceiling int64
		want                 int64
	}{
		{"empty heap: the floor", 0, 10 * mib, 0, 10*mib + Floor},
		{"400 MiB live: a quarter more", 400 * mib, 20 * mib, 0, 20*mib + 500*mib + Floor},
		{"capped by the machine", 400 * mib, 20 * mib, 300 * mib, 300 * mib},
	} {
		if got := Limit(tc.live, tc.other, tc.ceiling); got != tc.want {
			t.Errorf("%s: Limit(%d, %d, %d) = %d, want %d", tc.name, tc.live, tc.other, tc.ceiling, got, tc.want)
		}
	}
}

func TestCeiling(t *testing.T) {
	t.Parallel()
	meminfo := "MemTotal:       24683748 kB\nMemFree:         1000 kB\n"
	for _, tc := range []struct {
		name  string
		files map[string]string
		want  int64
	}{
		{"machine only", map[string]string{"/proc/meminfo": meminfo}, 24683748 << 10 / 10 * 9},
		{"cgroup v2 without a limit", map[string]string{"/proc/meminfo": meminfo, "/sys/fs/cgroup/memory.max": "max\n"}, 24683748 << 10 / 10 * 9},
		{"cgroup v2 limit", map[string]string{"/proc/meminfo": meminfo, "/sys/fs/cgroup/memory.max": "1073741824\n"}, 1 << 30 / 10 * 9},
		{"cgroup v1 without a limit", map[string]string{"/proc/meminfo": meminfo, "/sys/fs/cgroup/memory/memory.limit_in_bytes": "9223372036854771712\n"}, 24683748 << 10 / 10 * 9},
		{"nothing readable", nil, 0},
	} {
		read := func(p string) ([]byte, error) {
			if s, ok := tc.files[p]; ok {
				return []byte(s), nil
			}
			return nil, fs.ErrNotExist
		}
		if got := ceiling(read); got != tc.want {
			t.Errorf("%s: ceiling = %d, want %d", tc.name, got, tc.want)
		}
	}
	if Ceiling() < 0 {
		t.Error("negative ceiling")
	}
}

// Start sets the limit (a fixed one at once, an automatic one after the
// next collection) and its stop restores the one before; runs overlap.
// Not parallel: the limit is the process's.
func TestStartRestores(t *testing.T) {
	before := debug.SetMemoryLimit(-1)
	stop := Start(Setting{Bytes: 3 << 30})
	if got := debug.SetMemoryLimit(-1); got != 3<<30 {
		t.Errorf("fixed limit %d, want %d", got, int64(3<<30))
	}
	stop()
	stop() // idempotent
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("limit after stop %d, want %d", got, before)
	}

	stopA := Start(Setting{Auto: true})
	stopB := Start(Setting{Auto: true}) // a second run of the same process
	deadline := time.Now().Add(10 * time.Second)
	for debug.SetMemoryLimit(-1) == before {
		if time.Now().After(deadline) {
			t.Fatal("the automatic limit was never set")
		}
		runtime.GC()
		time.Sleep(10 * time.Millisecond) // polling, bounded by the deadline
	}
	if got := debug.SetMemoryLimit(-1); got < Floor {
		t.Errorf("automatic limit %d, below the floor", got)
	}
	stopA()
	if debug.SetMemoryLimit(-1) == before {
		t.Error("the first run's stop removed the limit the second run still uses")
	}
	stopB()
	if got := debug.SetMemoryLimit(-1); got != before {
		t.Errorf("limit after both stops %d, want %d", got, before)
	}
	if Start(Setting{}) == nil {
		t.Error("off: nil stop")
	}
}
