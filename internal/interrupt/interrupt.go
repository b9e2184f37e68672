// Package interrupt turns SIGINT and SIGTERM into a graceful stop: the
// first cancels a context so the run stops and still writes its reports, a
// second exits the process at once.
package interrupt

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// ExitCode is the process's exit code after a second signal.
const ExitCode = 130

// Context returns a context cancelled by the first SIGINT or SIGTERM; a
// second one prints a note to w and exits with ExitCode. stop releases the
// signal handler.
func Context(w io.Writer) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	done := make(chan struct{})
	go func() {
		select {
		case <-sigs:
		case <-done:
			return
		}
		fmt.Fprintln(w, "\nstopping: finishing current tasks and writing reports (interrupt again to quit at once)")
		cancel()
		select {
		case <-sigs:
			fmt.Fprintln(w, "interrupted again: exiting without reports")
			os.Exit(ExitCode)
		case <-done:
		}
	}()
	return ctx, func() {
		signal.Stop(sigs)
		close(done)
		cancel()
	}
}
