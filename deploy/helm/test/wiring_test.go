//go:build unix

package charttest

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
)

// hangGuard bounds each wiring test: the runs themselves last seconds.
const hangGuard = 2 * time.Minute

// herdBin is herd's command built from the parent module, once: the binary
// herd's image runs (its Dockerfile builds ./cmd/herd).
var herdBin struct {
	once sync.Once
	dir  string
	path string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if herdBin.dir != "" {
		os.RemoveAll(herdBin.dir)
	}
	os.Exit(code)
}

func buildHerd(t *testing.T) string {
	t.Helper()
	herdBin.once.Do(func() {
		dir, err := os.MkdirTemp("", "herd-chart-")
		if err != nil {
			herdBin.err = err
			return
		}
		herdBin.dir = dir
		bin := filepath.Join(dir, "herd")
		cmd := exec.Command("go", "build", "-o", bin, "./cmd/herd")
		cmd.Dir = repoRoot
		if out, err := cmd.CombinedOutput(); err != nil {
			herdBin.err = fmt.Errorf("go build ./cmd/herd: %v\n%s", err, out)
			return
		}
		herdBin.path = bin
	})
	if herdBin.err != nil {
		t.Fatal(herdBin.err)
	}
	return herdBin.path
}

// countingTarget is an HTTP server on loopback that counts the requests it
// received; slow delays each answer.
func countingTarget(t *testing.T, slow time.Duration) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		time.Sleep(slow)
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(srv.Close)
	return srv, &n
}

// TestChartRunsHeadless renders the chart as a CI Job, starts the Job's
// master and the workers' Deployment as local processes, and checks the run
// against the target: every request it received is in the master's JSON
// report (on the reports volume), and the Job's exit code is the test's.
func TestChartRunsHeadless(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		thresholds []any
		code       int
	}{
		{"passes", nil, 0},
		// requests<1 fails as soon as one request was made.
		{"threshold fails", []any{"requests<1"}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			target, seen := countingTarget(t, 0)
			m := render(t, map[string]any{
				"mode": "headless", "users": 8, "spawnRate": 100, "runTime": "3s", "host": target.URL,
				"thresholds": tt.thresholds, "masterToken": "wiring-test-token",
				"workers": map[string]any{"replicas": 2},
			})
			checkWiring(t, m)
			c := runCluster(t, m)
			// Prometheus finds the whole cluster's metrics where the
			// annotations say, while the Job runs.
			pod := m.masterPod(t)
			for {
				if _, ok := c.scrapeRequests(t, pod); ok {
					break
				}
				select {
				case <-c.master.logDone:
					t.Fatalf("the master ended before a scrape of %s%s answered\n%s",
						c.scrapeAt, pod.Annotations["prometheus.io/path"], c.master.log.String())
				case <-time.After(50 * time.Millisecond):
				}
			}
			code := c.waitMaster(t)
			if code != tt.code {
				t.Errorf("the Job's exit code is %d, want %d\n%s", code, tt.code, c.master.log.String())
			}
			c.waitWorkers(t)
			c.checkReport(t, seen, tt.thresholds != nil)
		})
	}
}

