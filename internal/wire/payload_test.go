package wire

import (
	"bytes"
	"os"
	"testing"

	"github.com/vmihailenco/msgpack/v5"
)

// mustVector decodes testdata/vectors/<name>.bin.
func mustVector(t *testing.T, name string) (Message, []byte) {
	t.Helper()
	b, err := os.ReadFile("testdata/vectors/" + name + ".bin")
	if err != nil {
		t.Fatal(err)
	}
	m, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return m, b
}

// TestClientReady covers the three version forms.
func TestClientReady(t *testing.T) {
	m, b := mustVector(t, "client_ready")
	c, err := DecodeClientReady(m.Data)
	if err != nil || c.Kind != VersionText || c.Version != "2.12.1" {
		t.Fatalf("client_ready = %+v, %v", c, err)
	}
	// What a herd worker sends is exactly Locust's frame.
	got, err := EncodePayload(m.NodeID, ClientReadyVersion(LocustVersion))
	if err != nil || !bytes.Equal(got, b) {
		t.Errorf("herd client_ready differs: %v\n% x", err, got)
	}

	m, _ = mustVector(t, "client_ready__stock_debian_empty_version")
	if c, err := DecodeClientReady(m.Data); err != nil || c.Kind != VersionEmpty {
		t.Errorf("stock Debian client_ready = %+v, %v", c, err)
	}

	skip, err := EncodePayload("w", ClientReadySkipCheck())
	if err != nil || !bytes.Equal(skip, []byte("\x93\xacclient_ready\xff\xa1w")) {
		t.Errorf("skip-check frame = % x, %v", skip, err)
	}
	sm, _ := Decode(skip)
	if c, err := DecodeClientReady(sm.Data); err != nil || c.Kind != VersionSkipCheck {
		t.Errorf("decoded -1 = %+v, %v", c, err)
	}
	for _, bad := range [][]byte{{0xc0}, {0x00}, {0x05}, {0xc2}, {0xcb, 0, 0, 0, 0, 0, 0, 0, 0}, {0xc4, 1, 'x'}} {
		if c, err := DecodeClientReady(bad); err == nil {
			t.Errorf("DecodeClientReady(% x) = %+v, want error", bad, c)
		}
	}
}

// TestAck covers the 2.11+ form and the older nil form.
func TestAck(t *testing.T) {
	m, _ := mustVector(t, "ack")
	if a, err := DecodeAck(m.Data); err != nil || !a.HasIndex || a.Index != 0 {
		t.Errorf("ack = %+v, %v", a, err)
	}
	if a, err := DecodeAck([]byte{0xc0}); err != nil || a.HasIndex {
		t.Errorf("nil ack = %+v, %v", a, err)
	}
	if _, err := DecodeAck([]byte{0x81, 0xa5, 'i', 'n', 'd', 'e', 'x', 0xa1, '0'}); err == nil {
		t.Error("string index accepted")
	}
}

// TestHeartbeat checks fields and the int/float tolerance.
func TestHeartbeat(t *testing.T) {
	m, _ := mustVector(t, "heartbeat")
	h, err := DecodeHeartbeat(m.Data)
	if err != nil || h != (Heartbeat{State: StateRunning, CurrentCPUUsage: 0, CurrentMemoryUsage: 56397824}) {
		t.Errorf("heartbeat = %+v, %v", h, err)
	}
	intCPU, _ := EncodeValue(Map{{"state", "ready"}, {"current_cpu_usage", 0}})
	if h, err := DecodeHeartbeat(intCPU); err != nil || h.State != StateReady {
		t.Errorf("int cpu, no memory: %+v, %v", h, err)
	}
	noCPU, _ := EncodeValue(Map{{"state", "ready"}})
	if _, err := DecodeHeartbeat(noCPU); err == nil {
		t.Error("heartbeat without current_cpu_usage accepted")
	}
	badState, _ := EncodeValue(Map{{"state", 1}, {"current_cpu_usage", 0.5}})
	if _, err := DecodeHeartbeat(badState); err == nil {
		t.Error("integer state accepted")
	}
}

