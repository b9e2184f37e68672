// Package demo is herd's built-in demo target: a small shop API with login,
// products, a cart and orders, a per-endpoint latency spread and a small
// error rate. It exists so that herd can be tried (and tested) without a real
// system under test; Start only ever listens on loopback.
//
// Endpoints (JSON unless noted):
//
//	GET  /                    small HTML home page
//	GET  /health              "ok" (text/plain); never delayed, never fails
//	POST /api/login           {"username":"u","password":"p"} -> 200 + "session" cookie
//	GET  /api/products        the 20 products: [{"id":1,"name":"...","price":9.99}, ...]
//	GET  /api/products/{id}   one product; 404 for an unknown id (ids 1..20 exist)
//	GET  /api/cart            the session's cart (needs the session cookie)
//	POST /api/cart            {"product_id":1,"quantity":2} adds to the cart (needs the session cookie)
//	POST /api/orders          {"product_id":1,"quantity":2} -> 201 {"order_id":...} (needs the session cookie)
//	GET  /ws/chat             a WebSocket chat room: echo and broadcast (see chat.go)
//
// Every endpoint except /health waits a simulated, roughly log-normal latency
// first (scaled by Options.LatencyScale, abandoned as soon as the request's
// context is done) and then fails a fraction Options.ErrorRate of requests
// with 500 and a JSON error body.
package demo

