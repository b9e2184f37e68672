package charttest

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/v2/lint"
	"helm.sh/helm/v4/pkg/chart/v2/lint/support"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// valueSets are the configurations every chart test renders: the defaults
// and each switch the chart has.
var valueSets = map[string]map[string]any{
	"defaults": nil,
	"headless CI job": {
		"mode": "headless", "runTime": "5m", "users": 1000000, "spawnRate": 0.5, "host": "http://shop.test:8080",
		"thresholds": []any{"p95<300ms", "fail_ratio<1%;abort"},
		"master":     map[string]any{"job": map[string]any{"ttlSecondsAfterFinished": 3600, "activeDeadlineSeconds": 1800}},
		"reports":    map[string]any{"volume": "pvc", "storageClassName": "standard", "reader": map[string]any{"enabled": true}},
	},
	"test program image": {
		"image":    map[string]any{"repository": "registry.test/loadtest", "tag": "1.2.3", "command": []any{"/loadtest"}},
		"testArgs": []any{}, "imagePullSecrets": []any{map[string]any{"name": "registry"}},
		"extraArgs": []any{"--stop-timeout", "10s"}, "extraEnv": []any{map[string]any{"name": "HERD_LOGLEVEL", "value": "DEBUG"}},
		"workers": map[string]any{"replicas": 10, "extraArgs": []any{"-L", "DEBUG"}, "spreadOverNodes": false,
			"nodeSelector": map[string]any{"pool": "load"}, "tolerations": []any{map[string]any{"key": "load", "operator": "Exists"}}},
	},
	"web UI secured": {
		"masterToken": "s3cret",
		"master": map[string]any{"webAuth": "admin:pw", "autostart": true, "webHostAllow": []any{"herd.example.com"},
			"webBasePath": "/herd", "podAnnotations": map[string]any{"team": "perf"}},
		"metrics": map[string]any{"scrape": true},
		"service": map[string]any{"type": "LoadBalancer"},
	},
	"existing secrets and claim": {
		"mode": "headless", "runTime": "60", "masterTokenExistingSecret": "herd-token",
		"reports": map[string]any{"volume": "pvc", "existingClaim": "perf-reports"},
		"workers": map[string]any{"topologySpreadConstraints": []any{map[string]any{
			"maxSkew": 1, "topologyKey": "topology.kubernetes.io/zone", "whenUnsatisfiable": "DoNotSchedule",
			"labelSelector": map[string]any{"matchLabels": map[string]any{"app.kubernetes.io/component": "worker"}}}}},
	},
	"no reports": {"reports": map[string]any{"enabled": false}},
}

func TestLint(t *testing.T) {
	t.Parallel()
	for name, values := range valueSets {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			res := lint.RunAll(chartDir, values, "herd-test")
			for _, m := range res.Messages {
				if m.Severity >= support.WarningSev {
					t.Errorf("lint: %s", m)
				} else {
					t.Logf("lint: %s", m)
				}
			}
		})
	}
}

// TestRenderStrict renders every value set: each manifest decodes strictly
// (render fails otherwise), and the pieces fit together.
func TestRenderStrict(t *testing.T) {
	t.Parallel()
	for name, values := range valueSets {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			m := render(t, values)
			checkWiring(t, m)
		})
	}
}

