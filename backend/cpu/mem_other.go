//go:build !linux

package cpu

// physicalMemory is unknown here; allocations are limited only by maxAlloc.
func physicalMemory() uint64 { return 0 }
