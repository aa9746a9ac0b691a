package asm

import (
	"unsafe"

	"github.com/klauspost/cpuid/v2"
)

// Cache geometry the BLIS model works from; the fallbacks are those of a small x86 core, used
// where cpuid reports nothing (as on many arm64 systems).
type cacheSizes struct{ l1, l2, l3 int }

var caches = readCaches()

func readCaches() cacheSizes {
	c := cacheSizes{l1: cpuid.CPU.Cache.L1D, l2: cpuid.CPU.Cache.L2, l3: cpuid.CPU.Cache.L3}
	if c.l1 <= 0 {
		c.l1 = 32 << 10
	}
	if c.l2 <= 0 {
		c.l2 = 256 << 10
	}
	if c.l3 <= 0 {
		c.l3 = 4 << 20
	}
	return c
}

// DefaultGemmParams returns the blocking of the BLIS analytic model (Low et al., "Analytical
// Modeling Is Enough for High-Performance BLIS", 2016) for elements of type T on the named
// level ("" or an unavailable level: the level in use), over this CPU's cache sizes.
func DefaultGemmParams[T Float](level string) GemmParams {
	lv, err := levelFor(level)
	if err != nil {
		lv = active.Load()
	}
	mk := kernelOf[T](lv)
	var z T
	p := blisBlocking(caches, int(unsafe.Sizeof(z)), mk.mr, mk.nr)
	p.Level = lv.name
	return p
}

// blisBlocking is the analytic model:
//   - KC: the kc×nr micro-panel of B̃ stays in L1 while mr×kc micro-panels of Ã stream
//     through. The model of the paper leaves one of the W ways of L1 to C and shares the
//     others between B and A in proportion nr:mr; our micro-kernels prefetch A a few lines
//     ahead, so A needs one way, not a whole micro-panel, and B gets W−2 ways. (Measured on
//     AVX-512: the larger kc this gives, which halves the passes over C, beats the paper's
//     by 3 to 8%.)
//   - MC: the mc×kc block Ã fills about half of L2, the rest being for the B̃ micro-panels
//     and C tiles that stream through it.
//   - NC: the kc×nc panel B̃ fills about half of this core's share of L3, up to 4096 columns
//     (beyond that the panel only adds to packing latency).
func blisBlocking(c cacheSizes, size, mr, nr int) GemmParams {
	const line, page = 64, 4096
	// A virtually indexed L1 has as many ways as it has 4 KiB pages (64 sets of 64 bytes).
	ways := max(2, c.l1/page)
	sets := max(1, c.l1/(ways*line))
	bWays := max(1, ways-2)
	kc := bWays * sets * line / (nr * size)
	kc = min(1024, max(16, kc&^7))

	mc := c.l2 / 2 / (kc * size)
	mc = max(mr, mc/mr*mr)

	cores := max(1, cpuid.CPU.PhysicalCores)
	l3 := c.l3 / cores
	nc := l3 / 2 / (kc * size)
	nc = max(nr, min(4096, nc)/nr*nr)
	return GemmParams{MC: mc, KC: kc, NC: nc, MR: mr, NR: nr}
}
