// Package charttest tests herd's Helm chart (deploy/helm/herd) and plain
// manifests (deploy/kustomize) with Helm and kustomize as Go libraries: it
// lints and renders them for several sets of values, decodes every manifest
// strictly into its k8s.io/api type, and runs the rendered master and
// workers as local processes of herd's own binary. It is a module of its
// own, so that herd's module stays small for those who go get it.
package charttest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/yaml"
)

// chartDir is the chart under test; repoRoot is herd's module.
var (
	chartDir = filepath.Join("..", "herd")
	repoRoot = filepath.Join("..", "..", "..")
)

// release is the name the tests install the chart under.
const release = "load"

// loadChart loads the chart from its directory, as helm install does.
func loadChart(t *testing.T) *chart.Chart {
	t.Helper()
	ch, err := loader.Load(chartDir)
	if err != nil {
		t.Fatalf("loading the chart: %v", err)
	}
	return ch
}

// render renders the chart with values over its defaults, as `helm
// template` does, and returns every manifest, decoded strictly.
func render(t *testing.T, values map[string]any) manifests {
	t.Helper()
	out, err := renderErr(t, values)
	if err != nil {
		t.Fatalf("rendering with %v: %v", values, err)
	}
	return out
}

// renderErr is render that returns the chart's error (a fail in a template).
func renderErr(t *testing.T, values map[string]any) (manifests, error) {
	t.Helper()
	ch := loadChart(t)
	vals, err := util.ToRenderValues(ch, values, common.ReleaseOptions{Name: release, Namespace: "herd-test", IsInstall: true}, nil)
	if err != nil {
		return manifests{}, err
	}
	files, err := engine.Render(ch, vals)
	if err != nil {
		return manifests{}, err
	}
	var m manifests
	for _, name := range slices.Sorted(maps.Keys(files)) {
		if strings.HasSuffix(name, ".yaml") { // not NOTES.txt, _helpers.tpl
			m.addAll(t, name, files[name])
		}
	}
	return m, nil
}

// addAll decodes every document of a YAML stream, failing t on any error.
func (m *manifests) addAll(t *testing.T, source, stream string) {
	t.Helper()
	for _, doc := range splitYAML(stream) {
		if err := m.add(doc); err != nil {
			t.Fatalf("%s: %v\n%s", source, err, doc)
		}
	}
}

// splitYAML splits a stream of YAML documents, dropping empty ones.
func splitYAML(s string) []string {
	var docs []string
	for _, doc := range strings.Split("\n"+s, "\n---") {
		if strings.TrimSpace(stripComments(doc)) != "" {
			docs = append(docs, doc)
		}
	}
	return docs
}

func stripComments(doc string) string {
	var b strings.Builder
	for _, line := range strings.Split(doc, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(line), "#") {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// manifests are the objects a chart or kustomization produced, each
// decoded into its k8s.io/api type.
type manifests struct {
	deployments []*appsv1.Deployment
	jobs        []*batchv1.Job
	services    []*corev1.Service
	secrets     []*corev1.Secret
	claims      []*corev1.PersistentVolumeClaim
	pods        []*corev1.Pod
	configMaps  []*corev1.ConfigMap
}

// add decodes one YAML document strictly by its apiVersion and kind.
func (m *manifests) add(doc string) error {
	var head struct {
		APIVersion string `json:"apiVersion"`
		Kind       string `json:"kind"`
	}
	if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
		return err
	}
	var err error
	switch head.APIVersion + " " + head.Kind {
	case "apps/v1 Deployment":
		m.deployments, err = decodeAppend(doc, m.deployments)
	case "batch/v1 Job":
		m.jobs, err = decodeAppend(doc, m.jobs)
	case "v1 Service":
		m.services, err = decodeAppend(doc, m.services)
	case "v1 Secret":
		m.secrets, err = decodeAppend(doc, m.secrets)
	case "v1 PersistentVolumeClaim":
		m.claims, err = decodeAppend(doc, m.claims)
	case "v1 Pod":
		m.pods, err = decodeAppend(doc, m.pods)
	case "v1 ConfigMap":
		m.configMaps, err = decodeAppend(doc, m.configMaps)
	default:
		err = fmt.Errorf("unexpected kind %q %q", head.APIVersion, head.Kind)
	}
	return err
}

func decodeAppend[T any](doc string, list []*T) ([]*T, error) {
	v := new(T)
	if err := decodeStrict(doc, v); err != nil {
		return list, err
	}
	return append(list, v), nil
}

// decodeStrict decodes a YAML manifest into v, failing on a field v's type
// does not have (a misspelt or misplaced one) and on duplicate keys.
func decodeStrict(doc string, v any) error {
	js, err := yaml.YAMLToJSONStrict([]byte(doc))
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(js))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("strict decoding: %w", err)
	}
	return nil
}

// count is how many objects m holds.
func (m manifests) count() int {
	return len(m.deployments) + len(m.jobs) + len(m.services) + len(m.secrets) + len(m.claims) + len(m.pods) + len(m.configMaps)
}

// deployment returns the Deployment named name, failing if there is none.
func (m manifests) deployment(t *testing.T, name string) *appsv1.Deployment {
	t.Helper()
	for _, d := range m.deployments {
		if d.Name == name {
			return d
		}
	}
	t.Fatalf("no Deployment %q", name)
	return nil
}

// masterPod is the master's pod template (a Deployment's or a Job's).
func (m manifests) masterPod(t *testing.T) corev1.PodTemplateSpec {
	t.Helper()
	for _, j := range m.jobs {
		if strings.HasSuffix(j.Name, "-master") {
			return j.Spec.Template
		}
	}
	for _, d := range m.deployments {
		if strings.HasSuffix(d.Name, "-master") {
			return d.Spec.Template
		}
	}
	t.Fatal("no master Deployment or Job")
	return corev1.PodTemplateSpec{}
}

// workers is the workers' Deployment.
func (m manifests) workers(t *testing.T) *appsv1.Deployment {
	t.Helper()
	for _, d := range m.deployments {
		if strings.HasSuffix(d.Name, "-worker") {
			return d
		}
	}
	t.Fatal("no worker Deployment")
	return nil
}

// argValue is the value following flag in args ("" if absent).
func argValue(args []string, flag string) string {
	for i, a := range args {
		if a == flag && i+1 < len(args) {
			return args[i+1]
		}
		if v, ok := strings.CutPrefix(a, flag+"="); ok {
			return v
		}
	}
	return ""
}
