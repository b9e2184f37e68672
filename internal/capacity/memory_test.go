package capacity

import (
	"testing"
	"testing/fstest"
)

const meminfo = `MemTotal:       24683748 kB
MemFree:        20000000 kB
MemAvailable:   23767756 kB
Buffers:          123456 kB
`

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

func TestReadMemory(t *testing.T) {
	t.Parallel()
	const total, avail = 24683748 * 1024, 23767756 * 1024
	tests := []struct {
		name string
		fs   fstest.MapFS
		want Limits
	}{
		{"nothing readable", fstest.MapFS{}, Limits{}},
		{"a machine without cgroup limits", fstest.MapFS{
			"proc/meminfo":     file(meminfo),
			"proc/self/cgroup": file("0::/user.slice/user-1000.slice/session-2.scope\n"),
		}, Limits{Memory: total, MemoryFrom: "the machine's MemTotal", Available: avail}},
		{"a v2 container", fstest.MapFS{
			"proc/meminfo":                 file(meminfo),
			"proc/self/cgroup":             file("0::/\n"),
			"sys/fs/cgroup/memory.max":     file("1073741824\n"),
			"sys/fs/cgroup/memory.current": file("314572800\n"),
			"sys/fs/cgroup/memory.stat":    file("anon 100\nfile 200\ninactive_file 104857600\nactive_file 5\n"),
		}, Limits{Memory: 1 << 30, MemoryFrom: "cgroup memory.max", Available: 1<<30 - 200<<20}},
		{"a v2 container without a limit", fstest.MapFS{
			"proc/meminfo":                 file(meminfo),
			"proc/self/cgroup":             file("0::/\n"),
			"sys/fs/cgroup/memory.max":     file("max\n"),
			"sys/fs/cgroup/memory.current": file("314572800\n"),
		}, Limits{Memory: total, MemoryFrom: "the machine's MemTotal", Available: avail}},
		{"a parent's v2 limit binds", fstest.MapFS{
			"proc/meminfo":                          file(meminfo),
			"proc/self/cgroup":                      file("0::/a/b\n"),
			"sys/fs/cgroup/a/b/memory.max":          file("4294967296\n"),
			"sys/fs/cgroup/a/b/memory.current":      file("0\n"),
			"sys/fs/cgroup/a/memory.max":            file("2147483648\n"),
			"sys/fs/cgroup/a/memory.current":        file("2147483648\n"), // full
			"sys/fs/cgroup/system.slice/memory.max": file("1\n"),          // not ours
			"sys/fs/cgroup/a/b/c/memory.max":        file("1\n"),          // a child's
			"sys/fs/cgroup/a/b/memory.stat":         file("inactive_file 0\n"),
		}, Limits{Memory: 2 << 30, MemoryFrom: "cgroup memory.max", Available: 1}},
		{"a v2 container on the host's cgroup namespace", fstest.MapFS{
			"proc/meminfo":             file(meminfo),
			"proc/self/cgroup":         file("0::/system.slice/docker-abc.scope\n"),
			"sys/fs/cgroup/memory.max": file("536870912\n"),
		}, Limits{Memory: 512 << 20, MemoryFrom: "cgroup memory.max", Available: avail}},
		{"a v1 limit (hybrid hierarchy)", fstest.MapFS{
			"proc/meminfo": file(meminfo),
			"proc/self/cgroup": file("9:name=systemd:/\n4:cpuacct,memory:/process_api/0da7\n" +
				"3:cpuset:/\n0::/\n"),
			"sys/fs/cgroup/memory/memory.limit_in_bytes":                  file("9223372036854771712\n"),
			"sys/fs/cgroup/memory/memory.usage_in_bytes":                  file("2532724736\n"),
			"sys/fs/cgroup/memory/process_api/0da7/memory.limit_in_bytes": file("8589934592\n"),
			"sys/fs/cgroup/memory/process_api/0da7/memory.usage_in_bytes": file("1073741824\n"),
			"sys/fs/cgroup/memory/process_api/0da7/memory.stat":           file("cache 5\ninactive_file 9\ntotal_inactive_file 536870912\n"),
		}, Limits{Memory: 8 << 30, MemoryFrom: "cgroup memory.limit_in_bytes", Available: 8<<30 - 512<<20}},
		{"a v1 machine without limits", fstest.MapFS{
			"proc/meminfo":     file(meminfo),
			"proc/self/cgroup": file("4:memory:/\n"),
			"sys/fs/cgroup/memory/memory.limit_in_bytes": file("9223372036854771712\n"),
		}, Limits{Memory: total, MemoryFrom: "the machine's MemTotal", Available: avail}},
		{"a cgroup limit without meminfo", fstest.MapFS{
			"proc/self/cgroup":         file("0::/\n"),
			"sys/fs/cgroup/memory.max": file("1048576\n"),
		}, Limits{Memory: 1 << 20, MemoryFrom: "cgroup memory.max"}},
		{"an unreadable cgroup file", fstest.MapFS{
			"proc/meminfo":     file(meminfo),
			"proc/self/cgroup": file("garbage\n"),
		}, Limits{Memory: total, MemoryFrom: "the machine's MemTotal", Available: avail}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := readMemory(tt.fs); got != tt.want {
				t.Errorf("readMemory =\n %+v, want\n %+v", got, tt.want)
			}
		})
	}
}

