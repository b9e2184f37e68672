package web

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestSwarmOptions(t *testing.T) {
	t.Parallel()
	st := Status{Options: []CustomOption{
		{Name: "my-argument", Value: "x"}, {Name: "batch", Value: 5}, {Name: "fast", Value: false},
		{Name: "think", Value: time.Second},
	}}
	tests := []struct {
		name, ctype, body string
		want              map[string]any
		problem           string
	}{
		{name: "none", ctype: "application/x-www-form-urlencoded", body: "user_count=1&spawn_rate=1"},
		{name: "form, Locust's dest names", ctype: "application/x-www-form-urlencoded",
			body: "user_count=1&spawn_rate=1&my_argument=y&batch=+7&think=90&other=1",
			want: map[string]any{"my-argument": "y", "batch": 7, "think": 90 * time.Second}},
		{name: "form, flag names", ctype: "application/x-www-form-urlencoded",
			body: "user_count=1&spawn_rate=1&my-argument=z&fast=on",
			want: map[string]any{"my-argument": "z", "fast": true}},
		{name: "json", ctype: "application/json",
			body: `{"user_count":1,"spawn_rate":1,"batch":8,"fast":true,"my_argument":"j","other":[1]}`,
			want: map[string]any{"my-argument": "j", "batch": 8, "fast": true}},
		{name: "bad value", ctype: "application/x-www-form-urlencoded",
			body: "user_count=1&spawn_rate=1&batch=many", problem: "batch: "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := httptest.NewRequest(http.MethodPost, "/swarm", strings.NewReader(tt.body))
			r.Header.Set("Content-Type", tt.ctype)
			req, problems := parseSwarmWith(r, st)
			if tt.problem != "" {
				if len(problems) != 1 || !strings.HasPrefix(problems[0], tt.problem) {
					t.Errorf("problems = %q, want one starting %q", problems, tt.problem)
				}
				return
			}
			if len(problems) > 0 {
				t.Fatalf("problems = %q", problems)
			}
			if !reflect.DeepEqual(req.Options, tt.want) {
				t.Errorf("Options = %#v, want %#v", req.Options, tt.want)
			}
		})
	}
}
