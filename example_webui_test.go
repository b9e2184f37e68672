package herd_test

import (
	"encoding/json"
	"net/http"
	"sync"

	"github.com/herdload/herd"
)

// A test adds a route and a tab to the web UI: the tab "Bytes" shows the
// page /bytes/, whose script (served under /bytes/ too) fetches the bytes
// received per endpoint from /bytes.json. The handlers sit behind the UI's
// base path, auth and TLS; examples/locust/extend_web_ui is a whole page.
func ExampleWebUI() {
	var mu sync.Mutex
	received := map[string]int64{}

	test := &herd.Test{Users: []*herd.UserType{{Name: "Visitor", New: func() herd.User { return new(visitor) }}}}
	test.Events.OnRequest(func(r herd.Request) {
		mu.Lock()
		received[r.Name] += r.Size
		mu.Unlock()
	})
	test.WebUI = herd.WebUI{
		Handlers: map[string]http.Handler{
			"/bytes.json": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				// The run is at hand: herd.NodeFrom(r.Context()).Stats(), .Workers(), …
				mu.Lock()
				defer mu.Unlock()
				w.Header().Set("Content-Type", "application/json")
				json.NewEncoder(w).Encode(received)
			}),
			"/bytes/": http.FileServer(http.Dir("static")), // static/bytes/index.html and bytes.js
		},
		Tabs: []herd.WebTab{{Title: "Bytes", Path: "/bytes/"}},
	}
	herd.Main(test)
}
