package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The test hosts live in network namespaces this test creates, joined by a
// bridge in a namespace of its own: their addresses exist nowhere else and
// no route leads out.
const netnsSubnet = "10.213.7."

// TestNetnsTarget is not a test: TestMultiHost runs this binary inside the
// target's namespace with HERD_NETNS_TARGET=addr to serve a counting target.
func TestNetnsTarget(t *testing.T) {
	addr := os.Getenv("HERD_NETNS_TARGET")
	if addr == "" {
		t.Skip("helper process for TestMultiHost")
	}
	var n atomic.Int64
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		w.Write([]byte(`{"ok":true}`))
	})}
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	fmt.Println("serving") // only once it accepts connections
	<-sig
	srv.Close()
	fmt.Println("count", n.Load())
}

type netns struct {
	t      *testing.T
	prefix string
}

func (n *netns) run(args ...string) {
	n.t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		n.t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

func (n *netns) name(node string) string { return n.prefix + node }

// host creates a namespace with one interface on the bridge at ip.
func (n *netns) host(node string, ip int) {
	ns, a, b := n.name(node), n.prefix+node+"a", n.prefix+node+"b"
	n.run("netns", "add", ns)
	n.t.Cleanup(func() { exec.Command("ip", "netns", "del", ns).Run() })
	n.run("link", "add", a, "type", "veth", "peer", "name", b)
	n.run("link", "set", a, "netns", ns)
	n.run("link", "set", b, "netns", n.name("sw"))
	n.run("-n", n.name("sw"), "link", "set", b, "master", "br0", "up")
	n.run("-n", ns, "addr", "add", netnsSubnet+strconv.Itoa(ip)+"/24", "dev", a)
	n.run("-n", ns, "link", "set", a, "up")
	n.run("-n", ns, "link", "set", "lo", "up")
}

// TestMultiHost runs a distributed test across network namespaces: a
// master, two workers and the target, each on a host of its own.
func TestMultiHost(t *testing.T) {
	if os.Getenv("HERD_NETNS_TARGET") != "" {
		t.Skip()
	}
	_, ipErr := exec.LookPath("ip")
	if os.Geteuid() != 0 || ipErr != nil {
		if os.Getenv("HERD_E2E") == "required" {
			t.Fatalf("network namespaces need root and iproute2 (root: %v, ip: %v)", os.Geteuid() == 0, ipErr)
		}
		t.Skip("needs root and iproute2 for network namespaces")
	}
	t.Parallel()
	bin, err := buildHerd(t)
	if err != nil {
		t.Fatalf("building herd: %v", err)
	}
	id := make([]byte, 2)
	rand.Read(id)
	n := &netns{t: t, prefix: "hd" + hex.EncodeToString(id)}
	n.run("netns", "add", n.name("sw"))
	t.Cleanup(func() { exec.Command("ip", "netns", "del", n.name("sw")).Run() })
	n.run("-n", n.name("sw"), "link", "add", "br0", "type", "bridge")
	n.run("-n", n.name("sw"), "link", "set", "br0", "up")
	n.host("m", 1)
	n.host("w1", 2)
	n.host("w2", 3)
	n.host("t", 4)

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	inNS := func(node string, args ...string) *exec.Cmd {
		return exec.CommandContext(ctx, "ip", append([]string{"netns", "exec", n.name(node)}, args...)...)
	}

	targetAddr := netnsSubnet + "4:8080"
	target := inNS("t", os.Args[0], "-test.run=^TestNetnsTarget$", "-test.v")
	target.Env = append(os.Environ(), "HERD_NETNS_TARGET="+targetAddr)
	targetPipe, err := target.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := target.Start(); err != nil {
		t.Fatal(err)
	}
	defer target.Process.Kill()
	targetLines := bufio.NewScanner(targetPipe)
	for targetLines.Scan() && !strings.Contains(targetLines.Text(), "serving") {
	}
	var targetOut bytes.Buffer
	targetDone := make(chan struct{})
	go func() {
		defer close(targetDone)
		for targetLines.Scan() {
			targetOut.WriteString(targetLines.Text() + "\n")
		}
	}()

	master := inNS("m", bin, "demo", "--master", "--headless", "--master-bind-host", netnsSubnet+"1",
		"--expect-workers", "2", "-u", "6", "-r", "100", "-t", "2s", "-s", "10s",
		"-H", "http://"+targetAddr, "--json", "--only-summary", "--exit-code-on-error", "0")
	var masterOut, masterLog bytes.Buffer
	master.Stdout, master.Stderr = &masterOut, &masterLog
	if err := master.Start(); err != nil {
		t.Fatal(err)
	}
	var workers []*exec.Cmd
	for _, node := range []string{"w1", "w2"} {
		w := inNS(node, bin, "demo", "--worker", "--master-host", netnsSubnet+"1")
		if err := w.Start(); err != nil {
			t.Fatal(err)
		}
		workers = append(workers, w)
	}
	if err := master.Wait(); err != nil {
		t.Fatalf("master: %v\n%s", err, masterLog.String())
	}
	for _, w := range workers {
		if err := w.Wait(); err != nil {
			t.Errorf("worker: %v", err)
		}
	}
	target.Process.Signal(syscall.SIGTERM)
	<-targetDone
	target.Wait()
	var seen int64
	for _, line := range strings.Split(targetOut.String(), "\n") {
		if v, ok := strings.CutPrefix(line, "count "); ok {
			seen, _ = strconv.ParseInt(v, 10, 64)
		}
	}
	var rep struct {
		Total struct {
			Requests int64 `json:"num_requests"`
			Failures int64 `json:"num_failures"`
		} `json:"total"`
	}
	if err := json.Unmarshal(masterOut.Bytes(), &rep); err != nil {
		t.Fatalf("report: %v\n%s\n%s", err, masterOut.String(), masterLog.String())
	}
	t.Logf("the target (%s) saw %d requests; the master (%s1) reported %d", targetAddr, seen, netnsSubnet, rep.Total.Requests)
	if seen == 0 || rep.Total.Requests != seen || rep.Total.Failures != 0 {
		t.Errorf("the master reported %d requests, the target saw %d\n%s", rep.Total.Requests, seen, masterLog.String())
	}
}
