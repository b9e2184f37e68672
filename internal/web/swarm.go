package web

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/herdload/herd/internal/config"
	"github.com/herdload/herd/internal/duration"
)

// maxSwarmBody bounds a /swarm request body.
const maxSwarmBody = 1 << 20

// swarmFields are the /swarm form's fields, in the order problems are told.
var swarmFields = []string{"user_count", "spawn_rate", "host", "run_time", "user_classes"}

// swarmStarted is /swarm's success answer, Locust's shape.
type swarmStarted struct {
	Success bool   `json:"success"`
	Message string `json:"message"`
	Host    string `json:"host"`
	// RunTime is the run time in seconds, only when one was given.
	RunTime *float64 `json:"run_time,omitempty"`
	// UserClasses are the classes that run, only with the class picker.
	UserClasses []string `json:"user_classes,omitempty"`
}

// handleSwarm is Locust's /swarm: start a test or change the running one.
// Any bad value is a 400 naming every problem, and the test is left alone.
func (s *Server) handleSwarm(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxSwarmBody)
	req, problems := parseSwarmWith(r, s.ctl.Status())
	if len(problems) > 0 {
		s.writeJSON(w, r, http.StatusBadRequest, failure{Message: strings.Join(problems, "; ")})
		return
	}
	if err := s.ctl.Swarm(req); err != nil {
		s.writeJSON(w, r, http.StatusBadRequest, failure{Message: err.Error()})
		return
	}
	st := s.ctl.Status()
	resp := swarmStarted{Success: true, Message: "Swarming started", Host: st.Host}
	if req.RunTime > 0 {
		sec := req.RunTime.Seconds()
		resp.RunTime = &sec
	}
	if st.ClassPicker {
		resp.UserClasses = []string{}
		for _, c := range st.UserClasses {
			if c.Selected {
				resp.UserClasses = append(resp.UserClasses, c.Name)
			}
		}
		slices.Sort(resp.UserClasses)
	}
	s.writeJSON(w, r, http.StatusOK, resp)
}

// parseSwarm reads and checks a /swarm request: Locust's form
// (application/x-www-form-urlencoded or multipart/form-data) or a JSON
// object with the same keys. classes are the known user classes. It returns
// every problem found, each a sentence naming its field.
func parseSwarm(r *http.Request, classes []UserClass) (SwarmRequest, []string) {
	return parseSwarmWith(r, Status{UserClasses: classes})
}

// parseSwarmWith is parseSwarm with st's user classes and custom options.
func parseSwarmWith(r *http.Request, st Status) (SwarmRequest, []string) {
	vals, err := readSwarmValues(r)
	if err != nil {
		return SwarmRequest{}, []string{err.Error()}
	}
	req, problems := checkSwarm(vals, st.UserClasses)
	opts, more := checkSwarmOptions(vals, st.Options)
	if problems = append(problems, more...); len(problems) > 0 {
		return SwarmRequest{}, problems
	}
	req.Options = opts
	return req, nil
}

// readSwarmValues decodes the request body into form values, whatever its
// encoding.
func readSwarmValues(r *http.Request) (url.Values, error) {
	ct := r.Header.Get("Content-Type")
	mt := ""
	if ct != "" {
		var err error
		if mt, _, err = mime.ParseMediaType(ct); err != nil {
			return nil, fmt.Errorf("bad Content-Type %q", ct)
		}
	}
	switch mt {
	case "application/json":
		return readSwarmJSON(r.Body)
	case "multipart/form-data":
		if err := r.ParseMultipartForm(maxSwarmBody); err != nil {
			return nil, fmt.Errorf("bad multipart form: %v", bodyError(err))
		}
		if r.MultipartForm != nil {
			r.MultipartForm.RemoveAll()
		}
		return r.PostForm, nil
	case "application/x-www-form-urlencoded", "":
		if err := r.ParseForm(); err != nil {
			return nil, fmt.Errorf("bad form: %v", bodyError(err))
		}
		return r.PostForm, nil
	}
	return nil, fmt.Errorf("unsupported Content-Type %q; send a form (application/x-www-form-urlencoded or multipart/form-data) or application/json", mt)
}

// bodyError shortens a too-large-body error.
func bodyError(err error) error {
	if _, ok := errors.AsType[*http.MaxBytesError](err); ok {
		return fmt.Errorf("body larger than %d bytes", maxSwarmBody)
	}
	return err
}

