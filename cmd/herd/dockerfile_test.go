package main

import (
	"bufio"
	"debug/elf"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// No Docker engine is needed: TestDockerfiles reads herd's Dockerfile and
// the test-program pattern, checks what their final images would be (a
// distroless or scratch base, no RUN there, a numeric non-root user, an
// exec-form entrypoint), and runs their build stage's go build here (for
// Linux), which must give a static binary that prints its version.
func TestDockerfiles(t *testing.T) {
	t.Parallel()
	root := filepath.Join("..", "..")
	tests := []struct {
		file    string
		args    map[string]string // --build-arg
		version []string          // how the binary prints its version
	}{
		{"Dockerfile", nil, []string{"version"}},
		{"deploy/docker/test-program.Dockerfile", map[string]string{"PROGRAM": "./examples/quickstart"}, []string{"--version"}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			t.Parallel()
			stages, global := parseDockerfile(t, filepath.Join(root, tt.file))
			if len(stages) < 2 {
				t.Fatalf("%d stages, want a build stage and a final one", len(stages))
			}
			final := stages[len(stages)-1]
			base := final.from
			if !strings.HasPrefix(base, "gcr.io/distroless/static") && base != "scratch" {
				t.Errorf("final image is based on %q, want distroless/static or scratch", base)
			}
			var user, entry string
			for _, in := range final.instrs {
				switch in.cmd {
				case "RUN":
					t.Errorf("the final stage runs %q: it has no shell", in.arg)
				case "USER":
					user = in.arg
				case "ENTRYPOINT":
					entry = in.arg
				}
			}
			uid, err := strconv.Atoi(strings.SplitN(user, ":", 2)[0])
			if err != nil || uid == 0 {
				t.Errorf("USER %q: want a numeric non-root user (Kubernetes' runAsNonRoot checks it)", user)
			}
			var exe []string
			if err := json.Unmarshal([]byte(entry), &exe); err != nil || len(exe) != 1 {
				t.Errorf("ENTRYPOINT %s: want the exec form with the binary alone", entry)
			}

			// The build stage's go build, run here with its output in a temporary directory.
			args := global
			for _, s := range stages[:len(stages)-1] {
				for _, in := range s.instrs {
					if in.cmd == "ARG" {
						k, v, _ := strings.Cut(in.arg, "=")
						args[k] = v
					}
				}
			}
			for k, v := range tt.args {
				args[k] = v
			}
			if want := goModVersion(t, root); args["GO_VERSION"] != want {
				t.Errorf("GO_VERSION %q, want go.mod's %q", args["GO_VERSION"], want)
			}
			var build []string
			for _, in := range stages[len(stages)-2].instrs {
				if in.cmd == "RUN" && strings.Contains(in.arg, "go build") {
					build = shellWords(os.Expand(in.arg, func(k string) string { return args[k] }))
				}
			}
			if len(build) == 0 {
				t.Fatal("no RUN ... go build in the build stage")
			}
			var env []string
			for len(build) > 0 && strings.Contains(build[0], "=") {
				env, build = append(env, build[0]), build[1:]
			}
			if !slices.Contains(env, "CGO_ENABLED=0") {
				t.Errorf("the build does not set CGO_ENABLED=0: %q", env)
			}
			bin := filepath.Join(t.TempDir(), "image-binary")
			for i := range build {
				if build[i] == "-o" && i+1 < len(build) {
					build[i+1] = bin
				}
			}
			// The build stage runs on Linux, whatever this machine is.
			cmd := exec.Command(build[0], build[1:]...)
			cmd.Dir, cmd.Env = root, append(os.Environ(), append(env, "GOOS=linux")...)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("%q: %v\n%s", build, err, out)
			}
			checkStatic(t, bin)
			if runtime.GOOS == "linux" {
				out, err := exec.Command(bin, tt.version...).Output()
				if err != nil || !strings.Contains(string(out), "  go        go1.") {
					t.Errorf("%v: %v\n%s", tt.version, err, out)
				}
			}
			if fi, err := os.Stat(bin); err == nil {
				t.Logf("%s: static binary of %.1f MiB", tt.file, float64(fi.Size())/(1<<20))
			}
		})
	}
}

// checkStatic fails unless bin is an ELF executable that needs no dynamic
// loader and no shared library (true of CGO_ENABLED=0 on Linux).
func checkStatic(t *testing.T, bin string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("not an ELF binary: %v", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Error("the binary asks for a dynamic loader (PT_INTERP)")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the binary needs shared libraries: %v", libs)
	}
}

// goModVersion is the go directive of root's go.mod, as major.minor.
func goModVersion(t *testing.T, root string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(data)
	if m == nil {
		t.Fatal("go.mod has no go directive")
	}
	return string(m[1])
}

type dockerStage struct {
	from   string
	instrs []dockerInstr
}

type dockerInstr struct{ cmd, arg string }

// parseDockerfile splits a Dockerfile into stages of instructions, joining
// continued lines and dropping comments. The ARGs before the first FROM
// (global) substitute into FROM lines.
func parseDockerfile(t *testing.T, path string) (stages []dockerStage, global map[string]string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	global = map[string]string{}
	var line string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		text := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(text, "#") || (text == "" && line == "") {
			continue
		}
		if strings.HasSuffix(text, `\`) {
			line += strings.TrimSuffix(text, `\`) + " "
			continue
		}
		line += text
		cmd, arg, _ := strings.Cut(line, " ")
		cmd, arg, line = strings.ToUpper(cmd), strings.TrimSpace(arg), ""
		switch {
		case cmd == "FROM":
			from := strings.Fields(os.Expand(arg, func(k string) string { return global[k] }))[0]
			stages = append(stages, dockerStage{from: from})
		case len(stages) == 0 && cmd == "ARG":
			k, v, _ := strings.Cut(arg, "=")
			global[k] = v
		case len(stages) == 0:
			t.Fatalf("%s before the first FROM", cmd)
		default:
			s := &stages[len(stages)-1]
			s.instrs = append(s.instrs, dockerInstr{cmd, arg})
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return stages, global
}

var shellWord = regexp.MustCompile(`(?:[^\s"']+|"[^"]*"|'[^']*')+`)

// shellWords splits a RUN line as the shell would, for the quoting
// Dockerfiles here use (no escapes, no expansions).
func shellWords(s string) []string {
	words := shellWord.FindAllString(s, -1)
	for i, w := range words {
		words[i] = strings.NewReplacer(`"`, "", `'`, "").Replace(w)
	}
	return words
}
