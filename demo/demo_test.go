package demo

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fast are options without latency or errors, for tests of behaviour.
var fast = Options{LatencyScale: -1, ErrorRate: -1, Seed: 1}

// testClient never uses a proxy, so tests only ever talk to loopback.
// testClient is a client of the test's own. Its idle connections close at
// the test's end, before the servers started earlier do: a connection
// dialled but never used (net/http may dial one more than it needs) would
// otherwise hold a server's Close for Shutdown's 5 s grace for new
// connections.
func testClient(tb testing.TB) *http.Client {
	c := &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 64}}
	tb.Cleanup(c.CloseIdleConnections)
	return c
}

func startTest(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := Start("127.0.0.1:0", opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// startShop serves an already built shop (e.g. with a test hook) on loopback.
func startShop(t testing.TB, shop *Shop) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := serve(ln, shop)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func do(t testing.TB, c *http.Client, method, url, body string, cookies ...*http.Cookie) (*http.Response, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, ck := range cookies {
		req.AddCookie(ck)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, b
}

func sessionCookie(resp *http.Response) *http.Cookie {
	for _, c := range resp.Cookies() {
		if c.Name == SessionCookie {
			return c
		}
	}
	return nil
}

func login(t testing.TB, c *http.Client, base string) *http.Cookie {
	t.Helper()
	resp, body := do(t, c, "POST", base+"/api/login", `{"username":"testuser","password":"testpass"}`)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("login: %d %s", resp.StatusCode, body)
	}
	ck := sessionCookie(resp)
	if ck == nil || ck.Value == "" {
		t.Fatalf("login set no %q cookie: %v", SessionCookie, resp.Header["Set-Cookie"])
	}
	return ck
}

func TestEndpoints(t *testing.T) {
	t.Parallel()
	srv := startTest(t, fast)
	client := testClient(t)
	session := login(t, client, srv.URL)
	forged := &http.Cookie{Name: SessionCookie, Value: "000000000000000000000000.00000000000000000000000000000000"}
	other := login(t, client, startTest(t, fast).URL) // valid, but for another shop

	jsonObject := func(t *testing.T, b []byte) map[string]any {
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("body is not a JSON object: %v: %s", err, b)
		}
		return m
	}
	hasError := func(t *testing.T, b []byte) {
		if m := jsonObject(t, b); m["error"] == nil {
			t.Errorf("no error field in %s", b)
		}
	}

	tests := []struct {
		name   string
		method string
		path   string
		body   string
		cookie *http.Cookie
		status int
		ctype  string // Content-Type prefix; "" means application/json
		check  func(t *testing.T, resp *http.Response, body []byte)
	}{
		{name: "home", method: "GET", path: "/", status: 200, ctype: "text/html",
			check: func(t *testing.T, _ *http.Response, b []byte) {
				if len(b) < 200 || len(b) > 2000 || !strings.Contains(string(b), "herd demo shop") {
					t.Errorf("home page (%d bytes): %s", len(b), b)
				}
			}},
		{name: "home HEAD", method: "HEAD", path: "/", status: 200, ctype: "text/html"},
		{name: "unknown path", method: "GET", path: "/nope", status: 404, ctype: "text/plain"},
		{name: "health", method: "GET", path: "/health", status: 200, ctype: "text/plain",
			check: func(t *testing.T, _ *http.Response, b []byte) {
				if string(b) != "ok" {
					t.Errorf("health body %q", b)
				}
			}},
		{name: "login", method: "POST", path: "/api/login", body: `{"username":"a","password":"b"}`, status: 200,
			check: func(t *testing.T, resp *http.Response, b []byte) {
				ck := sessionCookie(resp)
				if ck == nil || !ck.HttpOnly || ck.Path != "/" {
					t.Errorf("session cookie %v", ck)
				}
				if m := jsonObject(t, b); m["username"] != "a" {
					t.Errorf("login body %s", b)
				}
			}},
		{name: "login empty password", method: "POST", path: "/api/login", body: `{"username":"a","password":""}`, status: 401},
		{name: "login empty username", method: "POST", path: "/api/login", body: `{"username":"","password":"b"}`, status: 401},
		{name: "login empty object", method: "POST", path: "/api/login", body: `{}`, status: 401},
		{name: "login not JSON", method: "POST", path: "/api/login", body: `username=a&password=b`, status: 400},
		{name: "login null", method: "POST", path: "/api/login", body: `null`, status: 400},
		{name: "login no body", method: "POST", path: "/api/login", status: 400},
		{name: "login wrong type", method: "POST", path: "/api/login", body: `{"username":1,"password":"b"}`, status: 400},
		{name: "login trailing data", method: "POST", path: "/api/login", body: `{"username":"a","password":"b"}{}`, status: 400},
		{name: "login too large", method: "POST", path: "/api/login", body: `{"username":"` + strings.Repeat("a", maxBody) + `","password":"b"}`, status: 413},
		{name: "login GET", method: "GET", path: "/api/login", status: 405, ctype: "text/plain"},
		{name: "products", method: "GET", path: "/api/products", status: 200,
			check: func(t *testing.T, _ *http.Response, b []byte) {
				var ps []Product
				if err := json.Unmarshal(b, &ps); err != nil {
					t.Fatal(err)
				}
				if len(ps) != NumProducts {
					t.Fatalf("%d products", len(ps))
				}
				for i, p := range ps {
					if p.ID != i+1 || p.Name == "" || p.Price <= 0 {
						t.Errorf("product %d: %+v", i, p)
					}
				}
			}},
		{name: "product 1", method: "GET", path: "/api/products/1", status: 200,
			check: func(t *testing.T, _ *http.Response, b []byte) {
				var p Product
				if err := json.Unmarshal(b, &p); err != nil || p != Products()[0] {
					t.Errorf("product 1: %s (%v)", b, err)
				}
			}},
		{name: "product 20", method: "GET", path: "/api/products/20", status: 200},
		{name: "product 0", method: "GET", path: "/api/products/0", status: 404, check: func(t *testing.T, _ *http.Response, b []byte) { hasError(t, b) }},
		{name: "product 21", method: "GET", path: "/api/products/21", status: 404},
		{name: "product -1", method: "GET", path: "/api/products/-1", status: 404},
		{name: "product abc", method: "GET", path: "/api/products/abc", status: 404},
		{name: "product POST", method: "POST", path: "/api/products/1", status: 405, ctype: "text/plain"},
		{name: "order", method: "POST", path: "/api/orders", body: `{"product_id":3,"quantity":2}`, cookie: session, status: 201,
			check: func(t *testing.T, _ *http.Response, b []byte) {
				m := jsonObject(t, b)
				if id, _ := m["order_id"].(float64); id < 1 {
					t.Errorf("order_id in %s", b)
				}
				if m["product_id"] != 3.0 || m["quantity"] != 2.0 || m["total"] != Products()[2].Price*2 {
					t.Errorf("order %s", b)
				}
			}},
		{name: "order no session", method: "POST", path: "/api/orders", body: `{"product_id":1,"quantity":1}`, status: 401,
			check: func(t *testing.T, _ *http.Response, b []byte) { hasError(t, b) }},
		{name: "order forged session", method: "POST", path: "/api/orders", body: `{"product_id":1,"quantity":1}`, cookie: forged, status: 401},
		{name: "order other shop's session", method: "POST", path: "/api/orders", body: `{"product_id":1,"quantity":1}`, cookie: other, status: 401},
		{name: "order malformed", method: "POST", path: "/api/orders", body: `{"product_id":`, cookie: session, status: 400},
		{name: "order quantity 0", method: "POST", path: "/api/orders", body: `{"product_id":1,"quantity":0}`, cookie: session, status: 400},
		{name: "order quantity missing", method: "POST", path: "/api/orders", body: `{"product_id":1}`, cookie: session, status: 400},
		{name: "order quantity -1", method: "POST", path: "/api/orders", body: `{"product_id":1,"quantity":-1}`, cookie: session, status: 400},
		{name: "order quantity 1.5", method: "POST", path: "/api/orders", body: `{"product_id":1,"quantity":1.5}`, cookie: session, status: 400},
		{name: "order quantity too big", method: "POST", path: "/api/orders", body: `{"product_id":1,"quantity":1001}`, cookie: session, status: 400},
		{name: "order unknown product", method: "POST", path: "/api/orders", body: `{"product_id":99,"quantity":1}`, cookie: session, status: 404},
		{name: "order product 0", method: "POST", path: "/api/orders", body: `{"quantity":1}`, cookie: session, status: 404},
		{name: "order GET", method: "GET", path: "/api/orders", cookie: session, status: 405, ctype: "text/plain"},
		{name: "cart no session", method: "GET", path: "/api/cart", status: 401},
		{name: "cart add no session", method: "POST", path: "/api/cart", body: `{"product_id":1,"quantity":1}`, status: 401},
		{name: "cart add malformed", method: "POST", path: "/api/cart", body: `[]`, cookie: session, status: 400},
		{name: "cart add unknown product", method: "POST", path: "/api/cart", body: `{"product_id":21,"quantity":1}`, cookie: session, status: 404},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var cookies []*http.Cookie
			if tc.cookie != nil {
				cookies = append(cookies, tc.cookie)
			}
			resp, body := do(t, client, tc.method, srv.URL+tc.path, tc.body, cookies...)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d; body %s", resp.StatusCode, tc.status, body)
			}
			ctype := tc.ctype
			if ctype == "" {
				ctype = "application/json"
				if tc.method != "HEAD" && !json.Valid(body) {
					t.Errorf("body is not JSON: %s", body)
				}
			}
			if got := resp.Header.Get("Content-Type"); !strings.HasPrefix(got, ctype) {
				t.Errorf("Content-Type %q, want %q", got, ctype)
			}
			if tc.check != nil {
				tc.check(t, resp, body)
			}
		})
	}
}

