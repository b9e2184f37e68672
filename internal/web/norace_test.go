//go:build !race

package web

// raceDetector is set in a binary built with -race, where memory and CPU
// figures mean little and heavy tests shrink.
const raceDetector = false
