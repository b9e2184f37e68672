package main

import (
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
)

// floorTool is the "Go epoll floor" row: bench/epollfloor, the least a Go
// client spends per request on this closed loop (one locked thread, epoll,
// raw system calls, no herd), to tell how much of herd Fast's gap to wrk is
// Go's and how much is herd's. Linux only.
func floorTool(dir string) []tool {
	if runtime.GOOS != "linux" {
		return nil
	}
	p := filepath.Join(dir, "epollfloor")
	c := strconv.Itoa(*conns)
	return []tool{{
		name:  "Go epoll floor",
		build: func(url string) *exec.Cmd { return exec.Command(p, "-c", c, "-d", duration.String(), url+"/") },
		count: regexCount(`(\d+) requests in`),
	}}
}
