package har

import (
	"net/url"
	"path"
	"slices"
	"strings"
)

// Options choose what of a recording the program replays.
type Options struct {
	// KeepStatic keeps static assets (images, stylesheets, scripts, fonts,
	// media), which are left out by default: a browser caches them, and
	// they are rarely what a load test is about.
	KeepStatic bool
	// KeepHosts keeps the requests to these hosts ("cdn.example.com" or
	// "cdn.example.com:8443") besides the recording's own host.
	KeepHosts []string
	// AllHosts keeps the requests to every host.
	AllHosts bool
	// Source names the HAR file in the program's comment ("shop.har").
	Source string
}

// skip is why an entry is left out; "" keeps it.
type skip string

const (
	keep       skip = ""
	skipStatic skip = "static"     // an image, stylesheet, script, font or media file
	skipHost   skip = "host"       // another host than the recording's own
	skipScheme skip = "scheme"     // not http or https (data:, blob:, ws:, extensions)
	skipNoResp skip = "unanswered" // no response was recorded (cancelled, blocked)
	skipNoise  skip = "browser"    // a CORS preflight, or a request a redirect led to
)

// site is the recording's own host: the host of the first page's first
// request (the page the recording started on).
func site(entries []*Entry) string {
	for _, e := range entries {
		if u, err := url.Parse(e.Request.URL); err == nil && isHTTP(u.Scheme) {
			return strings.ToLower(u.Host)
		}
	}
	return ""
}

func isHTTP(scheme string) bool {
	return strings.EqualFold(scheme, "http") || strings.EqualFold(scheme, "https")
}

// filter decides, for entries in time order, which ones are replayed.
func filter(entries []*Entry, host string, o Options) []skip {
	out := make([]skip, len(entries))
	redirected := map[string]bool{} // where recorded redirects pointed
	for i, e := range entries {
		out[i] = classify(e, host, o, redirected)
		if loc := redirectTarget(e); loc != "" {
			redirected[loc] = true
		}
	}
	return out
}

func classify(e *Entry, host string, o Options, redirected map[string]bool) skip {
	u, err := url.Parse(e.Request.URL)
	switch {
	case err != nil || !isHTTP(u.Scheme) || u.Host == "":
		return skipScheme
	case e.Response.Status == 0:
		return skipNoResp
	case isPreflight(e):
		return skipNoise
	case strings.EqualFold(e.Request.Method, "GET") && redirected[u.String()]:
		return skipNoise // the session follows the redirect by itself
	case !o.AllHosts && !strings.EqualFold(u.Host, host) && !keptHost(u, o.KeepHosts):
		return skipHost
	case !o.KeepStatic && isStatic(e, u):
		return skipStatic
	}
	return keep
}

// redirectTarget is the absolute URL a redirect response pointed to.
func redirectTarget(e *Entry) string {
	if e.Response.Status < 300 || e.Response.Status > 399 {
		return ""
	}
	loc := e.Response.RedirectURL
	if loc == "" {
		loc = header(e.Response.Headers, "Location")
	}
	if loc == "" {
		return ""
	}
	base, err := url.Parse(e.Request.URL)
	if err != nil {
		return ""
	}
	ref, err := url.Parse(loc)
	if err != nil {
		return ""
	}
	return base.ResolveReference(ref).String()
}

func isPreflight(e *Entry) bool {
	return strings.EqualFold(e.Request.Method, "OPTIONS") && header(e.Request.Headers, "Access-Control-Request-Method") != ""
}

func keptHost(u *url.URL, hosts []string) bool {
	return slices.ContainsFunc(hosts, func(h string) bool {
		return strings.EqualFold(h, u.Host) || strings.EqualFold(h, u.Hostname())
	})
}

// staticTypes are the MIME type prefixes of static assets.
var staticTypes = []string{
	"image/", "font/", "audio/", "video/", "text/css",
	"text/javascript", "application/javascript", "application/x-javascript", "application/ecmascript",
	"application/font-", "application/x-font-", "application/vnd.ms-fontobject",
}

// staticExts are the file extensions of static assets.
var staticExts = []string{
	".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif", ".svg", ".ico", ".bmp",
	".css", ".js", ".mjs", ".map",
	".woff", ".woff2", ".ttf", ".otf", ".eot",
	".mp4", ".webm", ".mp3", ".ogg", ".wav",
}

// staticKinds are Chromium's resource types of static assets.
var staticKinds = []string{"image", "stylesheet", "script", "font", "media"}

// isStatic reports whether an entry is a static asset: by its response's
// MIME type, its URL's extension, or Chromium's resource type.
func isStatic(e *Entry, u *url.URL) bool {
	mime := strings.ToLower(strings.TrimSpace(e.Response.Content.MimeType))
	if slices.ContainsFunc(staticTypes, func(p string) bool { return strings.HasPrefix(mime, p) }) {
		return true
	}
	if slices.Contains(staticExts, strings.ToLower(path.Ext(u.Path))) {
		return true
	}
	return slices.Contains(staticKinds, e.ResourceType)
}

// header returns the first value of a header, by name in any case.
func header(h []NameValue, name string) string {
	for _, nv := range h {
		if strings.EqualFold(nv.Name, name) {
			return nv.Value
		}
	}
	return ""
}

// Replay is a request a generated program makes: its method and URL as
// the program sends it (a path and query on the recording's host, an
// absolute URL on another), which is also its statistics row.
type Replay struct{ Method, URL string }

// Replayed lists the requests the program Generate writes for h makes, in
// the order of one pass over the recording.
func Replayed(h *HAR, o Options) []Replay {
	entries := byTime(h)
	pages := group(h, entries)
	if len(pages) == 0 {
		return nil
	}
	host := site(pages[0].entries)
	if host == "" {
		host = site(entries)
	}
	skips := filter(entries, host, o)
	kept := map[*Entry]bool{}
	for i, e := range entries {
		kept[e] = skips[i] == keep
	}
	var out []Replay
	for _, p := range pages {
		for _, e := range p.entries {
			if kept[e] {
				c := newCall(e, host)
				out = append(out, Replay{c.method, c.url})
			}
		}
	}
	return out
}
