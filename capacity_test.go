package herd

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/herdload/herd/internal/capacity"
	"github.com/herdload/herd/internal/dispatch"
)

type (
	fastKind      struct{ FastHTTPUser }
	fastByPointer struct{ *FastHTTPUser }
	stdKind       struct{ HTTPUser }
	nestedKind    struct{ fastKind }
	plainKind     struct{ FastHTTPUser int } // a field that only shares the name
)

func (fastKind) Tasks() []Task      { return nil }
func (fastByPointer) Tasks() []Task { return nil }
func (stdKind) Tasks() []Task       { return nil }
func (plainKind) Tasks() []Task     { return nil }

func kind(name string, wait WaitTime, u func() User) *userType {
	return &userType{UserType: &UserType{Name: name, Wait: wait, New: u}}
}

func TestFootprint(t *testing.T) {
	t.Parallel()
	plain := func() User { return &funcUser{tasks: func() []Task { return nil }} }
	tests := []struct {
		ut    *userType
		bytes int64
		fds   int
	}{
		{kind("fast", nil, func() User { return &fastKind{} }), fastUserBytes, 1},
		{kind("fast by pointer", nil, func() User { return &fastByPointer{&FastHTTPUser{}} }), fastUserBytes, 1},
		{kind("nested fast", Constant(time.Second), func() User { return &nestedKind{} }), fastUserBytes, 1},
		{kind("std", Constant(time.Second), func() User { return &stdKind{} }), httpUserBytes, 1},
		{kind("parked", Between(time.Second, 2*time.Second), plain), parkedUserBytes, 0},
		{kind("busy", nil, plain), busyUserBytes, 0},
	}
	for _, tt := range tests {
		if bytes, fds := tt.ut.footprint(); bytes != tt.bytes || fds != tt.fds {
			t.Errorf("%s: footprint = %d bytes, %d files; want %d, %d", tt.ut.Name, bytes, fds, tt.bytes, tt.fds)
		}
	}
	if embeds(plainKind{}, reflect.TypeFor[FastHTTPUser]()) || embeds(nil, reflect.TypeFor[FastHTTPUser]()) {
		t.Error("embeds: a field named like the type, or no user, counts as embedding it")
	}
}

func TestPlanNeed(t *testing.T) {
	t.Parallel()
	types := []*userType{
		kind("fast", nil, func() User { return &fastKind{} }),
		kind("plain", Constant(time.Second), func() User {
			return &funcUser{tasks: func() []Task { return []Task{{Run: func(context.Context) error { return nil }}} }}
		}),
		kind("std", nil, func() User { return &stdKind{} }),
	}
	types[0].Weight, types[1].Weight, types[2].FixedCount = 3, 1, 2
	plan, err := dispatch.New(dispatchTypes(types))
	if err != nil {
		t.Fatal(err)
	}
	// 1,002 users: the 2 fixed HTTPUsers, then 750 FastHTTPUsers and 250 others.
	want := capacity.Need{Users: 1002, Memory: 2*httpUserBytes + 750*fastUserBytes + 250*parkedUserBytes, Files: 752}
	if got := needFor(types, plan.Counts(1002)); got != want {
		t.Errorf("needFor(Counts(1002)) = %+v, want %+v", got, want)
	}
	if got := needFor(types, []int{0, 10, -1}); got != (capacity.Need{Users: 10, Memory: 10 * parkedUserBytes}) {
		t.Errorf("needFor = %+v", got)
	}

	// issue 11's run: 2,000,000,000 users (no overflow) on a 24 GiB machine.
	huge := needFor(types, plan.Counts(2_000_000_000))
	limits := capacity.Limits{Memory: 24 << 30, MemoryFrom: "the machine's MemTotal", Available: 20 << 30, Files: 20000, FilesMax: 20000}
	if _, err := limits.Check(huge); !errors.Is(err, capacity.ErrTooMany) {
		t.Errorf("2e9 users: %+v, error %v; want ErrTooMany", huge, err)
	}
	// 20,000 FastHTTPUsers fit in memory but not in 20,000 open files.
	warn, err := limits.Check(needFor(types, []int{20000, 0, 0}))
	if err != nil || warn == "" {
		t.Errorf("20,000 FastHTTPUsers: warning %q, error %v; want a warning about open files", warn, err)
	}
}