func TestCookieFlow(t *testing.T) {
	t.Parallel()
	srv := startTest(t, fast)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := testClient(t)
	c.Jar = jar

	if resp, _ := do(t, c, "POST", srv.URL+"/api/orders", `{"product_id":1,"quantity":1}`); resp.StatusCode != 401 {
		t.Fatalf("order before login: %d", resp.StatusCode)
	}
	if resp, b := do(t, c, "POST", srv.URL+"/api/login", `{"username":"testuser","password":"testpass"}`); resp.StatusCode != 200 {
		t.Fatalf("login: %d %s", resp.StatusCode, b)
	}

	cart := func() cartView {
		resp, b := do(t, c, "GET", srv.URL+"/api/cart", "")
		if resp.StatusCode != 200 {
			t.Fatalf("cart: %d %s", resp.StatusCode, b)
		}
		var v cartView
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	if v := cart(); len(v.Items) != 0 || v.Total != 0 {
		t.Fatalf("new cart %+v", v)
	}
	for _, body := range []string{`{"product_id":5,"quantity":2}`, `{"product_id":1,"quantity":1}`, `{"product_id":5,"quantity":1}`} {
		if resp, b := do(t, c, "POST", srv.URL+"/api/cart", body); resp.StatusCode != 200 {
			t.Fatalf("add %s: %d %s", body, resp.StatusCode, b)
		}
	}
	if resp, _ := do(t, c, "POST", srv.URL+"/api/cart", `{"product_id":5,"quantity":1000}`); resp.StatusCode != 400 {
		t.Fatalf("overfull cart line: %d", resp.StatusCode)
	}
	ps := Products()
	v := cart()
	want := []cartLine{
		{ProductID: 1, Name: ps[0].Name, Price: ps[0].Price, Quantity: 1},
		{ProductID: 5, Name: ps[4].Name, Price: ps[4].Price, Quantity: 3},
	}
	if len(v.Items) != 2 || v.Items[0] != want[0] || v.Items[1] != want[1] {
		t.Fatalf("cart %+v, want %+v", v.Items, want)
	}
	if wantTotal := float64(priceCents[1]+3*priceCents[5]) / 100; v.Total != wantTotal {
		t.Errorf("total %v, want %v", v.Total, wantTotal)
	}

	var last float64
	for i := range 3 {
		resp, b := do(t, c, "POST", srv.URL+"/api/orders", `{"product_id":1,"quantity":2}`)
		if resp.StatusCode != 201 {
			t.Fatalf("order %d: %d %s", i, resp.StatusCode, b)
		}
		var o struct {
			OrderID float64 `json:"order_id"`
		}
		if err := json.Unmarshal(b, &o); err != nil || o.OrderID <= last {
			t.Fatalf("order id %s after %v (%v)", b, last, err)
		}
		last = o.OrderID
	}
}

func TestErrorRate(t *testing.T) {
	t.Parallel()
	statuses := func(opts Options, path string, n int) []int {
		shop := Handler(opts)
		out := make([]int, n)
		for i := range out {
			rec := httptest.NewRecorder()
			shop.ServeHTTP(rec, httptest.NewRequest("GET", path, nil))
			out[i] = rec.Code
			if rec.Code == 500 {
				var m map[string]string
				if err := json.Unmarshal(rec.Body.Bytes(), &m); err != nil || m["error"] == "" {
					t.Errorf("500 body %q (%v)", rec.Body, err)
				}
				if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
					t.Errorf("500 Content-Type %q", ct)
				}
			}
		}
		return out
	}
	count := func(codes []int, code int) int {
		n := 0
		for _, c := range codes {
			if c == code {
				n++
			}
		}
		return n
	}
	tests := []struct {
		name     string
		opts     Options
		path     string
		n        int
		min, max int // number of 500s
	}{
		{"half", Options{ErrorRate: 0.5, LatencyScale: -1, Seed: 42}, "/api/products", 1000, 400, 600},
		{"half other seed", Options{ErrorRate: 0.5, LatencyScale: -1, Seed: 7}, "/api/products/3", 1000, 400, 600},
		{"default", Options{LatencyScale: -1, Seed: 42}, "/", 2000, 2, 60},
		{"disabled", Options{ErrorRate: -1, LatencyScale: -1, Seed: 42}, "/api/products", 1000, 0, 0},
		{"clamped to 1", Options{ErrorRate: 7, LatencyScale: -1, Seed: 42}, "/api/products", 200, 200, 200},
		{"health never fails", Options{ErrorRate: 1, LatencyScale: -1, Seed: 42}, "/health", 200, 0, 0},
		{"random seed", Options{ErrorRate: 0.5, LatencyScale: -1}, "/api/products", 1000, 400, 600},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			codes := statuses(tc.opts, tc.path, tc.n)
			errs := count(codes, 500)
			if errs < tc.min || errs > tc.max {
				t.Errorf("%d errors in %d requests, want %d..%d", errs, tc.n, tc.min, tc.max)
			}
			if ok := count(codes, 200); ok+errs != tc.n {
				t.Errorf("%d successes + %d errors != %d requests", ok, errs, tc.n)
			}
		})
	}
	t.Run("reproducible", func(t *testing.T) {
		t.Parallel()
		opts := Options{ErrorRate: 0.3, LatencyScale: -1, Seed: 99}
		a, b := statuses(opts, "/api/products", 300), statuses(opts, "/api/products", 300)
		for i := range a {
			if a[i] != b[i] {
				t.Fatalf("request %d: %d vs %d with the same seed", i, a[i], b[i])
			}
		}
	})
}

