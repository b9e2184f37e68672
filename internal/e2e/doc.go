// Package e2e holds herd's end-to-end matrix (issue 11: every output exact
// at the edges of a run). It has no code of its own beyond this comment:
// everything is in its tests.
//
// TestMatrix runs one counting target (target_test.go) through every way a
// run can end (-t, Ctrl-C, herd.ErrStopTest, a --threshold abort, the end of
// a --shape, the end of an --arrival-rate schedule, Stop in the web UI) in
// every mode (one process, --processes 2, a herd master with herd or Locust
// workers, herd workers under a Locust master), and compares every output
// (console summary and error report, the CSV files, the JSON and HTML
// reports, /stats/requests) with the target's own count, per endpoint.
//
// The herd program it runs is the test binary itself (main_test.go), and
// testdata/locustfile.py is the same user for Locust.
//
// Every run ends with requests in flight: past a number of requests the
// target holds every request until the stop. Users are killed at the stop
// (-s 0), so those requests must count as failures, except with Locust
// workers, which drop the request of a user they kill: they stop
// gracefully and the target answers held requests on its own, well within
// their stop timeout. A stop the test triggers waits until every user holds
// a request, so that no request is on its way when users are killed; a run
// that ends on its own clock and was not there yet runs again, longer.
//
// Environment:
//
//	HERD_E2E=required  fail, rather than skip, when Locust is missing
//	HERD_E2E_LOGS=1    with -v, log every process's output, not only a failed case's
package e2e