// TestChartRunsWebUI renders the chart in web-UI mode with autostart: the
// master's readiness probe (the rendered path and headers) answers once it
// serves, the test runs on the workers and stops at its run time, and a
// SIGTERM (a pod's deletion) ends the master, which writes its reports and
// tells the workers to quit.
func TestChartRunsWebUI(t *testing.T) {
	t.Parallel()
	target, seen := countingTarget(t, 0)
	m := render(t, map[string]any{
		"users": 6, "spawnRate": 100, "runTime": "3s", "host": target.URL,
		"master":  map[string]any{"autostart": true},
		"workers": map[string]any{"replicas": 2},
	})
	checkWiring(t, m)
	c := runCluster(t, m)
	probe := m.masterPod(t).Spec.Containers[0].ReadinessProbe.HTTPGet
	url := strings.TrimSuffix(c.webURL, "/") + probe.Path
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range probe.HTTPHeaders {
		if h.Name == "Host" {
			req.Host = h.Value
		} else {
			req.Header.Set(h.Name, h.Value)
		}
	}
	// The test ends at its run time; the master keeps serving.
	var state struct {
		State string `json:"state"`
	}
	deadline := time.Now().Add(hangGuard)
	for state.State != "stopped" {
		if time.Now().After(deadline) {
			t.Fatalf("the test never stopped: %q\n%s", state.State, c.master.log.String())
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("readiness probe: %v", err)
		}
		err = json.NewDecoder(resp.Body).Decode(&state)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || err != nil {
			t.Fatalf("readiness probe %s: %s, %v", url, resp.Status, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The stopped test's figures, scraped as Prometheus would, are what the
	// target received.
	scraped, ok := c.scrapeRequests(t, m.masterPod(t))
	if !ok {
		t.Fatalf("scraping %s%s failed", c.scrapeAt, m.masterPod(t).Annotations["prometheus.io/path"])
	}
	deadline = time.Now().Add(10 * time.Second)
	for seen.Load() != scraped && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if seen.Load() != scraped {
		t.Errorf("herd_requests_total is %d, the target received %d", scraped, seen.Load())
	}
	if err := c.master.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if code := c.waitMaster(t); code != 0 {
		t.Errorf("master exit code %d after SIGTERM\n%s", code, c.master.log.String())
	}
	c.waitWorkers(t)
	c.checkReport(t, seen, false)
}

// cluster is a rendered master and its workers running as local processes.
type cluster struct {
	master  *process
	workers []*process
	reports string // the master's reports volume
	prefix  string // --csv's value, in reports
	webURL  string
	// scrapeAt is where the pod's prometheus.io/port leads (scheme, host
	// and port): the web UI's, or --metrics-port's.
	scrapeAt string
}

// runCluster starts the master and every worker replica from their
// rendered containers. What a cluster provides, the test provides on
// loopback: the master's Service name resolves to 127.0.0.1, the ports
// are free ones (a pod has its own network namespace: here all share one),
// the master and its web UI bind 127.0.0.1, and the reports volume is a
// temporary directory.
func runCluster(t *testing.T, m manifests) *cluster {
	t.Helper()
	bin := buildHerd(t)
	ctx, cancel := context.WithTimeout(context.Background(), hangGuard)
	t.Cleanup(cancel)

	pod := m.masterPod(t).Spec
	c := &cluster{reports: t.TempDir()}
	mc := pod.Containers[0]
	args := rewriteMounts(mc.Args, mc.VolumeMounts, map[string]string{"reports": c.reports})
	args = setArg(args, "--master-bind-port", "0")
	args = append(args, "--master-bind-host", "127.0.0.1")
	web, metrics := argValue(args, "--web-port") != "", argValue(args, "--metrics-port") != ""
	if web {
		args = setArg(args, "--web-port", "0")
	}
	if metrics {
		args = setArg(args, "--metrics-port", "0")
	}
	if web || metrics {
		args = append(args, "--web-host", "127.0.0.1")
	}
	c.prefix = argValue(args, "--csv")
	c.master = start(t, ctx, "master", bin, mc, args, m)
	port := c.master.waitLog(t, `master listening for workers" port=`)
	if web {
		c.webURL = c.master.waitLog(t, `web UI ready: open it in a browser" url=`)
		c.scrapeAt = origin(t, c.webURL)
	}
	if metrics {
		c.scrapeAt = origin(t, c.master.waitLog(t, `Prometheus metrics ready" url=`))
	}

	workers := m.workers(t)
	wc := workers.Spec.Template.Spec.Containers[0]
	for i := range int(*workers.Spec.Replicas) {
		args := setArg(wc.Args, "--master-host", "127.0.0.1")
		args = setArg(args, "--master-port", port)
		c.workers = append(c.workers, start(t, ctx, fmt.Sprintf("worker %d", i), bin, wc, args, m))
	}
	return c
}

// waitMaster waits for the master to exit and returns its exit code.
func (c *cluster) waitMaster(t *testing.T) int {
	t.Helper()
	return c.master.wait(t)
}

// waitWorkers waits for every worker: their master told them to quit.
func (c *cluster) waitWorkers(t *testing.T) {
	t.Helper()
	for _, w := range c.workers {
		if code := w.wait(t); code != 0 {
			t.Errorf("%s exited with %d\n%s", w.name, code, w.log.String())
		}
	}
}

// scrapeRequests scrapes the master as Prometheus would, following the
// pod's annotations, and returns the sum of herd_requests_total, or ok
// false if the scrape failed or has no herd metrics.
func (c *cluster) scrapeRequests(t *testing.T, pod corev1.PodTemplateSpec) (total int64, ok bool) {
	t.Helper()
	resp, err := http.Get(c.scrapeAt + pod.Annotations["prometheus.io/path"])
	if err != nil {
		return 0, false
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return 0, false
	}
	for line := range strings.Lines(string(body)) {
		if strings.HasPrefix(line, "herd_") {
			ok = true
		}
		if !strings.HasPrefix(line, "herd_requests_total{") {
			continue
		}
		f := strings.Fields(line)
		v, err := strconv.ParseFloat(f[len(f)-1], 64)
		if err != nil {
			t.Fatalf("scrape line %q: %v", line, err)
		}
		total += int64(v)
	}
	return total, ok
}

// origin is a URL's scheme, host and port.
func origin(t *testing.T, raw string) string {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		t.Fatalf("logged URL %q: %v", raw, err)
	}
	return u.Scheme + "://" + u.Host
}

// checkReport compares the master's reports on its volume with what the
// target received.
func (c *cluster) checkReport(t *testing.T, seen *atomic.Int64, junit bool) {
	t.Helper()
	data, err := os.ReadFile(c.prefix + ".json")
	if err != nil {
		t.Fatalf("the JSON report: %v\n%s", err, c.master.log.String())
	}
	var rep struct {
		Total struct {
			Requests int64 `json:"num_requests"`
		} `json:"total"`
	}
	if err := json.Unmarshal(data, &rep); err != nil {
		t.Fatalf("the JSON report: %v", err)
	}
	if rep.Total.Requests == 0 {
		t.Fatalf("no request reported\nmaster:\n%s", c.master.log.String())
	}
	// A request the target is still answering may come in after the report:
	// wait for the target to catch up, briefly.
	deadline := time.Now().Add(10 * time.Second)
	for seen.Load() != rep.Total.Requests && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if seen.Load() != rep.Total.Requests {
		t.Errorf("the target received %d requests, the master's report says %d", seen.Load(), rep.Total.Requests)
	}
	files := []string{"_stats.csv", "_stats_history.csv", "_failures.csv", "_exceptions.csv", ".html"}
	if junit {
		files = append(files, "-junit.xml")
	}
	for _, f := range files {
		if fi, err := os.Stat(c.prefix + f); err != nil || fi.Size() == 0 {
			t.Errorf("report %s: %v", f, err)
		}
	}
	t.Logf("%d requests, reported exactly; reports: %s", rep.Total.Requests, strings.Join(files, " "))
}

// process is a container run as a local process.
type process struct {
	name    string
	cmd     *exec.Cmd
	log     lockedLog // stderr
	logDone chan struct{}
}

// start runs container c's command with args and its environment, each
// secretKeyRef read from the rendered Secrets. The image's ENTRYPOINT (or
// c's command) is herd's binary.
func start(t *testing.T, ctx context.Context, name, bin string, c corev1.Container, args []string, m manifests) *process {
	t.Helper()
	if len(c.Command) > 0 {
		args = append(append([]string(nil), c.Command[1:]...), args...)
	}
	p := &process{name: name, cmd: exec.CommandContext(ctx, bin, args...), logDone: make(chan struct{})}
	p.cmd.Env = containerEnv(t, c, m)
	p.cmd.Stdout = io.Discard
	stderr, err := p.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		defer close(p.logDone)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.log.WriteString(sc.Text() + "\n")
		}
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill()
		<-p.logDone
		p.cmd.Wait()
	})
	return p
}

