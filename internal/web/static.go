package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"
	"time"
)

// staticFiles serves the built UI from an fs.FS, which never changes while
// the server runs (it is embedded in the binary).
type staticFiles struct {
	fsys  fs.FS
	etags sync.Map // file name → strong ETag of its content
}

func newStaticFiles(fsys fs.FS) *staticFiles { return &staticFiles{fsys: fsys} }

// Cache-Control values: index.html (and any file whose name carries no
// content hash) is revalidated on every load, so a new build shows at once;
// a hashed file never changes under its name.
const (
	cacheRevalidate = "no-cache"
	cacheImmutable  = "public, max-age=31536000, immutable"
)

// serve answers the file at name (a path relative to the UI's root, without
// leading slash; "" is index.html). Directories, dot files and missing files
// are not found.
func (f *staticFiles) serve(w http.ResponseWriter, r *http.Request, name string) {
	if name == "" {
		name = "index.html"
	}
	if f.fsys == nil || !fs.ValidPath(name) || hidden(name) {
		http.NotFound(w, r)
		return
	}
	data, err := fs.ReadFile(f.fsys, name)
	if err != nil { // missing, or a directory
		http.NotFound(w, r)
		return
	}
	h := w.Header()
	if hashedName(name) {
		h.Set("Cache-Control", cacheImmutable)
	} else {
		h.Set("Cache-Control", cacheRevalidate)
	}
	h.Set("ETag", f.etag(name, data))
	// The content type follows the extension; ServeContent handles
	// If-None-Match (304) and ranges.
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(data))
}

// etag is the strong ETag of name's content, computed once.
func (f *staticFiles) etag(name string, data []byte) string {
	if v, ok := f.etags.Load(name); ok {
		return v.(string)
	}
	sum := sha256.Sum256(data)
	tag := `"` + hex.EncodeToString(sum[:12]) + `"`
	f.etags.Store(name, tag)
	return tag
}

// hidden reports whether a path element of name starts with a dot
// (.vite/manifest.json and the like are build metadata, not the UI).
func hidden(name string) bool {
	for el := range strings.SplitSeq(name, "/") {
		if strings.HasPrefix(el, ".") {
			return true
		}
	}
	return false
}

// hashedName reports whether a file name carries a content hash, as bundlers
// name their output: "index-BdC3x9aZ.js", "app.3f9a2b1c.css",
// "chunk-5e1f0a2b9c.mjs". The hash is the last "-" or "." separated part
// before the extension: 8 to 64 characters of [A-Za-z0-9_] holding a digit,
// or both upper and lower case letters, so that words ("datepicker") are
// not mistaken for hashes.
func hashedName(name string) bool {
	base := path.Base(name)
	ext := path.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	i := strings.LastIndexAny(stem, "-.")
	if ext == "" || i <= 0 {
		return false
	}
	hash := stem[i+1:]
	if len(hash) < 8 || len(hash) > 64 {
		return false
	}
	var digit, upper, lower bool
	for _, c := range []byte(hash) {
		switch {
		case c >= '0' && c <= '9':
			digit = true
		case c >= 'A' && c <= 'Z':
			upper = true
		case c >= 'a' && c <= 'z':
			lower = true
		case c == '_':
		default:
			return false
		}
	}
	return digit || (upper && lower)
}
