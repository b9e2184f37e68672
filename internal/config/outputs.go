package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// checkOutputs reports, before any run, every file the run would fail to
// write at its end (or at its start): --html, --json-file and --junit are
// written to a temporary file in their directory and renamed; the --csv
// files are created in the prefix's directory; --logfile is appended to.
// The checks leave every existing file as it is and no new file behind.
func (c *Config) checkOutputs() Problems {
	var ps Problems
	add := func(field, msg string) {
		if msg != "" {
			ps = append(ps, Problem{Field: field, Message: msg})
		}
	}
	for _, f := range []struct{ field, path string }{
		{"junit", c.JUnitFile}, {"json-file", c.JSONFile}, {"html", c.HTMLFile},
	} {
		if f.path != "" {
			add(f.field, checkFile(f.path, true))
		}
	}
	if c.CSVPrefix != "" {
		add("csv", checkDir(filepath.Dir(c.CSVPrefix)))
	}
	if c.LogFile != "" {
		add("logfile", checkFile(c.LogFile, false))
	}
	if c.JSONLFile != "" {
		add("jsonl", checkFile(c.JSONLFile, false))
	}
	return ps
}

// checkFile returns why the file at path cannot be written, or "". An
// existing file is opened for writing without truncation; a new one is
// created and removed again. replaced tells that the file is written by
// renaming a temporary file over it, which needs its directory writable
// even when the file exists.
func checkFile(path string, replaced bool) string {
	dir := filepath.Dir(path)
	fi, err := os.Stat(path)
	if err == nil {
		switch {
		case fi.IsDir():
			return fmt.Sprintf("%q is a directory, not a file", path)
		case !fi.Mode().IsRegular():
			return "" // a device or a pipe: opening it could block or have effects
		}
		f, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Sprintf("%q exists and cannot be written: %v", path, cause(err))
		}
		f.Close()
		if replaced {
			return checkDir(dir)
		}
		return ""
	}
	if msg := checkDir(dir); msg != "" {
		return msg
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Sprintf("cannot write %q: %v", path, cause(err))
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	switch {
	case errors.Is(err, fs.ErrExist):
		return "" // created meanwhile, by someone else: leave it alone
	case err != nil:
		return fmt.Sprintf("cannot create %q: %v", path, cause(err))
	}
	f.Close()
	os.Remove(path)
	return ""
}

// checkDir returns why no file can be created in dir, or "". It creates a
// hidden temporary file there and removes it.
func checkDir(dir string) string {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Sprintf("directory %q does not exist", dir)
	case err != nil:
		return fmt.Sprintf("cannot use directory %q: %v", dir, cause(err))
	case !fi.IsDir():
		return fmt.Sprintf("%q is not a directory", dir)
	}
	f, err := os.CreateTemp(dir, ".herd-check-*")
	if err != nil {
		return fmt.Sprintf("cannot create files in directory %q: %v", dir, cause(err))
	}
	f.Close()
	os.Remove(f.Name())
	return ""
}

// cause is the reason inside a file-system error, without the operation
// and path the message already names: "permission denied".
func cause(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
