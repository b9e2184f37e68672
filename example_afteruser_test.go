package herd_test

import (
	"context"
	"fmt"
	"io"

	"github.com/herdload/herd"
)

// ledger stands for a client of the user's own: a database handle, a
// socket, a file.
type ledger struct{ name string }

func (l *ledger) Close() { fmt.Println("closed", l.name) }

type auditor struct{ ledger *ledger }

// OnStart opens the user's own client and has herd close it when the user
// ends, whatever ends it.
func (a *auditor) OnStart(ctx context.Context) error {
	a.ledger = &ledger{name: "ledger"}
	herd.AfterUser(ctx, a.ledger.Close)
	return nil
}

func (a *auditor) Tasks() []herd.Task {
	return []herd.Task{{Name: "audit", Run: func(context.Context) error {
		fmt.Println("auditing with", a.ledger.name)
		return nil
	}}}
}

func ExampleAfterUser() {
	ut := &herd.UserType{Name: "Auditor", New: func() herd.User { return &auditor{} }}
	_ = herd.RunSingleUser(context.Background(), ut, herd.SingleUser{Out: io.Discard})
	// Output:
	// auditing with ledger
	// closed ledger
}
