//go:build unix

package charttest

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	corev1 "k8s.io/api/core/v1"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// kustomizeDir holds the plain manifests for kubectl apply -k.
var kustomizeDir = filepath.Join(repoRoot, "deploy", "kustomize")

// kustomize builds a kustomization as `kubectl apply -k DIR` would and
// decodes every object strictly.
func kustomize(t *testing.T, dir string) manifests {
	t.Helper()
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	res, err := k.Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("kustomize %s: %v", dir, err)
	}
	out, err := res.AsYaml()
	if err != nil {
		t.Fatal(err)
	}
	var m manifests
	m.addAll(t, dir, string(out))
	return m
}

// TestKustomizeStrict builds both modes: every object decodes strictly and
// the pieces fit together as the chart's do.
func TestKustomizeStrict(t *testing.T) {
	t.Parallel()
	for _, mode := range []string{"web", "headless"} {
		t.Run(mode, func(t *testing.T) {
			t.Parallel()
			m := kustomize(t, filepath.Join(kustomizeDir, mode))
			checkWiring(t, m)
			if mode == "headless" && len(m.jobs) != 1 {
				t.Errorf("headless: %d Jobs", len(m.jobs))
			}
			// The overlay's image and options reach the base's objects too,
			// and the image is the release the chart runs by default.
			want := "herd:" + loadChart(t).Metadata.AppVersion
			pods := []corev1.PodSpec{m.masterPod(t).Spec, m.workers(t).Spec.Template.Spec}
			for _, p := range pods {
				if img := p.Containers[0].Image; img != want {
					t.Errorf("container %s runs image %q, want %q (the chart's appVersion)", p.Containers[0].Name, img, want)
				}
			}
			if len(m.configMaps) != 1 || m.masterPod(t).Spec.Containers[0].EnvFrom[0].ConfigMapRef.Name != m.configMaps[0].Name {
				t.Error("the master does not read the generated options ConfigMap")
			}
		})
	}
}

// TestKustomizeRunsHeadless runs the headless manifests through an overlay
// of the kind a user writes (the options' ConfigMap merged with a host, a
// short run and a failing threshold), as local processes: the Job's exit
// code is the test's, and the report counts what the target received.
func TestKustomizeRunsHeadless(t *testing.T) {
	t.Parallel()
	target, seen := countingTarget(t, 0)
	overlay := t.TempDir()
	abs, err := filepath.Abs(filepath.Join(kustomizeDir, "headless"))
	if err != nil {
		t.Fatal(err)
	}
	base, err := filepath.Rel(overlay, abs) // kustomize refuses absolute paths
	if err != nil {
		t.Fatal(err)
	}
	kust := fmt.Sprintf(`resources:
  - %s
configMapGenerator:
  - name: herd-options
    behavior: merge
    literals:
      - HERD_HOST=%s
      - HERD_USERS=6
      - HERD_SPAWN_RATE=100
      - HERD_RUN_TIME=3s
      - HERD_THRESHOLD=requests<1
`, base, target.URL)
	if err := os.WriteFile(filepath.Join(overlay, "kustomization.yaml"), []byte(kust), 0o644); err != nil {
		t.Fatal(err)
	}
	m := kustomize(t, overlay)
	checkWiring(t, m)
	c := runCluster(t, m)
	if code := c.waitMaster(t); code != 4 {
		t.Errorf("the Job's exit code is %d, want 4 (a threshold failed)\n%s", code, c.master.log.String())
	}
	c.waitWorkers(t)
	c.checkReport(t, seen, false)
}