// checkWiring checks what only a cluster would otherwise show: the Service
// selects the master's pod and reaches its named ports, the workers connect
// to that Service on that port, the master waits for as many workers as
// there are replicas, every secret and claim referred to is named, every
// probe's port exists, and the containers run as non-root.
func checkWiring(t *testing.T, m manifests) {
	t.Helper()
	pod := m.masterPod(t)
	master := pod.Spec.Containers[0]
	workers := m.workers(t)
	worker := workers.Spec.Template.Spec.Containers[0]
	if len(m.services) != 1 {
		t.Fatalf("%d services, want the master's", len(m.services))
	}
	svc := m.services[0]
	for k, v := range svc.Spec.Selector {
		if pod.Labels[k] != v {
			t.Errorf("the Service selects %s=%s, the master pod has %q", k, v, pod.Labels[k])
		}
	}
	for k, v := range workers.Spec.Selector.MatchLabels {
		if workers.Spec.Template.Labels[k] != v {
			t.Errorf("the workers' selector %s=%s does not match their pods", k, v)
		}
	}
	if svc.Spec.Selector["app.kubernetes.io/component"] == workers.Spec.Template.Labels["app.kubernetes.io/component"] {
		t.Error("the Service would select the workers too")
	}
	ports := map[string]int32{}
	for _, p := range master.Ports {
		ports[p.Name] = p.ContainerPort
	}
	svcPort := map[string]int32{}
	for _, p := range svc.Spec.Ports {
		if p.TargetPort.Type != intstr.String || ports[p.TargetPort.StrVal] == 0 {
			t.Errorf("Service port %s targets %v, not a named port of the master", p.Name, p.TargetPort)
		}
		svcPort[p.Name] = p.Port
	}
	if got := argValue(master.Args, "--master-bind-port"); got != fmt.Sprint(ports["master"]) {
		t.Errorf("the master binds %s, its container port is %d", got, ports["master"])
	}
	if got := argValue(worker.Args, "--master-host"); got != svc.Name {
		t.Errorf("workers connect to %q, the Service is %q", got, svc.Name)
	}
	if got := argValue(worker.Args, "--master-port"); got != fmt.Sprint(svcPort["master"]) {
		t.Errorf("workers connect to port %s, the Service's is %d", got, svcPort["master"])
	}
	if got := argValue(master.Args, "--expect-workers"); got != fmt.Sprint(*workers.Spec.Replicas) {
		t.Errorf("--expect-workers %s, %d worker replicas", got, *workers.Spec.Replicas)
	}
	if web := ports["web"]; web != 0 && argValue(master.Args, "--web-port") != fmt.Sprint(web) {
		t.Errorf("the web UI listens on %s, its container port is %d", argValue(master.Args, "--web-port"), web)
	}
	if mp := argValue(master.Args, "--metrics-port"); mp != "" && mp != fmt.Sprint(ports["metrics"]) {
		t.Errorf("/metrics is served on %s, the metrics container port is %d", mp, ports["metrics"])
	}
	checkScrape(t, pod, master, ports)
	for _, p := range []*corev1.Probe{master.ReadinessProbe, master.LivenessProbe} {
		if p == nil {
			t.Fatal("the master lacks a readiness or liveness probe")
		}
		port := intstr.IntOrString{}
		switch {
		case p.HTTPGet != nil:
			port = p.HTTPGet.Port
		case p.TCPSocket != nil:
			port = p.TCPSocket.Port
		}
		if port.Type != intstr.String || ports[port.StrVal] == 0 {
			t.Errorf("a probe checks port %v, not a named port of the master", port)
		}
	}
	checkRefs(t, m, pod.Spec, workers)
	for _, c := range []corev1.Container{master, worker} {
		sc := c.SecurityContext
		if sc == nil || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
			t.Errorf("container %s may run as root or write its file system", c.Name)
		}
	}
}

// checkScrape checks that Prometheus, following the master pod's
// annotations, finds /metrics: on the web UI's port under its base path,
// or on --metrics-port.
func checkScrape(t *testing.T, pod corev1.PodTemplateSpec, master corev1.Container, ports map[string]int32) {
	t.Helper()
	a := pod.Annotations
	if a["prometheus.io/scrape"] != "true" {
		return
	}
	want, path := ports["web"], strings.TrimSuffix(argValue(master.Args, "--web-base-path"), "/")+"/metrics"
	if want == 0 {
		want, path = ports["metrics"], "/metrics"
	}
	if want == 0 || a["prometheus.io/port"] != fmt.Sprint(want) || a["prometheus.io/path"] != path {
		t.Errorf("scrape annotations %v; herd serves %s on port %d", a, path, want)
	}
}