func TestLatencyDraws(t *testing.T) {
	t.Parallel()
	const median = 10 * time.Millisecond
	tests := []struct {
		name     string
		scale    float64
		min, max time.Duration
	}{
		{"default", 0, median / 4, 5 * median},
		{"double", 2, median / 2, 10 * median},
		{"tenth", 0.1, median / 40, median / 2},
		{"none", -1, 0, 0},
		{"huge is capped", 1e12, maxDelay, maxDelay},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := Handler(Options{LatencyScale: tc.scale, Seed: 3})
			ds := make([]time.Duration, 2001)
			for i := range ds {
				ds[i], _ = s.draw(median, 0.5)
				if ds[i] < tc.min || ds[i] > tc.max {
					t.Fatalf("draw %v outside %v..%v", ds[i], tc.min, tc.max)
				}
			}
			// The median of the draws is near median*scale.
			scale := tc.scale
			if scale == 0 {
				scale = 1
			}
			if scale > 0 && scale < 1e6 {
				below := 0
				want := time.Duration(float64(median) * scale)
				for _, d := range ds {
					if d < want {
						below++
					}
				}
				if below < 900 || below > 1100 {
					t.Errorf("%d of %d draws below %v", below, len(ds), want)
				}
			}
		})
	}
	t.Run("request is delayed", func(t *testing.T) {
		t.Parallel()
		shop := Handler(Options{ErrorRate: -1, Seed: 5})
		rec := httptest.NewRecorder()
		start := time.Now()
		shop.ServeHTTP(rec, httptest.NewRequest("GET", "/", nil))
		if took := time.Since(start); took < routes[0].median/4 {
			t.Errorf("GET / took %v, want at least %v", took, routes[0].median/4)
		}
		if rec.Code != 200 {
			t.Errorf("status %d", rec.Code)
		}
	})
}

