// Package e2e holds herd's end-to-end matrix (issue 11): one counting
// target, every way a run can end, every way herd runs (alone, with
// --processes, as a master of herd or Locust workers, as workers of a
// Locust master), and every output compared with the target's own count.
// It has no code of its own beyond this comment: everything is in its
// tests, and the herd program the tests run is the test binary itself
// (see main_test.go).
package e2e