// checkRefs checks that every Secret, ConfigMap and PersistentVolumeClaim the pods use
// is rendered, or is one the values named as existing.
func checkRefs(t *testing.T, m manifests, master corev1.PodSpec, workers *appsv1.Deployment) {
	t.Helper()
	have := map[string]bool{"herd-token": true, "perf-reports": true} // the existing ones in valueSets
	for _, s := range m.secrets {
		have[s.Name] = true
	}
	for _, c := range m.claims {
		have[c.Name] = true
	}
	for _, c := range m.configMaps {
		have[c.Name] = true
	}
	specs := []corev1.PodSpec{master, workers.Spec.Template.Spec}
	for _, p := range m.pods {
		specs = append(specs, p.Spec)
	}
	for _, spec := range specs {
		for _, c := range spec.Containers {
			for _, e := range c.EnvFrom {
				if e.ConfigMapRef != nil && !have[e.ConfigMapRef.Name] {
					t.Errorf("%s reads ConfigMap %q, which is not rendered", c.Name, e.ConfigMapRef.Name)
				}
			}
			for _, e := range c.Env {
				if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && !have[e.ValueFrom.SecretKeyRef.Name] {
					t.Errorf("%s reads Secret %q, which is not rendered", e.Name, e.ValueFrom.SecretKeyRef.Name)
				}
			}
		}
		for _, v := range spec.Volumes {
			if v.PersistentVolumeClaim != nil && !have[v.PersistentVolumeClaim.ClaimName] {
				t.Errorf("volume %s mounts claim %q, which is not rendered", v.Name, v.PersistentVolumeClaim.ClaimName)
			}
		}
	}
}

// TestRenderedValues checks that the values reach the manifests as herd's
// flags and Kubernetes fields.
func TestRenderedValues(t *testing.T) {
	t.Parallel()
	m := render(t, valueSets["headless CI job"])
	if len(m.jobs) != 1 || m.jobs[0].Spec.BackoffLimit == nil || *m.jobs[0].Spec.BackoffLimit != 0 {
		t.Fatalf("headless: want one Job that is never retried, got %d jobs", len(m.jobs))
	}
	job := m.jobs[0]
	if job.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever || *job.Spec.TTLSecondsAfterFinished != 3600 {
		t.Errorf("job spec: %+v", job.Spec)
	}
	args := job.Spec.Template.Spec.Containers[0].Args
	want := []string{"demo", "--master", "--users", "1000000", "--spawn-rate", "0.5", "--run-time", "5m",
		"--host", "http://shop.test:8080", "--headless", "--threshold", "p95<300ms", "--threshold", "fail_ratio<1%;abort",
		"--csv", "/reports/herd", "--json-file", "/reports/herd.json", "--html", "/reports/herd.html", "--junit", "/reports/herd-junit.xml"}
	if !isSubsequence(want, args) {
		t.Errorf("master args %q lack, in order, %q", args, want)
	}
	if len(m.claims) != 1 || len(m.pods) != 1 || m.pods[0].Spec.Volumes[0].PersistentVolumeClaim.ClaimName != m.claims[0].Name {
		t.Errorf("want a reports claim and a reader pod mounting it")
	}
	svcPorts := map[string]int32{}
	for _, c := range m.services[0].Spec.Ports {
		svcPorts[c.Name] = c.Port
	}
	if svcPorts["web"] != 0 || svcPorts["metrics"] != 9646 {
		t.Errorf("headless: Service ports %v, want master and metrics (no web UI)", svcPorts)
	}
	if pod := m.masterPod(t); !isSubsequence([]string{"--headless", "--metrics-port", "9646"}, args) ||
		pod.Annotations["prometheus.io/port"] != "9646" || pod.Annotations["prometheus.io/path"] != "/metrics" {
		t.Errorf("headless: /metrics on --metrics-port 9646 and annotated: args %q, annotations %v", args, pod.Annotations)
	}

	m = render(t, valueSets["web UI secured"])
	master := m.masterPod(t)
	c := master.Spec.Containers[0]
	for _, want := range [][]string{{"--autostart"}, {"--web-host-allow", "herd.example.com"}, {"--web-base-path", "/herd"}, {"--web-port", "8089"}} {
		if !isSubsequence(want, c.Args) {
			t.Errorf("web master args %q lack %q", c.Args, want)
		}
	}
	if c.ReadinessProbe.TCPSocket == nil {
		t.Error("with basic auth, the readiness probe must not be an unauthenticated HTTP GET")
	}
	if master.Annotations["prometheus.io/scrape"] != "true" || master.Annotations["prometheus.io/port"] != "8089" ||
		master.Annotations["prometheus.io/path"] != "/herd/metrics" || master.Annotations["team"] != "perf" {
		t.Errorf("master pod annotations %v", master.Annotations)
	}
	env := map[string]string{}
	for _, e := range c.Env {
		env[e.Name] = e.ValueFrom.SecretKeyRef.Name
	}
	if env["HERD_MASTER_TOKEN"] != "load-herd-master-token" || env["HERD_WEB_AUTH"] != "load-herd-web-auth" || len(m.secrets) != 2 {
		t.Errorf("secrets %v from %d rendered", env, len(m.secrets))
	}
	if m.services[0].Spec.Type != corev1.ServiceTypeLoadBalancer {
		t.Errorf("service type %s", m.services[0].Spec.Type)
	}

	m = render(t, nil)
	d := m.deployment(t, "load-herd-master")
	if d.Spec.Strategy.Type != appsv1.RecreateDeploymentStrategyType {
		t.Error("two masters at once would split the workers")
	}
	probe := d.Spec.Template.Spec.Containers[0].ReadinessProbe.HTTPGet
	if probe == nil || probe.Path != "/api/state" || probe.HTTPHeaders[0].Value != "localhost" {
		t.Errorf("web readiness probe %+v", probe)
	}
	w := m.workers(t).Spec.Template.Spec
	if len(w.TopologySpreadConstraints) != 1 || w.Affinity.PodAntiAffinity == nil {
		t.Error("workers are not spread over nodes by default")
	}
	if a := m.masterPod(t).Annotations; a["prometheus.io/scrape"] != "true" || a["prometheus.io/port"] != "8089" || a["prometheus.io/path"] != "/metrics" {
		t.Errorf("by default Prometheus scrapes the web UI's /metrics: annotations %v", a)
	}
	if c := m.masterPod(t).Spec.Containers[0]; argValue(c.Args, "--metrics-port") != "" || argValue(c.Args, "--otlp-endpoint") != "" {
		t.Errorf("web mode serves /metrics on the UI's port and pushes nothing by default: args %q", c.Args)
	}

	m = render(t, map[string]any{"metrics": map[string]any{"scrape": false, "otlpEndpoint": "http://otel.test:4318"}})
	if c := m.masterPod(t); len(c.Annotations) != 0 || argValue(c.Spec.Containers[0].Args, "--otlp-endpoint") != "http://otel.test:4318" {
		t.Errorf("metrics.scrape false and otlpEndpoint: annotations %v, args %q", c.Annotations, c.Spec.Containers[0].Args)
	}
}

