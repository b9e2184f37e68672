package herd_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/herdload/herd"
)

// webUITest is pingTest with a page and a tab of its own; the page says
// which role the node in its request's context has.
func webUITest() *herd.Test {
	test := pingTest()
	test.WebUI = herd.WebUI{
		Handlers: map[string]http.Handler{
			"/mine/": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n := herd.NodeFrom(r.Context())
				fmt.Fprintf(w, "path %s role %s state %s", r.URL.Path, n.Role(), n.State())
			}),
		},
		Tabs: []herd.WebTab{{Title: "Mine", Path: "/mine/"}},
	}
	return test
}

func getText(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestWebUIExtension: the test's handlers answer under the base path, on
// a process on its own and on a master, with the run's node in their
// context, and its tab is in /api/state.
func TestWebUIExtension(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		name string
		args []string
		role herd.Role
	}{
		{"standalone", []string{"--web-base-path", "/x"}, herd.Standalone},
		{"master", []string{"--web-base-path", "/x", "--master", "--master-bind-host", "127.0.0.1", "--master-bind-port", "0"}, herd.Master},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base, stop, stderr := startUI(t, webUITest(), tt.args...)
			if !strings.HasSuffix(base, "/x/") {
				t.Fatalf("UI at %s, want it under /x/", base)
			}
			code, body := getText(t, base+"mine/page")
			if want := fmt.Sprintf("path /mine/page role %s state ready", tt.role); code != 200 || body != want {
				t.Errorf("GET mine/page: %d %q, want %q", code, body, want)
			}
			var state struct {
				Tabs []struct{ Title, URL string } `json:"tabs"`
			}
			getJSON(t, base+"api/state", &state)
			if len(state.Tabs) != 1 || state.Tabs[0].Title != "Mine" || state.Tabs[0].URL != "mine/" {
				t.Errorf("tabs in /api/state: %+v", state.Tabs)
			}
			if code := stop(); code != 0 {
				t.Fatalf("exit code %d:\n%s", code, stderr)
			}
		})
	}
}

// TestWebUIExtensionShadowing: a handler at one of herd's paths stops the
// program with exit code 2 and says why, before any test runs.
func TestWebUIExtensionShadowing(t *testing.T) {
	t.Parallel()
	test := pingTest()
	test.WebUI.Handlers = map[string]http.Handler{"/stats/content-length": http.NotFoundHandler()}
	stderr := new(syncBuffer)
	code := mainRun(test, context.Background(), herd.Env{Args: []string{"--web-host", "127.0.0.1", "-P", "0"}, Stderr: stderr, Stdout: stderr})
	if code != herd.ExitConfig || !strings.Contains(stderr.String(), `web UI route "/stats/content-length" would shadow herd's "/stats/"`) {
		t.Fatalf("exit code %d:\n%s", code, stderr)
	}
}
