package web

import (
	"embed"
	"io/fs"
)

// The web UI is built from web/ui (Preact + uPlot, bundled by esbuild) into
// dist/, which is committed so that building herd needs only Go. After
// changing web/ui, rebuild it (Node.js and npm needed) with
//
//	go generate ./internal/web
//
// and commit dist/ with the change; bundle_test.go fails while dist/ is
// stale (dist/SOURCE_HASH is the hash of the sources it was built from).
//
//go:generate sh -c "cd ../../web/ui && npm ci --no-audit --no-fund && npm run build"

//go:embed dist
var dist embed.FS

// Assets is the built web UI: index.html, app.js and app.css at its root.
// Serve it as is: every URL in it is relative to the page.
func Assets() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic("web: embedded UI: " + err.Error()) // cannot happen: dist is embedded
	}
	return sub
}
