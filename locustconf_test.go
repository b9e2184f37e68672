package herd_test

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"

	"github.com/herdload/herd"
)

// TestLocustConfWithLocustfile: a locust.conf naming its locustfile runs,
// and the log says the key was ignored.
func TestLocustConfWithLocustfile(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "locust.conf")
	if err := os.WriteFile(path, []byte("locustfile = locustfile.py\nheadless = true\nusers = 1\nrun-time = 1s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	synctest.Test(t, func(t *testing.T) {
		var stderr bytes.Buffer
		res, err := newOptionTest().test.Execute(context.Background(), herd.Env{Stderr: &stderr, Args: []string{"--config", path}})
		if err != nil || res.ExitCode != herd.ExitOK {
			t.Fatalf("Execute = %+v, %v\n%s", res, err, stderr.String())
		}
		if want := `ignoring Locust's key \"locustfile\"`; !strings.Contains(stderr.String(), want) {
			t.Errorf("the log lacks %s:\n%s", want, stderr.String())
		}
	})
}
