package asm

import (
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync/atomic"
)

// A level is one set of kernels for an instruction-set level: "generic" (pure Go, every
// platform), "avx2" (amd64 AVX2+FMA), "avx512" (amd64 AVX-512F), "neon" (arm64).
type level struct {
	name string
	s    microKernel[float32]
	d    microKernel[float64]
	// Narrow kernels (one vector wide, taller), for products with few columns; fn is nil
	// where the level has none.
	sn microKernel[float32]
	dn microKernel[float64]
	// Kernels for products of two bfloat16 matrices, whose packed panels hold pairs of them
	// (see gemmMicroPairsGo), standard then narrow; fn is nil where the level has none.
	b, bn microKernel[float32]
}

// knownLevels are the names CROSSBAR_CPU accepts, lowest first.
var knownLevels = []string{"generic", "avx2", "avx512", "neon"}

// available lists the levels this machine can run, lowest first; archLevels (one per
// architecture file) adds what the CPU supports to the generic level.
var available = append([]*level{genericLevel}, archLevels()...)

// active is the level used by calls that do not name one.
var active atomic.Pointer[level]

func init() { active.Store(chooseLevel(os.Getenv("CROSSBAR_CPU"))) }

// chooseLevel returns the level named by CROSSBAR_CPU's value, or the best available one for
// an empty, unknown or unavailable name (with a warning for the last two: never a panic).
func chooseLevel(name string) *level {
	best := available[len(available)-1]
	name = strings.ToLower(strings.TrimSpace(name))
	if name == "" {
		return best
	}
	if l := findLevel(name); l != nil {
		return l
	}
	if slices.Contains(knownLevels, name) {
		slog.Warn("asm: CROSSBAR_CPU level not supported by this CPU or build; using the best available",
			"requested", name, "using", best.name, "available", Levels())
	} else {
		slog.Warn("asm: unknown CROSSBAR_CPU level; using the best available",
			"requested", name, "using", best.name, "known", knownLevels)
	}
	return best
}

func findLevel(name string) *level {
	for _, l := range available {
		if l.name == name {
			return l
		}
	}
	return nil
}

// Levels returns the names of the kernel levels this machine and build can run, lowest first:
// always "generic", then "avx2" and "avx512" where the CPU has them (amd64 without the noasm
// build tag).
func Levels() []string {
	names := make([]string, len(available))
	for i, l := range available {
		names[i] = l.name
	}
	return names
}

// Level returns the name of the kernel level in use: the best one the CPU supports, or the
// lower one forced with the environment variable CROSSBAR_CPU=generic|avx2|avx512|neon.
func Level() string { return active.Load().name }

// SetLevel makes the named level the one in use. It returns an error, and changes nothing,
// when this machine or build cannot run it. Calls already running keep their level.
func SetLevel(name string) error {
	l := findLevel(name)
	if l == nil {
		return fmt.Errorf("asm: level %q is not available here (available: %v)", name, Levels())
	}
	active.Store(l)
	return nil
}

// levelFor returns the named level, or the active one for "".
func levelFor(name string) (*level, error) {
	if name == "" {
		return active.Load(), nil
	}
	if l := findLevel(name); l != nil {
		return l, nil
	}
	return nil, fmt.Errorf("asm: level %q is not available here (available: %v)", name, Levels())
}