// TestSpawn checks the typed fields, stop_timeout's int/float forms and the
// parsed options' order.
func TestSpawn(t *testing.T) {
	m, _ := mustVector(t, "spawn")
	s, err := DecodeSpawn(m.Data)
	if err != nil {
		t.Fatal(err)
	}
	if s.UserClassesCount["CaptureUser"] != 2 || s.Host == nil || *s.Host != "http://127.0.0.1:42821" || s.StopTimeout != nil {
		t.Errorf("spawn = %+v", s)
	}
	if len(s.ParsedOptionsOrder) != 51 || s.ParsedOptionsOrder[0] != "locustfile" ||
		s.ParsedOptions["web_port"] != int64(8089) || s.ParsedOptions["spawn_rate"] != 2.0 ||
		s.ParsedOptions["autoquit"] != int64(-1) || s.ParsedOptions["my_custom_arg"] != "custom-value" {
		t.Errorf("parsed options = %v", s.ParsedOptions)
	}

	m, _ = mustVector(t, "spawn__web_ui_stop_timeout")
	if s, err := DecodeSpawn(m.Data); err != nil || s.StopTimeout == nil || s.StopTimeout.IsFloat() || s.StopTimeout.Float64() != 2 {
		t.Errorf("2.12.1 stop_timeout = %v, %v", s.StopTimeout, err)
	}
	m, _ = mustVector(t, "newest/spawn__web_ui_stop_timeout")
	if s, err := DecodeSpawn(m.Data); err != nil || s.StopTimeout == nil || !s.StopTimeout.IsFloat() || s.StopTimeout.Float64() != 2 {
		t.Errorf("HEAD stop_timeout = %v, %v", s.StopTimeout, err)
	}

	// A spawn herd builds from scratch (no order given) sorts the options.
	host := "http://x"
	st := FloatNumber(0)
	raw, err := Spawn{Timestamp: 1.5, UserClassesCount: map[string]int{"B": 1, "A": 0}, Host: &host,
		StopTimeout: &st, ParsedOptions: map[string]any{"z": 1, "a": []string{"t"}}}.MarshalData()
	if err != nil {
		t.Fatal(err)
	}
	v, _ := DecodeValueOrdered(raw)
	opts, _ := v.(Map).Get("parsed_options")
	if opts.(Map)[0].Key != "a" || v.(Map)[1].Value.(Map)[0].Key != "A" {
		t.Errorf("unsorted: %v", v)
	}
	missing, _ := EncodeValue(Map{{"timestamp", 1.0}, {"user_classes_count", Map{}}})
	if _, err := DecodeSpawn(missing); err == nil {
		t.Error("spawn without host/stop_timeout/parsed_options accepted")
	}
}

// TestSpawnExtra checks that keys beyond Locust's five (herd's extension)
// follow them on the wire, come back in Extra, and cannot shadow them.
func TestSpawnExtra(t *testing.T) {
	ext, _ := EncodeValue(Map{{"v", int64(1)}, {"rate", "100/s"}})
	sp := Spawn{Timestamp: 2, UserClassesCount: map[string]int{"A": 0}, ParsedOptions: map[string]any{},
		Extra: map[string]msgpack.RawMessage{"herd": ext}}
	raw, err := sp.MarshalData()
	if err != nil {
		t.Fatal(err)
	}
	v, _ := DecodeValueOrdered(raw)
	if m := v.(Map); len(m) != 6 || m[5].Key != "herd" {
		t.Errorf("keys %v", m)
	}
	got, err := DecodeSpawn(raw)
	if err != nil || !bytes.Equal(got.Extra["herd"], ext) || got.UserClassesCount["A"] != 0 {
		t.Errorf("decoded %+v, %v", got, err)
	}
	// Locust's own spawns have no extra keys.
	m, _ := mustVector(t, "spawn")
	if s, _ := DecodeSpawn(m.Data); s.Extra != nil {
		t.Errorf("Locust spawn has extra %v", s.Extra)
	}
	sp.Extra["host"] = ext
	if _, err := sp.MarshalData(); err == nil {
		t.Error("an Extra key shadowing host was encoded")
	}
}