import (
	"bytes"
	"cmp"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	mrand "math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Options tune the demo shop. The zero value gives the defaults.
type Options struct {
	// LatencyScale scales every endpoint's simulated latency; 0 (or NaN) means
	// 1 (the default spread), negative means no added latency.
	LatencyScale float64
	// ErrorRate is the fraction of requests (all but /health) answered with
	// 500: 0 (or NaN) means the default 0.01, negative disables errors, and
	// values above 1 are treated as 1.
	ErrorRate float64
	// Seed makes latency and error draws reproducible (0 = a random seed).
	// Draws are taken in the order requests take them, so sequential requests
	// see a reproducible sequence.
	Seed uint64
}

const (
	// DefaultErrorRate is the ErrorRate used when Options.ErrorRate is zero.
	DefaultErrorRate = 0.01
	// SessionCookie is the name of the cookie set by POST /api/login and
	// required by the cart and order endpoints.
	SessionCookie = "session"
	// MaxQuantity is the largest quantity accepted by POST /api/orders and
	// POST /api/cart (and the largest quantity of one cart line).
	MaxQuantity = 1000
	// NumProducts is the number of products: ids 1..NumProducts exist.
	NumProducts = 20

	maxBody     = 64 << 10         // request bodies larger than this get 413
	maxDelay    = 30 * time.Second // cap on one simulated latency
	maxCarts    = 4096             // carts kept in memory at most
	maxCartRows = 50               // distinct products in one cart at most
)

// A route is one endpoint: its counting key, its ServeMux pattern, its
// simulated latency (median and log-normal sigma) and its handler.
type route struct {
	key     string // "METHOD /pattern" as reported by Requests
	pattern string // ServeMux pattern
	median  time.Duration
	sigma   float64
	plain   bool // no simulated latency or errors (/health)
	handle  func(s *Shop, w http.ResponseWriter, r *http.Request)
}

var routes = []route{
	{key: "GET /", pattern: "GET /{$}", median: 5 * time.Millisecond, sigma: 0.35, handle: (*Shop).home},
	{key: "GET /health", pattern: "GET /health", plain: true, handle: (*Shop).health},
	{key: "POST /api/login", pattern: "POST /api/login", median: 20 * time.Millisecond, sigma: 0.5, handle: (*Shop).login},
	{key: "GET /api/products", pattern: "GET /api/products", median: 15 * time.Millisecond, sigma: 0.5, handle: (*Shop).products},
	{key: "GET /api/products/{id}", pattern: "GET /api/products/{id}", median: 8 * time.Millisecond, sigma: 0.5, handle: (*Shop).product},
	{key: "GET /api/cart", pattern: "GET /api/cart", median: 10 * time.Millisecond, sigma: 0.5, handle: (*Shop).getCart},
	{key: "POST /api/cart", pattern: "POST /api/cart", median: 15 * time.Millisecond, sigma: 0.5, handle: (*Shop).addToCart},
	{key: "POST /api/orders", pattern: "POST /api/orders", median: 40 * time.Millisecond, sigma: 0.55, handle: (*Shop).order},
	{key: "GET /ws/chat", pattern: "GET /ws/chat", plain: true, handle: (*Shop).chatSocket},
}

// Product is one item of the shop's catalogue.
type Product struct {
	ID    int     `json:"id"`
	Name  string  `json:"name"`
	Price float64 `json:"price"`
}

var (
	catalogue     [NumProducts + 1]Product // index 0 unused
	priceCents    [NumProducts + 1]int64
	productsJSON  []byte
	productJSON   [NumProducts + 1][]byte
	homeHTML      = []byte(homePage)
	errorJSON     = []byte(`{"error":"internal server error (simulated)"}` + "\n")
	cancelledJSON = []byte(`{"error":"request cancelled"}` + "\n")
)

const homePage = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>herd demo shop</title></head>
<body>
<h1>herd demo shop</h1>
<p>A small shop API for trying herd on loopback.</p>
<ul>
<li>POST /api/login</li>
<li>GET /api/products</li>
<li>GET /api/products/{id}</li>
<li>GET, POST /api/cart</li>
<li>POST /api/orders</li>
<li>GET /health</li>
</ul>
</body>
</html>
`

func init() {
	adjectives := [...]string{"Red", "Blue", "Green", "Black", "Silver"}
	nouns := [...]string{"Mug", "T-Shirt", "Notebook", "Backpack"}
	list := make([]Product, 0, NumProducts)
	for id := 1; id <= NumProducts; id++ {
		cents := int64(299 + (id*737)%4700) // 2.99 .. 49.98, fixed
		cents = cents/100*100 + 99          // prices end in .99
		p := Product{
			ID:    id,
			Name:  adjectives[(id-1)%len(adjectives)] + " " + nouns[(id-1)/len(adjectives)%len(nouns)],
			Price: float64(cents) / 100,
		}
		catalogue[id], priceCents[id] = p, cents
		productJSON[id] = mustJSON(p)
		list = append(list, p)
	}
	productsJSON = mustJSON(list)
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return append(b, '\n')
}

// Products returns a copy of the shop's catalogue (ids 1..NumProducts, in
// order), as served by GET /api/products.
func Products() []Product {
	return append([]Product(nil), catalogue[1:]...)
}

// Shop is the demo shop as an http.Handler. It is safe for concurrent use.
// Build one with Handler; Server embeds one.
type Shop struct {
	mux       *http.ServeMux
	scale     float64 // latency multiplier; 0 means no latency
	errorRate float64 // in [0, 1]
	secret    []byte  // HMAC key of session tokens
	counts    []atomic.Int64
	orderID   atomic.Int64

	rngMu sync.Mutex
	rng   *mrand.Rand

	cartMu sync.Mutex
	carts  map[string]map[int]int // session token -> product id -> quantity

	chat *chatRoom // GET /ws/chat

	// testHookWait, when set (by tests, before serving), is called when a
	// request starts waiting its simulated latency.
	testHookWait func()
}

// Handler returns the shop as an http.Handler (for httptest or embedding).
// The result is a *Shop, whose Requests method reports per-route counts.
func Handler(opts Options) *Shop {
	s := &Shop{
		mux:    http.NewServeMux(),
		scale:  1,
		counts: make([]atomic.Int64, len(routes)),
		carts:  make(map[string]map[int]int),
		secret: make([]byte, 32),
		chat:   newChatRoom(),
	}
	switch ls := opts.LatencyScale; {
	case ls < 0:
		s.scale = 0
	case ls > 0:
		s.scale = ls
	}
	switch er := opts.ErrorRate; {
	case er < 0:
		s.errorRate = 0
	case er > 1:
		s.errorRate = 1
	case er > 0:
		s.errorRate = er
	default: // 0 or NaN
		s.errorRate = DefaultErrorRate
	}
	seed := opts.Seed
	if seed == 0 {
		seed = mrand.Uint64() | 1
	}
	s.rng = mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	_, _ = rand.Read(s.secret) // never fails (Go 1.24+)
	for i := range routes {
		s.mux.HandleFunc(routes[i].pattern, s.serveRoute(i))
	}
	return s
}

// ServeHTTP serves one request of the shop.
func (s *Shop) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mux.ServeHTTP(w, r)
}

// Requests returns how many requests each route has received so far, keyed
// "METHOD /pattern" ("GET /", "GET /health", "POST /api/login",
// "GET /api/products", "GET /api/products/{id}", "GET /api/cart",
// "POST /api/cart", "POST /api/orders", "GET /ws/chat"). Routes with no
// request are left out; HEAD requests count under their GET route; requests
// that match no route (404, 405) are not counted. Every routed request
// counts, including those answered with a simulated error or abandoned by
// the client.
func (s *Shop) Requests() map[string]int64 {
	m := make(map[string]int64, len(routes))
	for i := range routes {
		if n := s.counts[i].Load(); n > 0 {
			m[routes[i].key] = n
		}
	}
	return m
}

func (s *Shop) serveRoute(i int) http.HandlerFunc {
	rt := &routes[i]
	return func(w http.ResponseWriter, r *http.Request) {
		s.counts[i].Add(1)
		if rt.plain {
			rt.handle(s, w, r)
			return
		}
		d, fail := s.draw(rt.median, rt.sigma)
		if !s.wait(r.Context(), d) {
			// The client has gone or the server is closing: answer
			// something that is not a success, without waiting further.
			writeBytes(w, http.StatusServiceUnavailable, "application/json", cancelledJSON)
			return
		}
		if fail {
			writeBytes(w, http.StatusInternalServerError, "application/json", errorJSON)
			return
		}
		rt.handle(s, w, r)
	}
}

// draw returns one request's simulated latency and whether it fails. Both
// values are always drawn, so the sequence does not depend on the options.
func (s *Shop) draw(median time.Duration, sigma float64) (time.Duration, bool) {
	s.rngMu.Lock()
	n := s.rng.NormFloat64()
	u := s.rng.Float64()
	s.rngMu.Unlock()
	fail := u < s.errorRate
	if s.scale == 0 {
		return 0, fail
	}
	factor := min(max(math.Exp(sigma*n), 0.25), 5) // log-normal, tail up to 5x
	d := float64(median) * s.scale * factor
	if d >= float64(maxDelay) || math.IsNaN(d) {
		return maxDelay, fail
	}
	return time.Duration(d), fail
}

// wait waits d or until ctx is done, whichever comes first, and reports
// whether the request should go on. It starts no goroutine.
func (s *Shop) wait(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	if s.testHookWait != nil {
		s.testHookWait()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

func (s *Shop) home(w http.ResponseWriter, _ *http.Request) {
	writeBytes(w, http.StatusOK, "text/html; charset=utf-8", homeHTML)
}

func (s *Shop) health(w http.ResponseWriter, _ *http.Request) {
	writeBytes(w, http.StatusOK, "text/plain; charset=utf-8", []byte("ok"))
}

type credentials struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

func (s *Shop) login(w http.ResponseWriter, r *http.Request) {
	var c credentials
	if !readJSON(w, r, &c) {
		return
	}
	if c.Username == "" || c.Password == "" {
		writeError(w, http.StatusUnauthorized, "username and password are required")
		return
	}
	http.SetCookie(w, &http.Cookie{
		Name:     SessionCookie,
		Value:    s.newSession(),
		Path:     "/",
		HttpOnly: true,
		SameSite: http.SameSiteLaxMode,
	})
	writeJSON(w, http.StatusOK, map[string]any{"ok": true, "username": c.Username})
}

func (s *Shop) products(w http.ResponseWriter, _ *http.Request) {
	writeBytes(w, http.StatusOK, "application/json", productsJSON)
}

func (s *Shop) product(w http.ResponseWriter, r *http.Request) {
	id, ok := productID(r.PathValue("id"))
	if !ok {
		writeError(w, http.StatusNotFound, "no such product")
		return
	}
	writeBytes(w, http.StatusOK, "application/json", productJSON[id])
}

// productID parses a product id in decimal, reporting whether it exists.
func productID(v string) (int, bool) {
	id, err := strconv.Atoi(v)
	return id, err == nil && id >= 1 && id <= NumProducts
}

type item struct {
	ProductID int `json:"product_id"`
	Quantity  int `json:"quantity"`
}

// readItem reads and checks an item body, answering the request on error.
func readItem(w http.ResponseWriter, r *http.Request) (item, bool) {
	var it item
	if !readJSON(w, r, &it) {
		return it, false
	}
	if it.Quantity < 1 || it.Quantity > MaxQuantity {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("quantity must be between 1 and %d", MaxQuantity))
		return it, false
	}
	if it.ProductID < 1 || it.ProductID > NumProducts {
		writeError(w, http.StatusNotFound, "no such product")
		return it, false
	}
	return it, true
}

func (s *Shop) order(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.session(r); !ok {
		writeError(w, http.StatusUnauthorized, "login required")
		return
	}
	it, ok := readItem(w, r)
	if !ok {
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{
		"order_id":   s.orderID.Add(1),
		"product_id": it.ProductID,
		"quantity":   it.Quantity,
		"total":      float64(priceCents[it.ProductID]*int64(it.Quantity)) / 100,
	})
}

type cartLine struct {
	ProductID int     `json:"product_id"`
	Name      string  `json:"name"`
	Price     float64 `json:"price"`
	Quantity  int     `json:"quantity"`
}

type cartView struct {
	Items []cartLine `json:"items"`
	Total float64    `json:"total"`
}

func (s *Shop) getCart(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.session(r)
	if !ok {
		writeError(w, http.StatusUnauthorized, "login required")
		return
	}
	s.cartMu.Lock()
	v := viewCart(s.carts[tok])
	s.cartMu.Unlock()
	writeJSON(w, http.StatusOK, v)
}

func (s *Shop) addToCart(w http.ResponseWriter, r *http.Request) {
	tok, ok := s.session(r)
	if !ok {
		writeError(w, http.StatusUnauthorized, "login required")
		return
	}
	it, ok := readItem(w, r)
	if !ok {
		return
	}
	s.cartMu.Lock()
	c := s.carts[tok]
	if c == nil {
		if len(s.carts) >= maxCarts {
			for k := range s.carts { // evict an arbitrary cart
				delete(s.carts, k)
				break
			}
		}
		c = make(map[int]int)
		s.carts[tok] = c
	}
	status, msg := http.StatusOK, ""
	switch q := c[it.ProductID] + it.Quantity; {
	case q > MaxQuantity:
		status, msg = http.StatusBadRequest, fmt.Sprintf("at most %d of one product", MaxQuantity)
	case c[it.ProductID] == 0 && len(c) >= maxCartRows:
		status, msg = http.StatusBadRequest, "cart is full"
	default:
		c[it.ProductID] = q
	}
	v := viewCart(c)
	s.cartMu.Unlock()
	if msg != "" {
		writeError(w, status, msg)
		return
	}
	writeJSON(w, status, v)
}

func viewCart(c map[int]int) cartView {
	v := cartView{Items: make([]cartLine, 0, len(c))}
	var cents int64
	for id, q := range c {
		p := catalogue[id]
		v.Items = append(v.Items, cartLine{ProductID: id, Name: p.Name, Price: p.Price, Quantity: q})
		cents += priceCents[id] * int64(q)
	}
	slices.SortFunc(v.Items, func(a, b cartLine) int { return cmp.Compare(a.ProductID, b.ProductID) })
	v.Total = float64(cents) / 100
	return v
}

// newSession returns a fresh session token: a random nonce and its HMAC, so
// that sessions need no server-side storage.
func (s *Shop) newSession() string {
	var nonce [12]byte
	_, _ = rand.Read(nonce[:])
	n := hex.EncodeToString(nonce[:])
	return n + "." + s.sign(n)
}

func (s *Shop) sign(nonce string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(nonce))
	return hex.EncodeToString(m.Sum(nil)[:16])
}

// session returns the request's session token if it carries a valid one.
func (s *Shop) session(r *http.Request) (string, bool) {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return "", false
	}
	nonce, mac, ok := strings.Cut(c.Value, ".")
	if !ok || len(nonce) != 24 || !hmac.Equal([]byte(mac), []byte(s.sign(nonce))) {
		return "", false
	}
	return c.Value, true
}

// readJSON decodes the request body, which must be one JSON object, into
// dst; on error it answers the request (400, or 413 for a too large body)
// and returns false.
func readJSON(w http.ResponseWriter, r *http.Request, dst any) bool {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, http.StatusRequestEntityTooLarge, "request body too large")
		} else {
			writeError(w, http.StatusBadRequest, "cannot read request body")
		}
		return false
	}
	data = bytes.TrimSpace(data)
	if len(data) == 0 || data[0] != '{' || json.Unmarshal(data, dst) != nil {
		writeError(w, http.StatusBadRequest, "malformed JSON body")
		return false
	}
	return true
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil { // cannot happen with the values used here
		writeBytes(w, http.StatusInternalServerError, "application/json", errorJSON)
		return
	}
	writeBytes(w, status, "application/json", append(b, '\n'))
}

func writeBytes(w http.ResponseWriter, status int, contentType string, body []byte) {
	h := w.Header()
	h.Set("Content-Type", contentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
