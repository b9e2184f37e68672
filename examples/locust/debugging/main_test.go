package main

import (
	"bytes"
	"context"
	"regexp"
	"testing"

	"github.com/herdload/herd/examples/locust/internal/porttest"
)

func TestRun(t *testing.T) {
	t.Parallel()
	target := porttest.NewTarget(t)
	var out bytes.Buffer
	if err := run(context.Background(), target.URL, &out); err != nil {
		t.Fatal(err)
	}
	want := regexp.MustCompile(`^GET ` + regexp.QuoteMeta(target.URL) + `/hello 200 [0-9.]+[µm]?s 2B\n$`)
	if !want.MatchString(out.String()) {
		t.Errorf("output %q, want one line matching %s", out.String(), want)
	}
	if n := target.Count("GET", "/hello"); n != 1 {
		t.Errorf("%d requests of /hello, want 1", n)
	}
}
