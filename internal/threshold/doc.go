// Package threshold parses and evaluates pass/fail conditions on a load
// test's statistics, for CI: "the total p95 stays under 300 ms", "fewer than
// 1% of /checkout requests fail in any 30-second window, and if not, stop the
// run".
//
// # Grammar
//
// One threshold is one string (one --threshold flag, one config-file list
// item):
//
//	threshold = [ endpoint ":" ] condition { ";" option }
//	condition = metric [ "[" window "]" ] operator limit
//	operator  = "<" | "<=" | ">" | ">="
//	option    = "abort" | "grace=" duration
//
// Spaces around the parts are allowed: "GET /cart: p95 < 300ms ; abort".
//
// Metrics and their limits:
//
//	p50, p95, p99.9, …  percentile, any pN with 0 < N ≤ 100   duration: 300ms, 1.5s, 250µs (or 250us)
//	median              same as p50                           duration
//	avg, min, max       mean, fastest, slowest response time  duration
//	fail_ratio          failed requests / requests            1% or 0.01
//	failures            failed requests (count)               whole number: 10
//	requests            requests (count)                      whole number: 1000
//	rps                 requests per second                   number: 500, 12.5
//
// Durations are read as everywhere in herd (internal/duration): Go durations
// (300ms, 1.5s, 1m30s) or a bare number of seconds. A response-time limit
// must have a unit, though: "p95<300" is refused, because k6 reads a bare
// number there as milliseconds and herd's other durations as seconds, and
// guessing wrong would pass or fail a run silently. Windows and grace
// periods may be bare seconds ("p99[60]<1s", "grace=30"). Metric names are
// case-insensitive.
//
// Endpoint. Without one, a threshold applies to the total of all requests.
// With one, everything before the LAST colon is the endpoint, so names may
// contain spaces, colons, brackets and semicolons, and the condition never
// contains a colon:
//
//	/cart: p95<300ms                 every method of /cart, merged
//	GET /cart: p95<300ms             only GET /cart
//	ws: chat [room 1]: max<1s        the endpoint "ws: chat [room 1]"
//
// An endpoint selects every request whose name equals it, or whose method
// (request type), a space and name equal it; surrounding spaces are ignored.
// An endpoint that never receives a request has no data (see below), so a
// misspelt name fails at the end of the run instead of passing silently.
//
// Window. Without one, the metric covers the whole run (cumulative, like the
// final report). With one, it covers the last window of the run: "p99[1m]<500ms"
// holds when the p99 of the requests of the last minute is under 500 ms. A
// window is whole seconds, from 1s to 1h. Over a window, rps is the window's
// requests divided by the window, or by the time since the start while the
// run is shorter than the window; over the whole run it is requests divided
// by the time since the start. A distributed master receives its workers'
// statistics every few seconds, so windows there should be much longer than
// that (30s or more).
//
// Options. "abort" stops the run as soon as the threshold is broken;
// "grace=30s" (only with abort) allows aborting only from 30 seconds after
// the start, so that warm-up does not abort the run. An option given twice is
// an error.
//
// # Evaluation
//
// An [Evaluator] is fed once a second with that second's statistics and
// evaluates every threshold each time. A threshold is pending while it has no
// data: a response-time metric or fail_ratio with no request (in its window),
// or a count or rps whose endpoint has never had a request. A pending
// threshold neither passes nor fails, nor aborts.
//
// At the end of the run ([Evaluator.Final]):
//   - a whole-run threshold is judged on the run's final figures;
//   - a windowed threshold fails if it was broken in any window during the
//     run, and its reported value is the worst window's;
//   - a threshold that never had data fails ("no data"). k6 passes such
//     thresholds, which hides misspelt endpoint names and runs that sent
//     nothing; herd treats a condition that could not be checked as not met.
//
// [WriteJUnit] writes results as JUnit XML for CI systems.
package threshold