// TestBadValues: values that cannot work, or that the chart does not know
// (a misspelt key), fail the render with a message.
func TestBadValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		values map[string]any
		want   string
	}{
		// values.schema.json
		{map[string]any{"mode": "batch"}, "/mode"},
		{map[string]any{"workers": map[string]any{"replicas": 0}}, "/workers/replicas"},
		{map[string]any{"reports": map[string]any{"volume": "hostPath"}}, "/reports/volume"},
		{map[string]any{"worker": map[string]any{"replicas": 3}}, "worker"}, // misspelt: workers
		{map[string]any{"master": map[string]any{"autoStart": true}}, "autoStart"},
		{map[string]any{"spawnRate": 0}, "/spawnRate"},
		{map[string]any{"master": map[string]any{"webAuth": "no-colon"}}, "/master/webAuth"},
		// the templates
		{map[string]any{"mode": "headless"}, "headless mode needs runTime"},
		{map[string]any{"reports": map[string]any{"reader": map[string]any{"enabled": true}}}, "reports.reader needs reports.volume: pvc"},
	}
	for _, tt := range tests {
		_, err := renderErr(t, tt.values)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: error %v, want %q", tt.values, err, tt.want)
		}
	}
}

// TestStrictDecoderRefusesTypos: the decoder that checks every manifest
// fails on a misspelt or misplaced field, and on a duplicate key.
func TestStrictDecoderRefusesTypos(t *testing.T) {
	t.Parallel()
	good := "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: x\nspec:\n  replicas: 2\n"
	for _, doc := range []string{
		strings.Replace(good, "replicas", "replica", 1),
		strings.Replace(good, "  replicas: 2\n", "  template:\n    spec:\n      containers:\n        - name: a\n          imagePullPolice: Always\n", 1),
		good + "  replicas: 3\n",
	} {
		var m manifests
		if err := m.add(doc); err == nil {
			t.Errorf("accepted:\n%s", doc)
		}
	}
	var m manifests
	if err := m.add(good); err != nil || m.count() != 1 {
		t.Errorf("refused a good manifest: %v", err)
	}
}

// isSubsequence reports whether want appears in list in order.
func isSubsequence(want, list []string) bool {
	i := 0
	for _, s := range list {
		if i < len(want) && s == want[i] {
			i++
		}
	}
	return i == len(want) || slices.Equal(want, nil)
}
