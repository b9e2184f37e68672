//go:build !race

package herd_test

// raceEnabled: built with -race (see race_test.go).
const raceEnabled = false
