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
	url := regexp.QuoteMeta(target.URL)
	want := regexp.MustCompile(`^running User1\nGET ` + url + `/hello1 200 [0-9.]+[µm]?s 2B\n` +
		`running User2\nGET ` + url + `/hello2 200 [0-9.]+[µm]?s 2B\ndone!\n$`)
	if !want.MatchString(out.String()) {
		t.Errorf("output:\n%s\nwant it to match %s", out.String(), want)
	}
}
