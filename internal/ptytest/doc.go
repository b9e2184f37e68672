// Package ptytest opens pseudo-terminals for tests of keyboard input (Linux
// only; elsewhere the package is empty).
package ptytest
