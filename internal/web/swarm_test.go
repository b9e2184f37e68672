package web

import (
	"bytes"
	"math"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/herdload/herd/internal/config"
)

func TestSwarmForm(t *testing.T) {
	t.Parallel()
	fake := newFake()
	fake.status.ClassPicker = true
	fake.status.UserClasses[0].Selected = true
	_, ts := newTestServer(t, Options{}, fake)

	resp, body := postForm(t, ts, "/swarm",
		"user_count=10&spawn_rate=2.5&host=https%3A%2F%2Fshop.test%2F&run_time=1h30m&user_classes=WebUser&user_classes=APIUser&user_classes=WebUser")
	wantStatus(t, resp, body, http.StatusOK)
	wantJSON(t, resp)
	want := `{"success":true,"message":"Swarming started","host":"https://shop.test","run_time":5400,"user_classes":["WebUser"]}` + "\n"
	if body != want {
		t.Errorf("body = %s\nwant   %s", body, want)
	}
	got := fake.lastSwarm()
	wantReq := SwarmRequest{Users: 10, SpawnRate: 2.5, Host: "https://shop.test", RunTime: 90 * time.Minute,
		UserClasses: []string{"WebUser", "APIUser"}}
	if !reflect.DeepEqual(got, wantReq) {
		t.Errorf("Swarm(%+v), want %+v", got, wantReq)
	}
}

func TestSwarmMinimalForm(t *testing.T) {
	t.Parallel()
	fake := newFake()
	_, ts := newTestServer(t, Options{}, fake)
	// Locust's UI sends an empty host and run time: keep the host, run
	// until stopped. Seconds are a run time too.
	resp, body := postForm(t, ts, "/swarm", "user_count=0&spawn_rate=1&host=&run_time=")
	wantStatus(t, resp, body, http.StatusOK)
	if body != `{"success":true,"message":"Swarming started","host":"http://target.test"}`+"\n" {
		t.Errorf("body = %s", body)
	}
	if got := fake.lastSwarm(); !reflect.DeepEqual(got, SwarmRequest{Users: 0, SpawnRate: 1}) {
		t.Errorf("Swarm(%+v)", got)
	}
	resp, body = postForm(t, ts, "/swarm", "user_count=3&spawn_rate=1&run_time=300")
	wantStatus(t, resp, body, http.StatusOK)
	if got := fake.lastSwarm().RunTime; got != 5*time.Minute {
		t.Errorf("run_time=300 gave %v", got)
	}
}

func TestSwarmMultipart(t *testing.T) {
	t.Parallel()
	fake := newFake()
	_, ts := newTestServer(t, Options{}, fake)
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, kv := range [][2]string{{"user_count", "7"}, {"spawn_rate", "0.5"}, {"user_classes", "APIUser"}, {"run_time", "90s"}} {
		mw.WriteField(kv[0], kv[1])
	}
	mw.Close()
	resp, body := do(t, ts, http.MethodPost, "/swarm", &b, http.Header{"Content-Type": {mw.FormDataContentType()}})
	wantStatus(t, resp, body, http.StatusOK)
	want := SwarmRequest{Users: 7, SpawnRate: 0.5, RunTime: 90 * time.Second, UserClasses: []string{"APIUser"}}
	if got := fake.lastSwarm(); !reflect.DeepEqual(got, want) {
		t.Errorf("Swarm(%+v), want %+v", got, want)
	}
}

func TestSwarmJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		body string
		want SwarmRequest
	}{
		{`{"user_count": 10, "spawn_rate": 2, "host": "http://a.test", "run_time": "90s", "user_classes": ["WebUser"]}`,
			SwarmRequest{Users: 10, SpawnRate: 2, Host: "http://a.test", RunTime: 90 * time.Second, UserClasses: []string{"WebUser"}}},
		{`{"user_count": "4", "spawn_rate": "0.5", "run_time": 60, "user_classes": "APIUser", "other": {"x": 1}}`,
			SwarmRequest{Users: 4, SpawnRate: 0.5, RunTime: time.Minute, UserClasses: []string{"APIUser"}}},
		{`{"user_count": 1, "spawn_rate": 1, "host": null, "run_time": null}`,
			SwarmRequest{Users: 1, SpawnRate: 1}},
	}
	for _, tt := range tests {
		fake := newFake()
		_, ts := newTestServer(t, Options{}, fake)
		resp, body := do(t, ts, http.MethodPost, "/swarm", strings.NewReader(tt.body),
			http.Header{"Content-Type": {"application/json; charset=utf-8"}})
		wantStatus(t, resp, body, http.StatusOK)
		if got := fake.lastSwarm(); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Swarm(%+v), want %+v", tt.body, got, tt.want)
		}
	}
}

func TestSwarmRejectsBadValues(t *testing.T) {
	t.Parallel()
	form := "application/x-www-form-urlencoded"
	tests := []struct {
		name, contentType, body string
		wantInMessage           []string
	}{
		{"negative users", form, "user_count=-1&spawn_rate=1", []string{"user_count: must not be negative"}},
		{"fractional users", form, "user_count=1.5&spawn_rate=1", []string{`user_count: "1.5" is not a whole number`}},
		{"missing users", form, "spawn_rate=1", []string{"user_count: required"}},
		{"non-numeric rate", form, "user_count=1&spawn_rate=fast", []string{`spawn_rate: "fast" is not a number`}},
		{"zero rate", form, "user_count=1&spawn_rate=0", []string{"spawn_rate: must be a number of users per second greater than 0"}},
		{"NaN rate", form, "user_count=1&spawn_rate=NaN", []string{"spawn_rate:", "not a finite number"}},
		{"infinite rate", form, "user_count=1&spawn_rate=1e999", []string{"spawn_rate:", "not a finite number"}},
		{"malformed host", form, "user_count=1&spawn_rate=1&host=shop.test", []string{"host:", "absolute http:// or https:// URL"}},
		{"host without a name", form, "user_count=1&spawn_rate=1&host=ftp://", []string{"host:"}},
		{"script host", form, "user_count=1&spawn_rate=1&host=javascript:alert(1)", []string{"host:"}},
		{"unknown class", form, "user_count=1&spawn_rate=1&user_classes=Ghost", []string{`user_classes: unknown user class "Ghost"`, `"WebUser"`}},
		{"bad run time", form, "user_count=1&spawn_rate=1&run_time=soon", []string{`run_time: "soon" is not a duration`}},
		{"negative run time", form, "user_count=1&spawn_rate=1&run_time=-5m", []string{"run_time: must not be negative, got -5m"}},
		{"run time without its last unit", form, "user_count=1&spawn_rate=1&run_time=2m30", []string{`run_time: "2m30" is not a duration`}},
		{"run time too long", form, "user_count=1&spawn_rate=1&run_time=9999999999", []string{`run_time: "9999999999" is too long a duration`}},
		{"every problem at once", form, "user_count=-3&spawn_rate=x&host=nope&run_time=later&user_classes=Ghost",
			[]string{"user_count:", "spawn_rate:", "host:", "run_time:", "user_classes:"}},
		{"JSON not an object", "application/json", `[1,2]`, []string{"not a JSON object"}},
		{"JSON bool", "application/json", `{"user_count": true, "spawn_rate": 1}`, []string{"user_count: must be a string or a number"}},
		{"JSON negative", "application/json", `{"user_count": -2, "spawn_rate": 1}`, []string{"user_count: must not be negative"}},
		{"JSON trailing", "application/json", `{"user_count": 1, "spawn_rate": 1} {}`, []string{"more than one JSON value"}},
		{"unsupported type", "text/plain", "user_count=1&spawn_rate=1", []string{"unsupported Content-Type"}},
		{"too large", form, "user_count=1&spawn_rate=1&pad=" + strings.Repeat("x", maxSwarmBody), []string{"larger than"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			fake := newFake()
			_, ts := newTestServer(t, Options{}, fake)
			resp, body := do(t, ts, http.MethodPost, "/swarm", strings.NewReader(tt.body), http.Header{"Content-Type": {tt.contentType}})
			wantStatus(t, resp, body, http.StatusBadRequest)
			wantJSON(t, resp)
			doc := decode[map[string]any](t, body)
			msg, _ := doc["message"].(string)
			if doc["success"] != false || len(doc) != 2 {
				t.Errorf("body = %s, want {success: false, message}", body)
			}
			for _, w := range tt.wantInMessage {
				if !strings.Contains(msg, w) {
					t.Errorf("message %q lacks %q", msg, w)
				}
			}
			if swarms, stops, resets := fake.calls(); swarms+stops+resets != 0 {
				t.Errorf("controller was called: %d swarms, %d stops, %d resets", swarms, stops, resets)
			}
		})
	}
}