// readSwarmJSON decodes {"user_count": 10, "spawn_rate": 2, "host": "…",
// "run_time": "90s", "user_classes": ["A"]} into form values. Numbers and
// strings are both accepted for every field, an array or one value for
// user_classes; null is absent; unknown keys are ignored (as Locust ignores
// unknown form fields).
func readSwarmJSON(body io.Reader) (url.Values, error) {
	dec := json.NewDecoder(body)
	dec.UseNumber()
	var obj map[string]json.RawMessage
	if err := dec.Decode(&obj); err != nil {
		return nil, fmt.Errorf("body is not a JSON object: %v", bodyError(err))
	}
	if obj == nil {
		return nil, errors.New("body is not a JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("body holds more than one JSON value")
	}
	vals := url.Values{}
	addJSONOptions(vals, obj)
	var problems []string
	for _, key := range swarmFields {
		raw, ok := obj[key]
		if !ok {
			continue
		}
		var items []json.RawMessage
		if key == "user_classes" && bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
			if err := json.Unmarshal(raw, &items); err != nil {
				problems = append(problems, key+": not a list of names")
				continue
			}
		} else {
			items = []json.RawMessage{raw}
		}
		for _, item := range items {
			v, ok := jsonScalar(item)
			if !ok {
				problems = append(problems, key+": must be a string or a number")
				break
			}
			if v != nil {
				vals.Add(key, *v)
			}
		}
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return vals, nil
}

// jsonScalar is the text of a JSON string or number, nil for null; ok is
// false for anything else.
func jsonScalar(raw json.RawMessage) (v *string, ok bool) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var x any
	if err := dec.Decode(&x); err != nil {
		return nil, false
	}
	switch x := x.(type) {
	case nil:
		return nil, true
	case string:
		return &x, true
	case json.Number:
		s := x.String()
		return &s, true
	}
	return nil, false
}

// checkSwarm validates form values with the CLI's rules: user_count a whole
// number ≥ 0, spawn_rate a number > 0, host empty or an absolute http(s)
// URL, run_time empty or a duration (Go's or a number of seconds),
// user_classes known. The first value of a field counts, but for
// user_classes, which repeats.
func checkSwarm(vals url.Values, classes []UserClass) (SwarmRequest, []string) {
	var req SwarmRequest
	var problems []string
	bad := func(field, format string, args ...any) {
		problems = append(problems, field+": "+fmt.Sprintf(format, args...))
	}

	if v := strings.TrimSpace(vals.Get("user_count")); v == "" {
		bad("user_count", "required, a whole number of users ≥ 0")
	} else if n, err := strconv.Atoi(v); err != nil {
		bad("user_count", "%q is not a whole number", v)
	} else if n < 0 {
		bad("user_count", "must not be negative, got %d", n)
	} else {
		req.Users = n
	}

	if v := strings.TrimSpace(vals.Get("spawn_rate")); v == "" {
		bad("spawn_rate", "required, a number of users per second > 0")
	} else if f, err := strconv.ParseFloat(v, 64); err != nil && !errors.Is(err, strconv.ErrRange) {
		bad("spawn_rate", "%q is not a number (use e.g. 1, 0.5 or 10)", v)
	} else if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		bad("spawn_rate", "%q is not a finite number", v)
	} else if !(f > 0) {
		bad("spawn_rate", "must be a number of users per second greater than 0, got %v", f)
	} else {
		req.SpawnRate = f
	}

	// The CLI's --host rules: surrounding space and trailing slashes go.
	if v := strings.TrimRight(strings.TrimSpace(vals.Get("host")), "/"); v != "" {
		if msg := config.CheckHost(v); msg != "" {
			bad("host", "%s", msg)
		} else {
			req.Host = v
		}
	}

	if v := strings.TrimSpace(vals.Get("run_time")); v != "" {
		if d, err := parseRunTime(v); err != nil {
			bad("run_time", "%s", err)
		} else {
			req.RunTime = d
		}
	}

	for _, name := range vals["user_classes"] {
		name = strings.TrimSpace(name)
		switch {
		case name == "" || slices.Contains(req.UserClasses, name):
		case !slices.ContainsFunc(classes, func(c UserClass) bool { return c.Name == name }):
			bad("user_classes", "unknown user class %q (known: %s)", name, classNames(classes))
		default:
			req.UserClasses = append(req.UserClasses, name)
		}
	}
	if len(problems) > 0 {
		return SwarmRequest{}, problems
	}
	return req, nil
}

// classNames lists the known classes for a message.
func classNames(classes []UserClass) string {
	if len(classes) == 0 {
		return "none"
	}
	names := make([]string, len(classes))
	for i, c := range classes {
		names[i] = strconv.Quote(c.Name)
	}
	return strings.Join(names, ", ")
}

// parseRunTime parses a run time in the grammar of --run-time (a Go
// duration or a number of seconds), not negative.
func parseRunTime(v string) (time.Duration, error) {
	d, err := duration.Parse(v)
	if err == nil && d < 0 {
		err = fmt.Errorf("must not be negative, got %s", duration.Format(d))
	}
	return d, err
}
