//go:build (!amd64 && !arm64) || noasm

package asm

import "unsafe"

// archLevels: without assembly, the generic level is the only one.
func archLevels() []*level { return nil }

// prefetchL2 is a hint; without assembly there is none to give.
func prefetchL2(p unsafe.Pointer, lines int) {}

// prefetchRows likewise.
func prefetchRows(p unsafe.Pointer, rows, stride int) {}