// waitLog waits for a line of the log containing prefix and returns what
// follows it on that line.
func (p *process) waitLog(t *testing.T, prefix string) string {
	t.Helper()
	deadline := time.Now().Add(hangGuard)
	for time.Now().Before(deadline) {
		for _, line := range strings.Split(p.log.String(), "\n") {
			if _, rest, ok := strings.Cut(line, prefix); ok {
				return strings.Fields(rest)[0]
			}
		}
		select {
		case <-p.logDone:
			t.Fatalf("%s ended before logging %q:\n%s", p.name, prefix, p.log.String())
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("%s never logged %q:\n%s", p.name, prefix, p.log.String())
	return ""
}

// wait waits for the process and returns its exit code.
func (p *process) wait(t *testing.T) int {
	t.Helper()
	<-p.logDone
	err := p.cmd.Wait()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit) && exit.ExitCode() >= 0:
		return exit.ExitCode()
	default:
		t.Fatalf("%s: %v\n%s", p.name, err, p.log.String())
		return -1
	}
}

// containerEnv is c's environment: its ConfigMaps' (envFrom), then its own
// variables, secretKeyRefs resolved.
func containerEnv(t *testing.T, c corev1.Container, m manifests) []string {
	t.Helper()
	var env []string
	for _, from := range c.EnvFrom {
		if from.ConfigMapRef == nil {
			t.Fatalf("envFrom %+v: only configMapRef is resolved here", from)
		}
		found := false
		for _, cm := range m.configMaps {
			if cm.Name == from.ConfigMapRef.Name {
				found = true
				for _, k := range slices.Sorted(maps.Keys(cm.Data)) {
					env = append(env, from.Prefix+k+"="+cm.Data[k])
				}
			}
		}
		if !found {
			t.Fatalf("no ConfigMap %q", from.ConfigMapRef.Name)
		}
	}
	for _, e := range c.Env {
		v := e.Value
		if ref := e.ValueFrom; ref != nil {
			if ref.SecretKeyRef == nil {
				t.Fatalf("env %s: only secretKeyRef is resolved here", e.Name)
			}
			v = secretValue(t, m, ref.SecretKeyRef.Name, ref.SecretKeyRef.Key)
		}
		env = append(env, e.Name+"="+v)
	}
	return env
}