// TestStatsReport checks entries, histogram key types and errors in both
// versions' vectors.
func TestStatsReport(t *testing.T) {
	m, _ := mustVector(t, "stats")
	s, err := DecodeStatsReport(m.Data)
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Stats) != 4 || s.UserCount != 4 || s.UserClassesCount["CaptureUser"] != 4 || len(s.Errors) != 1 {
		t.Fatalf("stats = %+v", s)
	}
	slow := s.Stats[2]
	if slow.Name != "slow-float" || len(slow.ResponseTimes) != 1 || !slow.ResponseTimes[0].ResponseTime.IsFloat() ||
		slow.ResponseTimes[0].ResponseTime.Float64() != 150 || slow.MinResponseTime.Float64() != 147.3 {
		t.Errorf("2.12.1 slow-float = %+v", slow)
	}
	none := s.Stats[3]
	if none.MinResponseTime != nil || none.NumNoneRequests != 1 || none.TotalResponseTime.IsFloat() {
		t.Errorf("none-rt = %+v", none)
	}
	if s.StatsTotal.Method == nil || *s.StatsTotal.Method != "" || s.StatsTotal.NumReqsPerSec[0].Second != 1795759390 {
		t.Errorf("total = %+v", s.StatsTotal)
	}
	for _, e := range s.Errors {
		if e.Occurrences != 2 || e.FirstSeen != nil || e.Method != "GET" {
			t.Errorf("2.12.1 error = %+v", e)
		}
	}

	m, _ = mustVector(t, "newest/stats")
	s, err = DecodeStatsReport(m.Data)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range s.Stats {
		for _, b := range e.ResponseTimes {
			if b.ResponseTime.IsFloat() {
				t.Errorf("HEAD float histogram key in %s", e.Name)
			}
		}
	}
	for _, e := range s.Errors {
		if e.FirstSeen == nil || e.LastSeen == nil || *e.LastSeen < *e.FirstSeen {
			t.Errorf("HEAD error = %+v", e)
		}
	}

	m, _ = mustVector(t, "stats__empty")
	if s, err := DecodeStatsReport(m.Data); err != nil || s.StatsTotal.Method != nil || s.StatsTotal.MinResponseTime != nil || len(s.Stats) != 0 {
		t.Errorf("empty stats = %+v, %v", s, err)
	}
}

// TestStatsReportExtra checks that unknown keys survive a round trip and
// land after the standard ones, and that they cannot shadow those.
func TestStatsReportExtra(t *testing.T) {
	hist, _ := EncodeValue(Map{{int64(1), int64(2)}})
	method := ""
	rep := StatsReport{
		StatsTotal:       StatsEntry{Name: "Aggregated", Method: &method},
		UserClassesCount: map[string]int{"U": 1},
		UserCount:        1,
		Extra:            map[string]msgpack.RawMessage{"herd_histogram": hist},
	}
	raw, err := rep.MarshalData()
	if err != nil {
		t.Fatal(err)
	}
	v, _ := DecodeValueOrdered(raw)
	if keys := v.(Map); len(keys) != 6 || keys[5].Key != "herd_histogram" {
		t.Errorf("keys = %v", keys)
	}
	back, err := DecodeStatsReport(raw)
	if err != nil || !bytes.Equal(back.Extra["herd_histogram"], hist) || back.UserCount != 1 {
		t.Errorf("round trip = %+v, %v", back, err)
	}
	rep.Extra = map[string]msgpack.RawMessage{"stats": hist}
	if _, err := rep.MarshalData(); err == nil {
		t.Error("Extra key shadowing stats accepted")
	}
	rep.Extra = map[string]msgpack.RawMessage{"x": {0x92, 0x01}}
	if _, err := rep.MarshalData(); err == nil {
		t.Error("truncated raw Extra value accepted")
	}
}

// TestSpawningComplete covers the worker's and the master's form.
func TestSpawningComplete(t *testing.T) {
	m, b := mustVector(t, "newest/spawning_complete__master_to_worker")
	s, err := DecodeSpawningComplete(m.Data)
	if err != nil || s.UserClassesCount != nil || s.UserCount != 4 {
		t.Fatalf("master spawning_complete = %+v, %v", s, err)
	}
	if got, _ := EncodePayload(m.NodeID, SpawningComplete{UserCount: 4}); !bytes.Equal(got, b) {
		t.Errorf("master form differs")
	}
	m, _ = mustVector(t, "spawning_complete")
	if s, err := DecodeSpawningComplete(m.Data); err != nil || s.UserClassesCount["CaptureUser"] != 2 || s.UserCount != 2 {
		t.Errorf("worker spawning_complete = %+v, %v", s, err)
	}
}

