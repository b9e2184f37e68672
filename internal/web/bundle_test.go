package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// uiSourceDir is the web UI's source (web/ui), relative to this package.
var uiSourceDir = filepath.Join("..", "..", "web", "ui")

// uiSourceHash recomputes dist/SOURCE_HASH as web/ui/build.mjs does: the
// SHA-256 of "<path>\n<hex sha256 of the content>\n" for every file under
// src/ plus package.json, package-lock.json and build.mjs, sorted by path
// relative to web/ui with "/" separators, CRLF read as LF.
func uiSourceHash(dir string) (string, error) {
	var files []string
	err := filepath.WalkDir(filepath.Join(dir, "src"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			rel, err := filepath.Rel(dir, p)
			if err != nil {
				return err
			}
			files = append(files, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	files = append(files, "package.json", "package-lock.json", "build.mjs")
	sort.Strings(files)
	h := sha256.New()
	for _, rel := range files {
		b, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(rel)))
		if err != nil {
			return "", err
		}
		sum := sha256.Sum256(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")))
		fmt.Fprintf(h, "%s\n%x\n", rel, sum)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// TestBundleFresh fails when internal/web/dist was not rebuilt after a
// change to web/ui. It needs only Go.
func TestBundleFresh(t *testing.T) {
	if _, err := os.Stat(filepath.Join(uiSourceDir, "package.json")); err != nil {
		t.Skipf("no web UI sources here (%v)", err)
	}
	want, err := uiSourceHash(uiSourceDir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := fs.ReadFile(Assets(), "SOURCE_HASH")
	if err != nil {
		t.Fatalf("dist has no SOURCE_HASH: %v", err)
	}
	if strings.TrimSpace(string(got)) != want {
		t.Fatalf("internal/web/dist is stale: it was built from other sources than web/ui has now.\n" +
			"Rebuild it (needs Node.js and npm) with `go generate ./internal/web` and commit internal/web/dist.")
	}
}

// TestBundleFiles: the embedded UI has its three files at the root.
func TestBundleFiles(t *testing.T) {
	for _, name := range []string{"index.html", "app.js", "app.css"} {
		b, err := fs.ReadFile(Assets(), name)
		if err != nil {
			t.Errorf("Assets() lacks %s: %v", name, err)
			continue
		}
		if len(b) < 100 {
			t.Errorf("%s is only %d bytes", name, len(b))
		}
	}
}

var (
	uiAttrURL = regexp.MustCompile(`(?i)\s(?:src|href|action|srcset|poster|data)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)`)
	uiCSSURL  = regexp.MustCompile(`(?i)url\(\s*("[^"]*"|'[^']*'|[^)]*)\s*\)|@import`)
)

// TestBundleRelativeURLs: index.html loads only app.js and app.css, by
// relative URLs (so the UI works under any --web-base-path), and the
// stylesheet loads nothing (no fonts, no CDN).
func TestBundleRelativeURLs(t *testing.T) {
	index, err := fs.ReadFile(Assets(), "index.html")
	if err != nil {
		t.Fatal(err)
	}
	var refs []string
	for _, m := range uiAttrURL.FindAllStringSubmatch(string(index), -1) {
		v := strings.Trim(m[1], `"'`)
		if strings.HasPrefix(v, "data:") {
			continue
		}
		if strings.HasPrefix(v, "/") || strings.HasPrefix(v, "\\") || strings.Contains(v, ":") {
			t.Errorf("index.html references %q: not a relative same-origin URL", v)
		}
		refs = append(refs, v)
	}
	sort.Strings(refs)
	if strings.Join(refs, " ") != "app.css app.js" {
		t.Errorf("index.html references %q, want app.css and app.js", refs)
	}
	css, err := fs.ReadFile(Assets(), "app.css")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range uiCSSURL.FindAllStringSubmatch(string(css), -1) {
		if !strings.HasPrefix(strings.Trim(m[1], `"' `), "data:") {
			t.Errorf("app.css loads %q", m[0])
		}
	}
}

// TestBundleSourcesInjectNoHTML: the UI renders data as text nodes only.
func TestBundleSourcesInjectNoHTML(t *testing.T) {
	src := filepath.Join(uiSourceDir, "src")
	if _, err := os.Stat(src); err != nil {
		t.Skipf("no web UI sources here (%v)", err)
	}
	banned := regexp.MustCompile(`dangerouslySetInnerHTML|\.innerHTML|\.outerHTML|insertAdjacentHTML|document\.write|\beval\(|new Function\(`)
	filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if banned.MatchString(line) {
				t.Errorf("%s:%d injects markup or code: %s", p, i+1, strings.TrimSpace(line))
			}
		}
		return nil
	})
}
