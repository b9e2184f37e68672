package herd_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/herdload/herd"
)

// hiddenOptionTest has a shown option and a hidden one, and records the
// values its worker's task reads.
func hiddenOptionTest(seen *sync.Map) *herd.Test {
	test := &herd.Test{}
	shown := test.Options.String("shown", "a", "Shown in the start form")
	secret := test.Options.String("secret", "none", "Kept out of the web UI").HideFromWebUI()
	test.Users = []*herd.UserType{{Name: "Reader", Wait: herd.Constant(50 * time.Millisecond), New: func() herd.User {
		return herd.TaskList(func() []herd.Task {
			return []herd.Task{{Run: func(ctx context.Context) error {
				seen.Store(herd.NodeFrom(ctx).Role(), shown.Get(ctx)+" "+secret.Get(ctx))
				return nil
			}}}
		})
	}}}
	return test
}

// TestOptionHiddenFromWebUI: an option hidden from the web UI is not in
// /api/state's extra_options and /swarm cannot change it, but its flag
// sets it, --help lists it, and the master sends it to its workers.
func TestOptionHiddenFromWebUI(t *testing.T) {
	t.Parallel()
	var seen sync.Map
	base, stop, stderr := startUI(t, hiddenOptionTest(&seen), "--secret", "s3cr3t",
		"--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", "0")
	var state struct {
		Extra []struct{ Name string } `json:"extra_options"`
	}
	getJSON(t, base+"api/state", &state)
	if len(state.Extra) != 1 || state.Extra[0].Name != "shown" {
		t.Fatalf("extra_options = %+v, want shown alone", state.Extra)
	}
	port := loggedMasterPort(t, stderr)
	stopWorker := startWorker(hiddenOptionTest(&seen), port)
	defer stopWorker()
	poll(t, "the worker", func() bool {
		var st struct {
			WorkerCount int `json:"worker_count"`
		}
		getJSON(t, base+"api/state", &st)
		return st.WorkerCount == 1
	})
	resp, err := http.PostForm(base+"swarm", url.Values{"user_count": {"1"}, "spawn_rate": {"10"}, "shown": {"b"}, "secret": {"from-form"}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("swarm: %s", resp.Status)
	}
	poll(t, "the worker's task", func() bool {
		v, _ := seen.Load(herd.Worker)
		return v != nil
	})
	if v, _ := seen.Load(herd.Worker); v != "b s3cr3t" {
		t.Errorf("the worker read %q, want the form's shown option and the flag's hidden one", v)
	}
	stopWorker()
	if code := stop(); code != 0 {
		t.Errorf("exit code %d\n%s", code, stderr)
	}

	_, help, _ := runTest(t, context.Background(), hiddenOptionTest(&seen), "--help")
	if !strings.Contains(help, "--secret") {
		t.Errorf("--help does not list the hidden option:\n%s", help)
	}
}
