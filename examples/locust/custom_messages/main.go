// Command custom_messages is Locust's custom_messages.py in herd: when a
// distributed test starts, the master splits a list of test users between
// its workers with a custom message, and each worker thanks it with one of
// its own; each simulated user takes a name from its worker's share. Run a
// master and workers (here two on this machine), with the target to test:
//
//	go run ./examples/locust/custom_messages --processes 2 --headless -u 10 -t 30s -H http://127.0.0.1:8089
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/herdload/herd"
)

// usernames is a worker's share of the test users.
type usernames struct {
	mu    sync.Mutex
	names []string
}

func (u *usernames) add(names []string) {
	u.mu.Lock()
	u.names = append(u.names, names...)
	u.mu.Unlock()
}

// pop takes the last name, "" when none is left.
func (u *usernames) pop() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.names) == 0 {
		return ""
	}
	name := u.names[len(u.names)-1]
	u.names = u.names[:len(u.names)-1]
	return name
}

// WebsiteUser prints the name it was given.
type WebsiteUser struct {
	herd.HTTPUser
	names    *usernames
	out      io.Writer
	username string
}

// OnStart takes a name (Locust's example takes it in the user's
// constructor; herd also calls New to inspect a user type, before any
// name arrived).
func (u *WebsiteUser) OnStart(context.Context) error {
	u.username = u.names.pop()
	return nil
}

func (u *WebsiteUser) Tasks() []herd.Task {
	return []herd.Task{{Name: "task", Run: func(ctx context.Context) error {
		fmt.Fprintln(u.out, u.username)
		return nil
	}}}
}

// newTest is the test; users print their names to out, the master its
// acknowledgements.
func newTest(out io.Writer) *herd.Test {
	names := new(usernames)
	test := &herd.Test{Users: []*herd.UserType{{
		Name: "WebsiteUser",
		Host: "http://127.0.0.1:8089",
		New:  func() herd.User { return &WebsiteUser{names: names, out: out} },
		Wait: herd.Between(2*time.Second, 5*time.Second),
	}}}
	// On a worker: a share of the test users, acknowledged to the master.
	test.Events.OnMessage("test_users", func(ctx context.Context, m herd.Message) {
		users, _ := m.Data.([]any)
		for _, u := range users {
			if u, ok := u.(map[string]any); ok {
				name, _ := u["name"].(string)
				names.add([]string{name})
			}
		}
		msg := fmt.Sprintf("Thanks for the %d users!", len(users))
		if err := herd.NodeFrom(ctx).SendToMaster("acknowledge_users", msg); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	})
	// On the master: the acknowledgements.
	test.Events.OnMessage("acknowledge_users", func(_ context.Context, m herd.Message) {
		fmt.Fprintln(out, m.Data)
	})
	// When the test starts, the master divides the users evenly between
	// its workers, so that each worker's users get unique data.
	test.Events.OnTestStart(func(ctx context.Context) error {
		node := herd.NodeFrom(ctx)
		users := make([]any, node.TargetUsers())
		for i := range users {
			users[i] = map[string]any{"name": fmt.Sprintf("User%d", i)}
		}
		switch node.Role() {
		case herd.Worker:
			return nil
		case herd.Standalone:
			// On its own, a process keeps them all (Locust's local runner
			// sends the message to itself).
			for _, u := range users {
				names.add([]string{u.(map[string]any)["name"].(string)})
			}
			return nil
		}
		workers := node.Workers()
		chunk := len(users) / len(workers)
		for i, w := range workers {
			end := (i + 1) * chunk
			if i+1 == len(workers) {
				end = len(users)
			}
			if err := node.SendToWorkers("test_users", users[i*chunk:end], w.ID); err != nil {
				return err
			}
		}
		return nil
	})
	return test
}

func main() { herd.Main(newTest(os.Stdout)) }