// slowShop returns a shop whose requests wait (nearly) forever, and a channel
// that receives when a request has started waiting.
func slowShop() (*Shop, <-chan struct{}) {
	shop := Handler(Options{LatencyScale: 1e9, ErrorRate: -1, Seed: 1})
	waiting := make(chan struct{}, 16)
	shop.testHookWait = func() { waiting <- struct{}{} }
	return shop, waiting
}

func TestContextCancel(t *testing.T) {
	t.Parallel()
	t.Run("handler", func(t *testing.T) {
		t.Parallel()
		shop, waiting := slowShop()
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		rec := httptest.NewRecorder()
		done := make(chan struct{})
		go func() {
			defer close(done)
			shop.ServeHTTP(rec, httptest.NewRequest("GET", "/api/products", nil).WithContext(ctx))
		}()
		<-waiting
		cancel()
		// The 503 proves the cancel ended the wait (the simulated latency,
		// capped at 30 s, would end in a 200); the minute only guards
		// against a hang.
		select {
		case <-done:
		case <-time.After(time.Minute):
			t.Fatal("cancelled request still running")
		}
		if rec.Code != http.StatusServiceUnavailable {
			t.Errorf("status %d, want 503", rec.Code)
		}
	})
	t.Run("already cancelled", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		for _, opts := range []Options{fast, {LatencyScale: 1e9, ErrorRate: -1}} {
			rec := httptest.NewRecorder()
			Handler(opts).ServeHTTP(rec, httptest.NewRequest("GET", "/api/products", nil).WithContext(ctx))
			if rec.Code != http.StatusServiceUnavailable {
				t.Errorf("status %d, want 503", rec.Code)
			}
		}
	})
	t.Run("client gives up", func(t *testing.T) {
		t.Parallel()
		shop, waiting := slowShop()
		srv := startShop(t, shop)
		ctx, cancel := context.WithCancel(context.Background())
		errc := make(chan error, 1)
		go func() {
			req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/api/products", nil)
			resp, err := testClient(t).Do(req)
			if err == nil {
				resp.Body.Close()
			}
			errc <- err
		}()
		<-waiting
		cancel()
		if err := <-errc; !errors.Is(err, context.Canceled) {
			t.Errorf("client error %v, want context.Canceled", err)
		}
		// The server is still fine.
		if resp, b := do(t, testClient(t), "GET", srv.URL+"/health", ""); resp.StatusCode != 200 {
			t.Errorf("health after cancel: %d %s", resp.StatusCode, b)
		}
	})
	t.Run("close aborts in-flight", func(t *testing.T) {
		t.Parallel()
		shop, waiting := slowShop()
		srv := startShop(t, shop)
		type result struct {
			status int
			err    error
		}
		resc := make(chan result, 1)
		go func() {
			resp, err := testClient(t).Get(srv.URL + "/api/products/1")
			if err != nil {
				resc <- result{err: err}
				return
			}
			resp.Body.Close()
			resc <- result{status: resp.StatusCode}
		}()
		<-waiting
		if err := srv.Close(); err != nil {
			t.Fatal(err)
		}
		// The 503 proves Close aborted the simulated latency: had it not,
		// Close would have given up on the request after its shutdown
		// timeout and cut the connection, an error here.
		if r := <-resc; r.err != nil || r.status != http.StatusServiceUnavailable {
			t.Errorf("in-flight request got %d (error %v), want 503", r.status, r.err)
		}
	})
}

