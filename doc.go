// Package herd writes load tests as plain Go programs.
//
// A test declares user types: each simulated user is a Go value whose Tasks
// method lists weighted tasks, functions that take a context and return an
// error. herd runs as many users as asked, picks their tasks by weight,
// pauses between tasks as the user type's WaitTime says, times every request
// and reports the statistics live, at the end, and as CSV and JSON.
//
// A minimal test program:
//
//	type Shopper struct{ herd.HTTPUser }
//
//	func (u *Shopper) Tasks() []herd.Task {
//		return []herd.Task{{Weight: 3, Run: u.home}, {Run: u.product}}
//	}
//
//	func (u *Shopper) home(ctx context.Context) error {
//		return u.Client.Get(ctx, "/").Err()
//	}
//
//	func (u *Shopper) product(ctx context.Context) error {
//		return u.Client.Get(ctx, "/api/products/1", herd.Name("/api/products/{id}")).Err()
//	}
//
//	func main() {
//		herd.Main(&herd.Test{Users: []*herd.UserType{{
//			Name: "Shopper",
//			New:  func() herd.User { return new(Shopper) },
//			Wait: herd.Between(time.Second, 3*time.Second),
//		}}})
//	}
//
// The program then takes Locust's command line: go run . --headless -u 100
// -r 10 -t 5m -H http://localhost:8080 --csv out.
//
// Requests made through HTTPUser and FastHTTPUser are recorded on their own,
// and so are those of an SDK built on net/http sent through Transport; any
// other client (gRPC, WebSocket, SQL, …) records its timings with Record or
// Time, and reads its target from -H with HostFrom. Events lets a test hook
// the run's life cycle. RunSingleUser runs one user for debugging.
package herd