func secretValue(t *testing.T, m manifests, name, key string) string {
	t.Helper()
	for _, s := range m.secrets {
		if s.Name != name {
			continue
		}
		if v, ok := s.StringData[key]; ok {
			return v
		}
		if v, ok := s.Data[key]; ok {
			return string(v)
		}
	}
	t.Fatalf("no key %q in a rendered Secret %q", key, name)
	return ""
}

// rewriteMounts maps the paths under each volume's mount path in args to
// the local directory standing for that volume.
func rewriteMounts(args []string, mounts []corev1.VolumeMount, dirs map[string]string) []string {
	out := append([]string(nil), args...)
	for _, vm := range mounts {
		dir, ok := dirs[vm.Name]
		if !ok {
			continue
		}
		for i, a := range out {
			if rest, ok := strings.CutPrefix(a, strings.TrimSuffix(vm.MountPath, "/")+"/"); ok {
				out[i] = filepath.Join(dir, rest)
			}
		}
	}
	return out
}

// setArg replaces the value following flag in args; it fails loudly (by
// returning args with the flag appended) when the flag was absent, which
// checkWiring's comparisons then catch.
func setArg(args []string, flag, value string) []string {
	out := append([]string(nil), args...)
	for i, a := range out {
		if a == flag && i+1 < len(out) {
			out[i+1] = value
			return out
		}
	}
	return append(out, flag, value)
}

// lockedLog is a log written by one goroutine and read by others.
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) WriteString(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
