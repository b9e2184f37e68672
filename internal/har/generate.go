package har

import (
	"bytes"
	"errors"
	"fmt"
	"go/format"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Generate writes the herd test program that replays a recording: one
// task per page, in the recorded order, with the recorded pauses between
// them. The source is gofmt'd, compiles against herd and runs as it is.
func Generate(h *HAR, o Options) ([]byte, error) {
	entries := byTime(h)
	pages := group(h, entries)
	if len(pages) == 0 {
		return nil, errors.New("har: the recording has no requests")
	}
	host := site(pages[0].entries)
	if host == "" {
		host = site(entries)
	}
	if host == "" {
		return nil, errors.New("har: the recording has no http or https request")
	}
	origin := originOf(pages, host)
	skips := filter(entries, host, o)
	why := make(map[*Entry]skip, len(entries))
	for i, e := range entries {
		why[e] = skips[i]
	}

	// Follow values through the whole recording, replayed or not.
	t := newTracer()
	calls := map[*Entry]*call{}
	flags := map[*Entry][]marked{}
	for _, e := range entries {
		c := newCall(e, host)
		if why[e] == keep {
			calls[e] = c
			flags[e] = t.flags(c)
		} else {
			t.sent(c)
		}
		t.answered(e)
	}
	for _, p := range pages {
		for _, e := range p.entries {
			if why[e] == keep {
				p.kept = append(p.kept, e)
			}
		}
	}
	replayed := slices.DeleteFunc(slices.Clone(pages), func(p *page) bool { return len(p.kept) == 0 })
	if len(replayed) == 0 {
		return nil, fmt.Errorf("har: all %d requests are left out (%s); see --keep-static, --keep-host, --all-hosts", len(entries), leftOut(entries, why, host))
	}
	pageOf := map[*Entry]int{}
	for i, p := range replayed {
		for _, e := range p.entries {
			pageOf[e] = i + 1
		}
	}

	g := &gen{calls: calls, flags: flags, pageOf: pageOf, host: host}
	g.header(h, o, replayed, origin, entries, why)
	g.user(replayed)
	g.pauses(replayed)
	for i, p := range replayed {
		g.page(i+1, p)
	}
	g.main(origin)
	src, err := format.Source(g.assemble())
	if err != nil {
		return nil, fmt.Errorf("har: the generated program does not parse (a bug): %w", err)
	}
	return src, nil
}

// originOf is the base URL of the recording's host: scheme and host of its
// first request there.
func originOf(pages []*page, host string) string {
	for _, p := range pages {
		for _, e := range p.entries {
			if u, err := url.Parse(e.Request.URL); err == nil && isHTTP(u.Scheme) && strings.EqualFold(u.Host, host) {
				return strings.ToLower(u.Scheme) + "://" + u.Host
			}
		}
	}
	return "http://" + host
}

// gen accumulates the program's parts.
type gen struct {
	calls  map[*Entry]*call
	flags  map[*Entry][]marked
	pageOf map[*Entry]int
	host   string

	body    bytes.Buffer
	imports map[string]bool
}

func (g *gen) use(pkg string) {
	if g.imports == nil {
		g.imports = map[string]bool{}
	}
	g.imports[pkg] = true
}

func (g *gen) printf(format string, args ...any) { fmt.Fprintf(&g.body, format, args...) }

// assemble puts the package clause and imports before the body.
func (g *gen) assemble() []byte {
	var out bytes.Buffer
	head, rest, _ := bytes.Cut(g.body.Bytes(), []byte("\x00"))
	out.Write(head)
	out.WriteString("package main\n\nimport (\n")
	std, other := []string{}, []string{}
	for pkg := range g.imports {
		if strings.Contains(pkg, ".") {
			other = append(other, pkg)
		} else {
			std = append(std, pkg)
		}
	}
	slices.Sort(std)
	slices.Sort(other)
	for _, p := range std {
		fmt.Fprintf(&out, "\t%q\n", p)
	}
	out.WriteString("\n")
	for _, p := range other {
		fmt.Fprintf(&out, "\t%q\n", p)
	}
	out.WriteString(")\n")
	out.Write(rest)
	return out.Bytes()
}

// header is the program's doc comment: what was recorded, what is
// replayed and what was left out.
func (g *gen) header(h *HAR, o Options, pages []*page, origin string, entries []*Entry, why map[*Entry]skip) {
	n := 0
	for _, p := range pages {
		n += len(p.kept)
	}
	src := "a HAR recording"
	if o.Source != "" {
		src = o.Source
	}
	if c := h.Log.Creator; c.Name != "" {
		src += " (recorded with " + strings.TrimSpace(c.Name+" "+c.Version) + ")"
	}
	intro := fmt.Sprintf("Command recorded is a herd load test that `herd har` wrote from %s: %s, %s to %s, replayed in the recorded order with the recorded pauses.",
		src, plural(len(pages), "page"), plural(n, "request"), origin)
	if left := leftOut(entries, why, g.host); left != "" {
		intro += " Left out: " + left + "."
	}
	g.comment("", intro)
	g.printf("//\n// Run it against the recorded host, or another one with -H:\n//\n")
	g.printf("//\tgo run . --headless -u 10 -r 2 -t 1m\n//\tgo run . --headless -u 10 -r 2 -t 1m -H %s\n//\n", sanitize(origin, 100))
	g.comment("", `Cookies are left to the session, which keeps what the server sets. Values marked "dynamic:" are replayed as recorded: a real test extracts them from the responses that issue them.`)
	g.printf("\x00")
	g.use("context")
	g.use("time")
	g.use("github.com/herdload/herd")
}

// leftOut says what the filter left out, with the flags that keep it.
func leftOut(entries []*Entry, why map[*Entry]skip, host string) string {
	count := map[skip]int{}
	var hosts []string
	for _, e := range entries {
		s := why[e]
		count[s]++
		if s == skipHost {
			if u, err := url.Parse(e.Request.URL); err == nil && !slices.Contains(hosts, u.Host) {
				hosts = append(hosts, u.Host)
			}
		}
	}
	var parts []string
	if n := count[skipStatic]; n > 0 {
		parts = append(parts, plural(n, "static asset")+" (--keep-static)")
	}
	if n := count[skipHost]; n > 0 {
		slices.Sort(hosts)
		list := hosts
		if len(list) > 4 {
			list = append(slices.Clip(list[:4]), "…")
		}
		parts = append(parts, fmt.Sprintf("%s to other hosts than %s: %s (--keep-host, --all-hosts)", plural(n, "request"), host, strings.Join(list, ", ")))
	}
	if n := count[skipNoise]; n > 0 {
		parts = append(parts, plural(n, "CORS preflight or followed redirect")+" (the client makes them)")
	}
	if n := count[skipNoResp]; n > 0 {
		parts = append(parts, plural(n, "request")+" without a response")
	}
	if n := count[skipScheme]; n > 0 {
		parts = append(parts, plural(n, "non-HTTP request")+" (data:, blob:, ws:, extensions)")
	}
	return strings.Join(parts, ", ")
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	if strings.HasSuffix(what, "s") {
		return fmt.Sprintf("%d %ses", n, what)
	}
	return fmt.Sprintf("%d %ss", n, what)
}

// user writes the user type and its task list.
func (g *gen) user(pages []*page) {
	g.printf(`
// Recorded replays the recording: each page is a task, run in order.
type Recorded struct {
	herd.HTTPUser
	paused int // pauses taken so far, to pick the next one
}

func (u *Recorded) Tasks() []herd.Task {
	return []herd.Task{{Name: "recording", Set: &herd.TaskSet{
		Sequential: true,
		Wait:       u.pause,
		Tasks: []herd.Task{
`)
	for i, p := range pages {
		g.printf("\t\t\t{Name: %s, Run: u.page%d},\n", strconv.Quote(fmt.Sprintf("page %d: %s", i+1, g.title(p))), i+1)
	}
	g.printf("\t\t},\n\t}}}\n}\n")
}

// title names a page: its recorded title, else its first replayed request.
func (g *gen) title(p *page) string {
	t := strings.TrimSpace(p.title)
	if t == "" || strings.Contains(t, "://") {
		c := g.calls[p.kept[0]]
		t = c.method + " " + c.url
	}
	return sanitize(t, 60)
}

// pauses writes the recorded pauses and the wait that walks them.
func (g *gen) pauses(pages []*page) {
	d := pauses(pages)
	g.printf("\n// pauses are the recorded pauses after each page; the last one, before the\n// recording starts over, is their mean.\nvar pauses = []time.Duration{\n")
	for i, p := range d {
		after := fmt.Sprintf("after page %d", i+1)
		if i == len(d)-1 {
			after += ", before page 1 again"
		}
		g.printf("\t%s, // %s\n", duration(p), after)
	}
	g.printf(`}

// pause is the pause after the page that just ran: pages run in order.
func (u *Recorded) pause(time.Duration) time.Duration {
	d := pauses[u.paused%%len(pauses)]
	u.paused++
	return d
}
`)
}

// duration writes d as Go: "1200 * time.Millisecond", "0".
func duration(d time.Duration) string {
	switch ms := d.Milliseconds(); {
	case ms == 0:
		return "0"
	case ms%1000 == 0:
		return fmt.Sprintf("%d * time.Second", ms/1000)
	default:
		return fmt.Sprintf("%d * time.Millisecond", ms)
	}
}

// page writes the task that replays one page.
func (g *gen) page(n int, p *page) {
	g.printf("\n")
	g.comment("", fmt.Sprintf("page%d replays page %d, %s: %s.", n, n, strconv.Quote(g.title(p)), plural(len(p.kept), "request")))
	g.printf("func (u *Recorded) page%d(ctx context.Context) error {\n", n)
	for i, e := range p.kept {
		c := g.calls[e]
		for _, f := range g.flags[e] {
			g.comment("\t", g.describe(f))
		}
		call := g.call(c)
		if i == len(p.kept)-1 {
			g.printf("\treturn %s.Err()\n}\n", call)
			break
		}
		g.printf("\tif err := %s.Err(); err != nil {\n\t\treturn err\n\t}\n", call)
	}
}

// describe writes a flag's comment.
func (g *gen) describe(f marked) string {
	s := fmt.Sprintf("dynamic: %s %s", f.where, strconv.Quote(sanitize(f.value, 24)))
	switch {
	case f.kind != "" && f.origin != nil:
		s += fmt.Sprintf(" looks like %s and came in %s: extract it from there.", f.kind, g.response(f.origin))
	case f.origin != nil:
		s += fmt.Sprintf(" came in %s: extract it from there.", g.response(f.origin))
	default:
		s += fmt.Sprintf(" looks like %s: probably issued per session or user; extract it from the response that issues it.", f.kind)
	}
	return s
}

// response names an earlier entry's response.
func (g *gen) response(e *Entry) string {
	target := e.Request.URL
	if u, err := url.Parse(target); err == nil {
		target = u.Path
		if !strings.EqualFold(u.Host, g.host) {
			target = u.Host + u.Path
		}
	}
	s := "the response to " + strings.ToUpper(e.Request.Method) + " " + sanitize(target, 60)
	if n := g.pageOf[e]; n > 0 {
		s += fmt.Sprintf(" (page %d)", n)
	}
	return s
}

// call writes the session call of a request: on one line, or with its
// options one a line when that would be long.
func (g *gen) call(c *call) string {
	var opts []string
	for _, h := range c.headers {
		opts = append(opts, fmt.Sprintf("herd.Header(%s, %s)", strconv.Quote(h.Name), literal(h.Value)))
	}
	target := literal(c.url)
	var fn string
	var args []string
	switch {
	case c.method == "GET" && c.body == nil:
		fn, args = "Get", []string{"ctx", target}
	case c.method == "DELETE" && c.body == nil:
		fn, args = "Delete", []string{"ctx", target}
	case c.method == "HEAD" && c.body == nil:
		fn, args = "Head", []string{"ctx", target}
	case c.method == "POST", c.method == "PUT", c.method == "PATCH":
		fn, args = c.method[:1]+strings.ToLower(c.method[1:]), []string{"ctx", target, g.bodyExpr(c.body)}
	default:
		fn, args = "Do", []string{"ctx", strconv.Quote(c.method), target, g.bodyExpr(c.body)}
	}
	line := "u.Client." + fn + "(" + strings.Join(append(args, opts...), ", ") + ")"
	if len(opts) == 0 || len(line) <= 90 {
		return line
	}
	return "u.Client." + fn + "(" + strings.Join(args, ", ") + ",\n" + strings.Join(opts, ",\n") + ",\n)"
}

// bodyExpr writes a request body.
func (g *gen) bodyExpr(b *body) string {
	switch {
	case b == nil:
		return "herd.Body{}"
	case b.form != nil:
		g.use("net/url")
		var keys []string
		vals := map[string][]string{}
		for _, f := range b.form {
			if _, ok := vals[f.Name]; !ok {
				keys = append(keys, f.Name)
			}
			vals[f.Name] = append(vals[f.Name], f.Value)
		}
		var parts []string
		for _, k := range keys {
			var vs []string
			for _, v := range vals[k] {
				vs = append(vs, literal(v))
			}
			parts = append(parts, fmt.Sprintf("%s: {%s}", literal(k), strings.Join(vs, ", ")))
		}
		return "herd.Form(url.Values{" + strings.Join(parts, ", ") + "})"
	}
	return fmt.Sprintf("herd.Raw(%s, []byte(%s))", strconv.Quote(b.mime), literal(b.text))
}

// main writes the test and main.
func (g *gen) main(origin string) {
	g.printf(`
// loadTest is the test: one user type, on the recorded host unless -H says
// otherwise.
func loadTest() *herd.Test {
	return &herd.Test{Users: []*herd.UserType{{
		Name: "Recorded",
		Host: %s,
		New:  func() herd.User { return new(Recorded) },
	}}}
}

func main() { herd.Main(loadTest()) }
`, strconv.Quote(origin))
}

// comment writes text as a comment paragraph, wrapped at 78 columns.
func (g *gen) comment(indent, text string) {
	width := 78 - len(indent) - 3
	line := ""
	for _, w := range strings.Fields(sanitize(text, 4000)) {
		if line != "" && utf8.RuneCountInString(line)+1+utf8.RuneCountInString(w) > width {
			g.printf("%s// %s\n", indent, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	if line != "" {
		g.printf("%s// %s\n", indent, line)
	}
}

// sanitize makes s safe and short for a comment or a name: control
// characters become spaces, invalid UTF-8 is replaced, and it is cut to
// max runes with an ellipsis.
func sanitize(s string, max int) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == '\uFEFF' {
			return ' '
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > max {
		r := []rune(s)
		s = string(r[:max]) + "…"
	}
	return s
}

// literal writes s as a Go string: a raw string when that reads better
// (JSON, quotes, backslashes) and is exact, else a quoted one.
func literal(s string) string {
	if strings.ContainsAny(s, `"\`) && rawable(s) {
		return "`" + s + "`"
	}
	return strconv.Quote(s)
}

// rawable reports whether a raw string literal holds s exactly: no
// backquote, no carriage return (the compiler drops them), valid UTF-8,
// no other control character than tab and newline, no BOM.
func rawable(s string) bool {
	if !utf8.ValidString(s) {
		return false
	}
	for _, r := range s {
		if r == '`' || r == '\r' || r == '\uFEFF' || unicode.IsControl(r) && r != '\t' && r != '\n' {
			return false
		}
	}
	return true
}