// TestSmallPayloads covers exception, logs, update_user_class, locustfile
// and custom messages.
func TestSmallPayloads(t *testing.T) {
	m, _ := mustVector(t, "exception")
	if e, err := DecodeException(m.Data); err != nil || e.Msg == "" || e.Traceback == "" {
		t.Errorf("exception = %+v, %v", e, err)
	}
	m, _ = mustVector(t, "newest/logs")
	if l, err := DecodeLogs(m.Data); err != nil || l.WorkerID != m.NodeID || len(l.Logs) != 2 {
		t.Errorf("logs = %+v, %v", l, err)
	}
	m, _ = mustVector(t, "newest/update_user_class")
	if u, err := DecodeUpdateUserClass(m.Data); err != nil || u.UserClassName != "CaptureUser" || len(u.Settings) != 4 {
		t.Errorf("update_user_class = %+v, %v", u, err)
	}
	m, _ = mustVector(t, "newest/locustfile__request")
	if p, err := DecodePayload(m); err != nil || *p.(LocustfileRequest).Version != "2.46.4.dev23+g407343d0" {
		t.Errorf("locustfile request = %+v, %v", p, err)
	}
	m, _ = mustVector(t, "newest/locustfile__reply")
	if p, err := DecodePayload(m); err != nil || p.(LocustfileReply).Files[0].Filename != "locustfile_capture.py" {
		t.Errorf("locustfile reply = %+v, %v", p, err)
	}
	legacy := LocustfileReply{Legacy: true, Files: []LocustfileSource{{Filename: "a.py", Contents: "x"}}}
	raw, _ := legacy.MarshalData()
	if p, err := DecodeLocustfileReply(raw); err != nil || !p.Legacy || p.Files[0].Contents != "x" {
		t.Errorf("legacy reply = %+v, %v", p, err)
	}

	m, _ = mustVector(t, "newest/custom__worker_hello")
	p, err := DecodePayload(m)
	if err != nil {
		t.Fatal(err)
	}
	c := p.(Custom)
	data := c.Data.(map[string]any)
	if c.Type != "worker_hello" || !bytes.Equal(data["blob"].([]byte), []byte{0, 1, 0xff}) ||
		data["intkeys"].(map[any]any)[int64(1700000000)] != "b" ||
		data["when"].(map[string]any)["__datetime__"] != true {
		t.Errorf("custom = %#v", c)
	}
}

// TestStatsReportExact: with the named extension present, the entries'
// rounded response_times are skipped; without it, they are decoded.
func TestStatsReportExact(t *testing.T) {
	method := "GET"
	entry := StatsEntry{Name: "/", Method: &method, NumRequests: 3,
		ResponseTimes: []ResponseTimeCount{{ResponseTime: IntNumber(12), Count: 3}}}
	rep := StatsReport{Stats: []StatsEntry{entry}, StatsTotal: entry, UserCount: 1}
	plain, err := rep.MarshalData()
	if err != nil {
		t.Fatal(err)
	}
	ext, _ := EncodeValue(Map{{"v", int64(1)}})
	rep.Extra = map[string]msgpack.RawMessage{"herd": ext}
	withExt, err := rep.MarshalData()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want int // response_times buckets per entry
	}{{"no extension", plain, 1}, {"extension", withExt, 0}} {
		s, err := DecodeStatsReportExact(tc.data, "herd")
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if len(s.Stats) != 1 || s.Stats[0].NumRequests != 3 || len(s.Stats[0].ResponseTimes) != tc.want ||
			len(s.StatsTotal.ResponseTimes) != tc.want {
			t.Errorf("%s: %+v", tc.name, s)
		}
	}
	if _, err := DecodeStatsReportExact(withExt[:len(withExt)-3], "herd"); err == nil {
		t.Error("truncated report accepted")
	}
}