func TestLoopbackOnly(t *testing.T) {
	t.Parallel()
	tests := []struct {
		addr     string
		want     string // listen address; "" means rejected
		loopback bool   // rejected with ErrNotLoopback (not just malformed)
	}{
		{addr: "127.0.0.1:0", want: "127.0.0.1:0"},
		{addr: "127.0.0.2:8089", want: "127.0.0.2:8089"},
		{addr: "127.255.255.254:1", want: "127.255.255.254:1"},
		{addr: "localhost:0", want: "127.0.0.1:0"},
		{addr: "LocalHost:80", want: "127.0.0.1:80"},
		{addr: "[::1]:0", want: "[::1]:0"},
		{addr: "[0:0:0:0:0:0:0:1]:0", want: "[::1]:0"},
		{addr: "0.0.0.0:0", loopback: true},
		{addr: "192.0.2.1:0", loopback: true},
		{addr: "10.0.0.1:8080", loopback: true},
		{addr: "128.0.0.1:0", loopback: true},
		{addr: ":0", loopback: true},
		{addr: ":8080", loopback: true},
		{addr: "[::]:0", loopback: true},
		{addr: "[2001:db8::1]:0", loopback: true},
		{addr: "example.com:0", loopback: true},
		{addr: "localhost.:0", loopback: true},
		{addr: "127.0.0.1", loopback: false},
		{addr: "", loopback: false},
		{addr: "garbage", loopback: false},
	}
	for _, tc := range tests {
		t.Run(tc.addr, func(t *testing.T) {
			t.Parallel()
			got, err := loopbackAddr(tc.addr)
			if tc.want != "" {
				if err != nil || got != tc.want {
					t.Errorf("loopbackAddr = %q, %v; want %q", got, err, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("loopbackAddr accepted %q as %q", tc.addr, got)
			}
			if errors.Is(err, ErrNotLoopback) != tc.loopback {
				t.Errorf("error %v: errors.Is(ErrNotLoopback) = %v", err, !tc.loopback)
			}
			// Start rejects it before listening on anything.
			if s, err := Start(tc.addr, fast); err == nil {
				s.Close()
				t.Fatalf("Start(%q) succeeded", tc.addr)
			}
		})
	}
	t.Run("Start localhost", func(t *testing.T) {
		t.Parallel()
		s := startTest(t, fast)
		if !strings.HasPrefix(s.URL, "http://127.0.0.1:") || s.URL != "http://"+s.Addr {
			t.Errorf("URL %q, Addr %q", s.URL, s.Addr)
		}
		l, err := Start("localhost:0", fast)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		if !strings.HasPrefix(l.URL, "http://127.0.0.1:") {
			t.Errorf("localhost URL %q", l.URL)
		}
	})
}

func TestRequests(t *testing.T) {
	t.Parallel()
	t.Run("handler", func(t *testing.T) {
		t.Parallel()
		shop := Handler(Options{LatencyScale: -1, ErrorRate: 0.5, Seed: 11})
		if got := shop.Requests(); len(got) != 0 {
			t.Fatalf("fresh shop counts %v", got)
		}
		reqs := []struct{ method, path, body string }{
			{"GET", "/", ""},
			{"HEAD", "/", ""},
			{"GET", "/health", ""},
			{"GET", "/health", ""},
			{"GET", "/health", ""},
			{"POST", "/api/login", "{}"},
			{"GET", "/api/products", ""},
			{"GET", "/api/products/1", ""},
			{"GET", "/api/products/2", ""},
			{"GET", "/api/products/999", ""},
			{"POST", "/api/orders", "{}"},
			{"GET", "/api/cart", ""},
			{"GET", "/nope", ""},          // 404: not counted
			{"DELETE", "/api/cart", ""},   // 405: not counted
			{"GET", "/api/products/", ""}, // no id: not a product route
		}
		for _, r := range reqs {
			rec := httptest.NewRecorder()
			shop.ServeHTTP(rec, httptest.NewRequest(r.method, r.path, strings.NewReader(r.body)))
		}
		want := map[string]int64{
			"GET /":                  2,
			"GET /health":            3,
			"POST /api/login":        1,
			"GET /api/products":      1,
			"GET /api/products/{id}": 3,
			"POST /api/orders":       1,
			"GET /api/cart":          1,
		}
		if got := shop.Requests(); !maps.Equal(got, want) {
			t.Errorf("Requests() = %v, want %v", got, want)
		}
	})
	t.Run("server under concurrency", func(t *testing.T) {
		t.Parallel()
		srv := startTest(t, Options{LatencyScale: -1, Seed: 12}) // default error rate
		client := testClient(t)
		session := login(t, client, srv.URL)
		const workers, each = 16, 50
		var wg sync.WaitGroup
		for w := range workers {
			wg.Go(func() {
				for i := range each {
					var req *http.Request
					switch i % 3 {
					case 0:
						req, _ = http.NewRequest("GET", srv.URL+"/api/products", nil)
					case 1:
						req, _ = http.NewRequest("GET", srv.URL+"/api/products/"+strconv.Itoa(1+w%NumProducts), nil)
					case 2:
						req, _ = http.NewRequest("POST", srv.URL+"/api/orders", strings.NewReader(`{"product_id":2,"quantity":1}`))
						req.AddCookie(session)
					}
					resp, err := client.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != 200 && resp.StatusCode != 201 && resp.StatusCode != 500 {
						t.Errorf("status %d", resp.StatusCode)
					}
				}
			})
		}
		wg.Wait()
		want := map[string]int64{
			"POST /api/login":        1,
			"GET /api/products":      workers * 17,
			"GET /api/products/{id}": workers * 17,
			"POST /api/orders":       workers * 16,
		}
		if got := srv.Requests(); !maps.Equal(got, want) {
			t.Errorf("Requests() = %v, want %v", got, want)
		}
	})
}

func TestCloseIdempotent(t *testing.T) {
	t.Parallel()
	s, err := Start("127.0.0.1:0", fast)
	if err != nil {
		t.Fatal(err)
	}
	c := testClient(t)
	if resp, _ := do(t, c, "GET", s.URL+"/health", ""); resp.StatusCode != 200 {
		t.Fatalf("health %d", resp.StatusCode)
	}
	for i := range 3 {
		if err := s.Close(); err != nil {
			t.Fatalf("Close #%d: %v", i+1, err)
		}
	}
	c.CloseIdleConnections()
	if resp, err := c.Get(s.URL + "/health"); err == nil {
		resp.Body.Close()
		t.Fatal("server still answers after Close")
	}
}

// FuzzOrders feeds arbitrary bodies to the JSON endpoints, with and without a
// session: the shop must never panic and must always answer a JSON body with
// a status that its documentation allows.
func FuzzOrders(f *testing.F) {
	for _, s := range []string{
		`{"product_id":1,"quantity":2}`, `{"username":"testuser","password":"testpass"}`,
		``, `{}`, `null`, `[]`, `{"product_id":"1"}`, `{"quantity":1e3}`, `{"product_id":20,"quantity":1000}`,
		`{"product_id":-9223372036854775808,"quantity":9223372036854775807}`, `{"username":"\u0000","password":"\ud800"}`,
		`{"product_id":1,"quantity":1}{`, "\xff\xfe", ` {"username":"a","password":"b"} `,
	} {
		f.Add([]byte(s))
	}
	allowed := map[string][]int{
		"/api/orders":        {201, 400, 404, 413},
		"/api/orders nosess": {401},
		"/api/cart":          {200, 400, 404, 413},
		"/api/cart nosess":   {401},
		"/api/login":         {200, 400, 401, 413},
		"/api/login nosess":  {200, 400, 401, 413},
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		// A fresh shop and session each time, so that the outcome depends
		// on the input only (the cart is per session).
		shop := Handler(Options{LatencyScale: -1, ErrorRate: -1, Seed: 1})
		session := &http.Cookie{Name: SessionCookie, Value: shop.newSession()}
		for _, path := range []string{"/api/orders", "/api/cart", "/api/login"} {
			for _, withSession := range []bool{true, false} {
				req := httptest.NewRequest("POST", path, strings.NewReader(string(body)))
				key := path
				if withSession {
					req.AddCookie(session)
				} else {
					key += " nosess"
				}
				rec := httptest.NewRecorder()
				shop.ServeHTTP(rec, req)
				if rec.Code < 200 || rec.Code > 599 {
					t.Fatalf("%s: status %d", key, rec.Code)
				}
				ok := false
				for _, c := range allowed[key] {
					ok = ok || c == rec.Code
				}
				if !ok {
					t.Errorf("%s %q: status %d, want one of %v", key, body, rec.Code, allowed[key])
				}
				if !json.Valid(rec.Body.Bytes()) {
					t.Errorf("%s %q: body is not JSON: %q", key, body, rec.Body)
				}
			}
		}
	})
}

func BenchmarkHandler(b *testing.B) {
	shop := Handler(fast)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			rec := httptest.NewRecorder()
			shop.ServeHTTP(rec, httptest.NewRequest("GET", "/api/products/7", nil))
		}
	})
}

func BenchmarkServer(b *testing.B) {
	srv := startTest(b, fast)
	client := testClient(b)
	url := srv.URL + "/api/products/7"
	b.SetParallelism(4)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := client.Get(url)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
}
