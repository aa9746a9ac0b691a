//go:build race

package asm

// raceEnabled trims the largest test cases: the race detector makes the Go loops (packing and
// the float64 references) ten times slower, and they add nothing to what it checks.
const raceEnabled = true