func TestParseMeminfo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in           string
		total, avail int64
		ok           bool
	}{
		{meminfo, 24683748 * 1024, 23767756 * 1024, true},
		{"MemTotal: 1000 kB\n", 1024000, 0, true}, // before Linux 3.14
		{"MemAvailable: 10 kB\nMemTotal: 5 kB\n", 5120, 5120, true},
		{"MemTotal: 12\n", 12, 0, true},
		{"MemFree: 5 kB\n", 0, 0, false},
		{"MemTotal: x kB\n", 0, 0, false},
		{"MemTotal: 5 MB\n", 0, 0, false},
		{"MemTotal: -5 kB\n", 0, 0, false},
		{"MemTotal: 9223372036854775807 kB\n", 0, 0, false},
		{"", 0, 0, false},
	}
	for _, tt := range tests {
		total, avail, err := parseMeminfo([]byte(tt.in))
		if (err == nil) != tt.ok || total != tt.total || avail != tt.avail {
			t.Errorf("parseMeminfo(%q) = %d, %d, %v; want %d, %d, ok %v", tt.in, total, avail, err, tt.total, tt.avail, tt.ok)
		}
	}
}

func TestParseSelfCgroup(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in     string
		v2, v1 string
		ok     bool
	}{
		{"0::/\n", "/", "", true},
		{"0::/user.slice/a b\n", "/user.slice/a b", "", true},
		{"12:memory:/docker/x\n0::/\n", "/", "/docker/x", true},
		{"4:cpu,memory,pids:/k8s\r\n", "", "/k8s", true},
		{"4:memoryx:/no\n1:name=systemd:/\n", "", "", true},
		{"\n\n", "", "", true},
		{"0::relative\n", "", "", false},
		{"nonsense\n", "", "", false},
		{"0:/\n", "", "", false},
	}
	for _, tt := range tests {
		v2, v1, err := parseSelfCgroup([]byte(tt.in))
		if (err == nil) != tt.ok || v2 != tt.v2 || v1 != tt.v1 {
			t.Errorf("parseSelfCgroup(%q) = %q, %q, %v; want %q, %q, ok %v", tt.in, v2, v1, err, tt.v2, tt.v1, tt.ok)
		}
	}
}

func TestParseLimitAndStat(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{"1073741824\n": 1 << 30, " 0 ": 0, "4611686018427387903": 1<<62 - 1} {
		if got, ok := parseLimit([]byte(in)); !ok || got != want {
			t.Errorf("parseLimit(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"max\n", "9223372036854771712\n", "-1", "", "12 kB", "99999999999999999999"} {
		if got, ok := parseLimit([]byte(in)); ok {
			t.Errorf("parseLimit(%q) = %d, want no limit", in, got)
		}
	}
	stat := "anon 5\ninactive_file 42\ntotal_inactive_file 7\nbad_line\nneg -3\n"
	for key, want := range map[string]int64{"inactive_file": 42, "total_inactive_file": 7, "anon": 5} {
		if got, ok := parseStat([]byte(stat), key); !ok || got != want {
			t.Errorf("parseStat(%s) = %d, %v; want %d", key, got, ok, want)
		}
	}
	for _, key := range []string{"missing", "bad_line", "neg", ""} {
		if got, ok := parseStat([]byte(stat), key); ok {
			t.Errorf("parseStat(%q) = %d, want not found", key, got)
		}
	}
}

func FuzzParseMeminfo(f *testing.F) {
	f.Add([]byte(meminfo))
	f.Add([]byte("MemTotal: 1 kB\nMemAvailable: 99 kB\n"))
	f.Add([]byte("MemTotal:9223372036854775807\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		total, avail, err := parseMeminfo(data)
		if err != nil {
			return
		}
		if total <= 0 || avail < 0 || avail > total {
			t.Errorf("total %d, available %d", total, avail)
		}
	})
}

func FuzzParseCgroupFiles(f *testing.F) {
	f.Add([]byte("0::/a/b\n4:memory:/c\n"), []byte("max\n"), []byte("inactive_file 5\n"))
	f.Add([]byte("0::/../..//x\n"), []byte("9223372036854771712"), []byte("total_inactive_file -1"))
	f.Fuzz(func(t *testing.T, self, limit, stat []byte) {
		if v2, v1, err := parseSelfCgroup(self); err == nil {
			if v2 != "" && v2[0] != '/' || v1 != "" && v1[0] != '/' {
				t.Errorf("paths %q, %q", v2, v1)
			}
		}
		if v, ok := parseLimit(limit); ok && (v < 0 || v >= unlimited) {
			t.Errorf("limit %d", v)
		}
		if v, ok := parseStat(stat, "inactive_file"); ok && v < 0 {
			t.Errorf("stat %d", v)
		}
		// The whole probe over a file system built from the input.
		l := readMemory(fstest.MapFS{
			"proc/meminfo":                 file(meminfo),
			"proc/self/cgroup":             &fstest.MapFile{Data: self},
			"sys/fs/cgroup/memory.max":     &fstest.MapFile{Data: limit},
			"sys/fs/cgroup/memory.current": &fstest.MapFile{Data: limit},
			"sys/fs/cgroup/memory.stat":    &fstest.MapFile{Data: stat},
		})
		if l.Memory <= 0 || l.Available < 0 || l.Memory > 24683748*1024 {
			t.Errorf("limits %+v", l)
		}
	})
}
