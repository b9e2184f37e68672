package config

import (
	"errors"
	"strings"
	"testing"
)

func TestVersionFlag(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want error
	}{
		{[]string{"-V"}, ErrVersion},
		{[]string{"--version"}, ErrVersion},
		{[]string{"-u", "5", "--version"}, ErrVersion},
		{[]string{"--bogus", "-V"}, ErrVersion},       // a syntax error does not hide it
		{[]string{"--version", "--help"}, ErrHelp},    // help wins
		{[]string{"--bogus", "-V", "-h"}, ErrHelp},    // also past a syntax error
		{[]string{"--", "--version"}, nil},            // a user class named --version
		{[]string{"--version=false", "-u", "2"}, nil}, // explicitly off
	}
	for _, tt := range tests {
		_, err := load(tt.args, env(nil))
		if !errors.Is(err, tt.want) && (tt.want != nil || err != nil) {
			t.Errorf("load(%q) error = %v, want %v", tt.args, err, tt.want)
		}
	}
}

func TestVersionIsNoDefault(t *testing.T) {
	t.Parallel()
	_, err := Load(Input{Defaults: []string{"--version"}})
	if err == nil || !strings.Contains(err.Error(), "-V/--version is not an option to default") {
		t.Errorf("a --version default: error %v", err)
	}
}
