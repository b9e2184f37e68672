package control

import (
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"time"
)

// processes are the --processes workers: copies of this program connected
// to this process's master on loopback.
type processes struct {
	cmds []*exec.Cmd
	log  *slog.Logger
}

// processQuitWait bounds how long closing waits for worker processes to
// quit, after the master told them to, before killing them.
const processQuitWait = 10 * time.Second

// startProcesses runs n worker processes of this same program, connected
// to the master at port.
func startProcesses(opts Options, port, n int, log *slog.Logger) (*processes, error) {
	self := opts.Exec
	if len(self) == 0 {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("--processes: finding this program: %w", err)
		}
		self = []string{exe}
	}
	args := append(append(slices.Clone(self[1:]), workerArgs(opts.Args)...), "--worker", "--master-host", "127.0.0.1",
		"--master-port", strconv.Itoa(port))
	p := &processes{log: log}
	for range n {
		cmd := exec.Command(self[0], args...)
		cmd.Stdout, cmd.Stderr = opts.Stderr, opts.Stderr
		cmd.Env = append(os.Environ(), "HERD_PROCESSES=0", "HERD_MASTER=false")
		ownGroup(cmd)
		if err := cmd.Start(); err != nil {
			p.kill()
			return nil, fmt.Errorf("--processes: starting a worker: %w", err)
		}
		p.cmds = append(p.cmds, cmd)
	}
	log.Info("started local worker processes", "processes", n)
	return p, nil
}

// wait waits for the workers to quit (the master told them to), killing
// those still there after processQuitWait.
func (p *processes) wait() {
	done := make(chan struct{})
	go func() {
		for _, cmd := range p.cmds {
			cmd.Wait()
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(processQuitWait):
		p.log.Warn("local worker processes did not quit: killing them")
		for _, cmd := range p.cmds {
			cmd.Process.Kill()
		}
		<-done
	}
}

func (p *processes) kill() {
	for _, cmd := range p.cmds {
		cmd.Process.Kill()
		cmd.Wait()
	}
}

// workerArgs is the command line a --processes worker gets: this one
// without the options that only a master uses.
func workerArgs(args []string) []string {
	drop := map[string]bool{ // options with a value
		"--processes": true, "--master-bind-host": true, "--master-bind-port": true, "--expect-workers": true,
		"--expect-workers-max-wait": true, "--csv": true, "--json-file": true, "--html": true, "--web-host": true,
		"-P": true, "--web-port": true, "--web-base-path": true, "--web-auth": true, "--tls-cert": true,
		"--tls-key": true, "--autoquit": true, "--logfile": true, "--junit": true,
		"--metrics-port": true, "--otlp-endpoint": true, "--jsonl": true,
	}
	flags := map[string]bool{ // options without one
		"--master": true, "--enable-rebalancing": true, "--csv-full-history": true, "--json": true,
		"--autostart": true, "--headless": true, "--print-stats": true, "--only-summary": true, "--class-picker": true,
	}
	var out []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, _, hasValue := strings.Cut(a, "=")
		switch {
		case drop[name] && !hasValue:
			i++ // skip its value
		case drop[name], flags[name]:
		default:
			out = append(out, a)
		}
	}
	return out
}