func TestSwarmControllerError(t *testing.T) {
	t.Parallel()
	fake := newFake()
	fake.swarmErr = errBoom
	_, ts := newTestServer(t, Options{}, fake)
	resp, body := postForm(t, ts, "/swarm", "user_count=1&spawn_rate=1")
	wantStatus(t, resp, body, http.StatusBadRequest)
	if body != `{"success":false,"message":"host is on fire"}`+"\n" {
		t.Errorf("body = %s", body)
	}
}

// FuzzParseSwarm feeds arbitrary bodies in every accepted encoding to the
// /swarm parser: it must never panic, and whatever it accepts must be
// valid.
func FuzzParseSwarm(f *testing.F) {
	f.Add(uint8(0), []byte("user_count=10&spawn_rate=2&host=http://a.test&run_time=1h&user_classes=WebUser"))
	f.Add(uint8(0), []byte("user_count=-1&spawn_rate=NaN&host=%zz&run_time=9999999999999h"))
	f.Add(uint8(1), []byte(`{"user_count":1,"spawn_rate":0.1,"user_classes":["APIUser",null]}`))
	f.Add(uint8(1), []byte(`{"user_count":1e3,"spawn_rate":"1","run_time":1.5}`))
	f.Add(uint8(2), []byte("--B\r\nContent-Disposition: form-data; name=\"user_count\"\r\n\r\n3\r\n--B\r\nContent-Disposition: form-data; name=\"spawn_rate\"\r\n\r\n1\r\n--B--\r\n"))
	f.Add(uint8(3), []byte("user_count=1&spawn_rate=1"))
	classes := []UserClass{{Name: "WebUser"}, {Name: "APIUser"}}
	types := []string{"application/x-www-form-urlencoded", "application/json", "multipart/form-data; boundary=B", "", "text/plain"}
	f.Fuzz(func(t *testing.T, kind uint8, body []byte) {
		r := httptest.NewRequest(http.MethodPost, "/swarm", bytes.NewReader(body))
		if ct := types[int(kind)%len(types)]; ct != "" {
			r.Header.Set("Content-Type", ct)
		}
		r.Body = http.MaxBytesReader(httptest.NewRecorder(), r.Body, maxSwarmBody)
		req, problems := parseSwarm(r, classes)
		if len(problems) > 0 {
			if !reflect.DeepEqual(req, SwarmRequest{}) {
				t.Fatalf("problems %q with a request %+v", problems, req)
			}
			return
		}
		if req.Users < 0 || !(req.SpawnRate > 0) || math.IsInf(req.SpawnRate, 0) || req.RunTime < 0 {
			t.Fatalf("accepted invalid %+v", req)
		}
		if req.Host != "" && config.CheckHost(req.Host) != "" {
			t.Fatalf("accepted bad host %q", req.Host)
		}
		for _, c := range req.UserClasses {
			if !slices.ContainsFunc(classes, func(k UserClass) bool { return k.Name == c }) {
				t.Fatalf("accepted unknown class %q", c)
			}
		}
	})
}
