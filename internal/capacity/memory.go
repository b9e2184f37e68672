package capacity

import (
	"bufio"
	"bytes"
	"errors"
	"io/fs"
	"path"
	"strconv"
	"strings"
)

// Where Linux tells a process's memory limits, relative to the root of the
// file system given to readMemory.
const (
	meminfoFile  = "proc/meminfo"
	selfCgroup   = "proc/self/cgroup"
	cgroup2Mount = "sys/fs/cgroup"        // the unified hierarchy (cgroup v2)
	cgroup1Mount = "sys/fs/cgroup/memory" // v1's memory controller
)

// unlimited is where cgroup v1's "no limit" starts (it writes
// 9223372036854771712, the largest page count in bytes).
const unlimited = 1 << 62

// cgroupFiles names a cgroup version's limit, usage and statistics files,
// and the statistics key of its reclaimable page cache.
type cgroupFiles struct {
	mount, limit, usage, stat, inactive string
}

var (
	cgroup2 = cgroupFiles{cgroup2Mount, "memory.max", "memory.current", "memory.stat", "inactive_file"}
	cgroup1 = cgroupFiles{cgroup1Mount, "memory.limit_in_bytes", "memory.usage_in_bytes", "memory.stat", "total_inactive_file"}
)

// readMemory reads the machine's memory and this process's cgroup limits
// from fsys, a view of the root file system (os.DirFS("/") on Linux).
func readMemory(fsys fs.FS) Limits {
	var l Limits
	if data, err := fs.ReadFile(fsys, meminfoFile); err == nil {
		if total, avail, err := parseMeminfo(data); err == nil {
			l.Memory, l.MemoryFrom, l.Available = total, "the machine's MemTotal", avail
		}
	}
	data, err := fs.ReadFile(fsys, selfCgroup)
	if err != nil {
		return l
	}
	v2, v1, err := parseSelfCgroup(data)
	if err != nil {
		return l
	}
	if v2 != "" {
		l = applyCgroup(fsys, l, cgroup2, v2)
	}
	if v1 != "" {
		l = applyCgroup(fsys, l, cgroup1, v1)
	}
	return l
}

// applyCgroup lowers l to the limits of the cgroup at dir and of its
// ancestors (a parent's limit binds its children). A process in a
// container often sees its own cgroup as the mount's root, so a directory
// missing on the way up is skipped.
func applyCgroup(fsys fs.FS, l Limits, f cgroupFiles, dir string) Limits {
	for dir = path.Clean("/" + dir); ; dir = path.Dir(dir) {
		d := path.Join(f.mount, dir)
		if data, err := fs.ReadFile(fsys, path.Join(d, f.limit)); err == nil {
			if limit, ok := parseLimit(data); ok && limit > 0 { // 0 could not even run this process
				if l.Memory == 0 || limit < l.Memory {
					l.Memory, l.MemoryFrom = limit, "cgroup "+f.limit
				}
				if room, ok := cgroupRoom(fsys, d, f, limit); ok && (l.Available == 0 || room < l.Available) {
					l.Available = room
				}
			}
		}
		if dir == "/" {
			return l
		}
	}
}

// cgroupRoom is a cgroup's limit less what its processes use, not counting
// the page cache the kernel would reclaim first.
func cgroupRoom(fsys fs.FS, dir string, f cgroupFiles, limit int64) (int64, bool) {
	data, err := fs.ReadFile(fsys, path.Join(dir, f.usage))
	if err != nil {
		return 0, false
	}
	used, ok := parseLimit(data)
	if !ok {
		return 0, false
	}
	if data, err := fs.ReadFile(fsys, path.Join(dir, f.stat)); err == nil {
		if cache, ok := parseStat(data, f.inactive); ok {
			used -= min(cache, used)
		}
	}
	return max(limit-used, 1), true // 1: known to be full, not unknown
}

// parseMeminfo reads MemTotal and MemAvailable (0 when missing: kernels
// before 3.14) from /proc/meminfo, in bytes.
func parseMeminfo(data []byte) (total, available int64, err error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		key, rest, ok := strings.Cut(sc.Text(), ":")
		if !ok || key != "MemTotal" && key != "MemAvailable" {
			continue
		}
		v, err := parseKB(rest)
		if err != nil {
			return 0, 0, err
		}
		if key == "MemTotal" {
			total = v
		} else {
			available = v
		}
	}
	if total == 0 {
		return 0, 0, errors.New("meminfo: no MemTotal")
	}
	return total, min(available, total), nil
}

// parseKB reads "   24683748 kB" as bytes.
func parseKB(s string) (int64, error) {
	num, unit, _ := strings.Cut(strings.TrimSpace(s), " ")
	v, err := strconv.ParseInt(num, 10, 64)
	if err != nil || v < 0 {
		return 0, errors.New("meminfo: bad value " + strconv.Quote(s))
	}
	switch strings.TrimSpace(unit) {
	case "kB":
		if v > (1<<63-1)/1024 {
			return 0, errors.New("meminfo: value out of range")
		}
		return v * 1024, nil
	case "":
		return v, nil
	}
	return 0, errors.New("meminfo: bad unit " + strconv.Quote(unit))
}

// parseSelfCgroup reads /proc/self/cgroup ("hierarchy:controllers:path"
// per line): the cgroup v2 path ("0::path") and the v1 memory
// controller's.
func parseSelfCgroup(data []byte) (v2, v1 string, err error) {
	for line := range strings.Lines(string(data)) {
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			continue
		}
		id, rest, ok1 := strings.Cut(line, ":")
		controllers, p, ok2 := strings.Cut(rest, ":")
		if !ok1 || !ok2 || !strings.HasPrefix(p, "/") {
			return "", "", errors.New("cgroup: bad line " + strconv.Quote(line))
		}
		switch {
		case id == "0" && controllers == "":
			v2 = p
		case memoryController(controllers):
			v1 = p
		}
	}
	return v2, v1, nil
}

func memoryController(list string) bool {
	for c := range strings.SplitSeq(list, ",") {
		if c == "memory" {
			return true
		}
	}
	return false
}

// parseLimit reads a cgroup limit or usage file: bytes, "max" (v2) or a
// value from unlimited up (v1), which mean no limit (false).
func parseLimit(data []byte) (int64, bool) {
	s := strings.TrimSpace(string(data))
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil || v < 0 || v >= unlimited {
		return 0, false
	}
	return v, true
}

// parseStat finds key's value in a memory.stat file ("key value" lines).
func parseStat(data []byte, key string) (int64, bool) {
	for line := range strings.Lines(string(data)) {
		k, v, ok := strings.Cut(strings.TrimSpace(line), " ")
		if !ok || k != key {
			continue
		}
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		if err != nil || n < 0 {
			return 0, false
		}
		return n, true
	}
	return 0, false
}
