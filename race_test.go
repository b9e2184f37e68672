//go:build race

package herd_test

// raceEnabled: built with -race, where the tests' CPU use is many times
// over, so that running more of them at once than the cores only starves
// them (see TestMain).
const raceEnabled = true
